"""How an EdgeIdentification shows itself: plots, the periodic table, text and HTML."""

from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pytest

import eels_autoid
from eels_autoid import ELEMENTS, identify_edges
from eels_autoid.identification import EdgeIdentification

WINDOW = (400.0, 699.0)  # O K, Ti L2,3 and Mn L2,3 in range; Fe L2,3 (708 eV) out


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _result(model, nav_shape=(), thresholds=None):
    """O detected everywhere, Ti observable but low, Fe high but not observable,
    Mn above threshold in 3 of 100 pixels of a map (under the 5 % rule)."""
    import hyperspy.api as hs

    size = int(WINDOW[1] - WINDOW[0]) + 1
    s = hs.signals.Signal1D(np.linspace(2.0, 1.0, size) * np.ones((*nav_shape, 1)))
    axis = s.axes_manager.signal_axes[0]
    axis.offset, axis.scale, axis.units = WINDOW[0], 1.0, "eV"
    s.metadata.General.title = "test"
    p = np.zeros((*nav_shape, len(ELEMENTS)), dtype=np.float32)
    p[..., ELEMENTS.index("O")] = 0.9
    p[..., ELEMENTS.index("Ti")] = 0.3
    p[..., ELEMENTS.index("Fe")] = 0.9
    if nav_shape:
        p.reshape(-1, len(ELEMENTS))[:3, ELEMENTS.index("Mn")] = 0.9
    return EdgeIdentification(
        p,
        s,
        np.full(len(ELEMENTS), 0.5) if thresholds is None else thresholds,
        eels_autoid.observable_elements(*WINDOW),
        0.05,
        model,
        WINDOW,
    )


def _text_collections(ax):
    # HyperSpy draws Texts markers as one collection of text paths.
    return [c for c in ax.collections if type(c).__name__ == "TextCollection"]


def _display_extents(collection):
    """Display-space (x0, y0, x1, y1) of each text path of a drawn collection."""
    from matplotlib.transforms import Affine2D

    out = []
    offsets = collection.get_offset_transform().transform(collection.get_offsets())
    for path, matrix, offset in zip(
        collection.get_paths(), collection.get_transforms(), offsets, strict=True
    ):
        verts = (Affine2D(matrix) + collection.get_transform()).transform(path.vertices)
        verts = verts + offset
        out.append((*verts.min(axis=0), *verts.max(axis=0)))
    return np.array(out)


# ------------------------------------------------------------------ plot()
def test_plot_labels_read_upright_inside_the_axes_and_it_returns_none(tiny_model):
    # A low Ti threshold: two edges labelled, O K and Ti L2,3.
    thresholds = np.full(len(ELEMENTS), 0.5)
    thresholds[ELEMENTS.index("Ti")] = 0.2
    r = _result(tiny_model, thresholds=thresholds)
    assert r.elements == ["O", "Ti"]
    assert r.plot() is None
    fig = plt.gcf()
    fig.canvas.draw()
    ax = fig.axes[0]
    (labels,) = _text_collections(ax)
    angles = [np.degrees(np.arctan2(m[1, 0], m[0, 0])) for m in labels.get_transforms()]
    assert len(angles) == 2
    np.testing.assert_allclose(angles, 90.0, atol=1e-6)  # bottom-to-top
    frame = ax.get_window_extent()
    for x0, y0, x1, y1 in _display_extents(labels):
        assert frame.x0 < x0 < x1 < frame.x1
        assert frame.y0 < y0 < y1 < frame.y1


# ------------------------------------------------------------ probabilities
def test_probability_axis_is_labelled_without_empty_units(tiny_model):
    r = _result(tiny_model)
    axis = r.probabilities.axes_manager.signal_axes[0]
    assert (axis.offset, axis.scale, axis.size) == (4.0, 1.0, 80)
    r.probabilities.plot()
    xlabel = plt.gcf().axes[0].get_xlabel()
    assert "Atomic number" in xlabel and "()" not in xlabel


def _bars(ax):
    """Element symbol -> its probability bar (the 0.8-wide rectangles)."""
    bars = [p for p in ax.patches if np.isclose(p.get_width(), 0.8)]
    return {ELEMENTS[round(p.get_x() + 0.4)]: p for p in bars}


def test_plot_probabilities_names_every_element(tiny_model):
    r = _result(tiny_model)
    fig = r.plot_probabilities()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(ELEMENTS)
    bars = _bars(ax)
    assert len(bars) == len(ELEMENTS)
    assert bars["O"].get_height() == pytest.approx(0.9)
    assert bars["Ti"].get_height() == pytest.approx(0.3)
    # Detected, observable and not observable are three different colours.
    colours = {tuple(bars[el].get_facecolor()) for el in ("O", "Ti", "Fe")}
    assert len(colours) == 3
    # Fe stands on a hatched column: no edge in the window.
    hatched = [p for p in ax.patches if p.get_hatch() and np.isclose(p.get_width(), 1.0)]
    assert ELEMENTS.index("Fe") in {round(p.get_x() + 0.5) for p in hatched}
    assert ELEMENTS.index("O") not in {round(p.get_x() + 0.5) for p in hatched}


def test_plot_probabilities_of_one_pixel(tiny_model):
    r = _result(tiny_model, nav_shape=(10, 10))
    # Mn is above threshold at pixel (0, 0) only, and not detected in the map.
    assert "Mn" not in r.elements
    at_hit = _bars(r.plot_probabilities(pixel=(0, 0)).axes[0])
    elsewhere = _bars(r.plot_probabilities(pixel=(5, 5)).axes[0])
    assert at_hit["Mn"].get_height() == pytest.approx(0.9)
    assert elsewhere["Mn"].get_height() == 0.0
    assert at_hit["Mn"].get_facecolor() == at_hit["O"].get_facecolor()
    with pytest.raises(ValueError, match="single spectrum"):
        _result(tiny_model).plot_probabilities(pixel=0)


# --------------------------------------------------------- periodic table
def _cells(fig):
    return {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}


def _style(cell):
    return (cell.get_linewidth(), cell.get_hatch(), tuple(cell.get_edgecolor()))


@pytest.mark.parametrize("nav_shape", [(), (10, 10)])
def test_periodic_table_marks_detected_undetected_and_unobservable(tiny_model, nav_shape):
    from matplotlib.figure import Figure

    r = _result(tiny_model, nav_shape)
    fig = r.plot_periodic_table()
    assert isinstance(fig, Figure)
    cells = _cells(fig)
    assert len(cells) == 118  # the whole table, H..Og
    detected, undetected, unobservable, outside = (cells[el] for el in ("O", "Ti", "Fe", "U"))
    assert r.elements == ["O"] and "Fe" not in r.observable
    assert detected.get_linewidth() > 2 * undetected.get_linewidth()
    assert unobservable.get_hatch() and not detected.get_hatch() and not undetected.get_hatch()
    styles = {_style(c) for c in (detected, undetected, unobservable, outside)}
    assert len(styles) == 4
    # Colour follows the value: O's cell is darker than Ti's.
    assert sum(detected.get_facecolor()[:3]) < sum(undetected.get_facecolor()[:3])
    texts = {t.get_text() for t in fig.axes[0].texts}
    title = fig.axes[0].get_title()
    if nav_shape:
        # A map shows the area fraction: Mn in 3 % of the pixels.
        assert "0.03" in texts and "Share of pixels" in title
    else:
        assert "0.90" in texts and "0.30" in texts and title.startswith("Probability")
    (bar,) = fig.axes[0].child_axes  # the colour bar, named as the title
    assert title.startswith(bar.get_xlabel())


def test_periodic_table_value_choice(tiny_model):
    r = _result(tiny_model, nav_shape=(10, 10))
    fig = r.plot_periodic_table(value="max_probability")
    assert "0.90" in {t.get_text() for t in fig.axes[0].texts}
    with pytest.raises(ValueError, match="value must be"):
        r.plot_periodic_table(value="probability")


def test_periodic_table_draws_into_given_axes(tiny_model):
    fig, ax = plt.subplots()
    assert _result(tiny_model).plot_periodic_table(ax=ax) is fig
    assert _cells(fig)["O"].axes is ax


def test_periodic_table_layout():
    from eels_autoid._periodic_table import SYMBOLS, cell

    assert len({cell(z) for z in range(1, 119)}) == 118
    at = {s: cell(z) for z, s in enumerate(SYMBOLS, start=1)}
    assert at["He"] == (0, 17) and at["B"] == (1, 12) and at["Kr"] == (3, 17)
    assert at["Hf"] == (5, 3) and at["Bi"] == (5, 14) and at["Og"] == (6, 17)
    assert at["La"][1] == 2 and at["Lu"][1] == 16 and at["La"][0] == at["Lu"][0] > 6
    assert at["Ac"][0] == at["La"][0] + 1
    assert set(ELEMENTS) <= set(SYMBOLS)


def test_real_spectrum_figures(real_spectra_dir, bundled_default):
    import hyperspy.api as hs

    s = hs.load(real_spectra_dir / "SrTiO3_hl.msa", signal_type="EELS")
    r = identify_edges(s, model=bundled_default)
    assert {"O", "Ti"} <= set(r.elements)
    cells = _cells(r.plot_periodic_table())
    assert cells["Ti"].get_linewidth() > cells["V"].get_linewidth()
    assert r.plot() is None


# ------------------------------------------------------------- text, HTML
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(markup):
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser


def test_summary_repr_is_the_table(tiny_model):
    pretty = pytest.importorskip("IPython.lib.pretty").pretty  # what a prompt shows
    rows = _result(tiny_model).summary()
    assert rows[0].element == "O" and rows[0].detected  # still a list of rows
    for shown in (repr(rows), pretty(rows)):
        assert "max_probability" in shown and "SummaryRow" not in shown
        lines = [ln for ln in shown.splitlines() if ln.startswith("| O ")]
        assert len(lines) == 1 and "yes" in lines[0]


def test_identification_html_escapes_the_header(tiny_model):
    r = _result(tiny_model)
    page = _parse(r._repr_html_())
    assert "table" in page.tags
    assert not any(t.startswith("edgeidentification") for t in page.tags)
    assert repr(r) in "".join(page.text)
    assert "&lt;EdgeIdentification" in r._repr_html_()
    # One row per observable element, under a header row.
    assert page.tags.count("tr") == 1 + len(r.observable)
