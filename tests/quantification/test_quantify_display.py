"""How a Quantification shows itself in a notebook and at a prompt."""

from html.parser import HTMLParser

from eels_autoid import quantify


class _Page(HTMLParser):
    def __init__(self, markup):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_shows_the_header_as_text_and_the_summary_as_a_table(oxide):
    q = quantify(oxide, elements=["O", "Ti"])
    markup = q._repr_html_()
    assert "&lt;Quantification" in markup
    page = _Page(markup)
    # Unescaped, the browser would take the header for an unknown tag and hide it.
    assert not any(t.startswith("quantification") for t in page.tags)
    assert repr(q) in "".join(page.text)
    assert "table" in page.tags
    assert page.tags.count("tr") == 1 + len(q.elements)


def test_summary_repr_is_the_table(oxide):
    rows = quantify(oxide, elements=["O", "Ti"]).summary()
    shown = repr(rows)
    assert "atomic fraction" in shown and "QuantificationRow" not in shown
    assert [r.element for r in rows] == ["O", "Ti"]
    assert sum(ln.startswith(("| O ", "| Ti ")) for ln in shown.splitlines()) == 2


def test_the_fit_plot_shows_the_model_and_a_residual_that_the_model_explains(oxide):
    import matplotlib

    matplotlib.use("Agg")
    q = quantify(oxide, elements=["O", "Ti"])
    fig = q.plot_fit()
    top, bottom = fig.axes
    fit = q.spectrum_fit
    drawn = {line.get_label(): line.get_ydata() for line in top.get_lines()}
    assert {"spectrum", "model", "background", "O", "Ti"} <= set(drawn)
    residual = bottom.get_lines()[0].get_ydata()
    # Poisson counts the model describes: the residual of the mean of the 6
    # pixels is noise around zero, of the Poisson size.
    assert abs(residual.mean()) < 3 * residual.std() / len(residual) ** 0.5
    assert residual.std() < 2 * (fit.model.mean() / 6) ** 0.5


def test_the_report_shows_the_fit_and_its_residual(oxide):
    import matplotlib

    matplotlib.use("Agg")
    from eels_autoid.quantification import report_figure

    q = quantify(oxide, elements=["O", "Ti"])
    fig = report_figure(quantification=q)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "Residual" in labels
    assert any(line.get_label() == "model" for ax in fig.axes for line in ax.get_lines())
