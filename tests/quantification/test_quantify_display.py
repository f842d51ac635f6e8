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
