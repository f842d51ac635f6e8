"""The periodic table: element symbols, the 18-column layout and a drawing of it."""

from __future__ import annotations

__all__ = ["SYMBOLS", "cell", "draw_periodic_table", "STATE_LABELS"]

# Z = 1 .. 118, in order.
SYMBOLS = (
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si",
    "P", "S", "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni",
    "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb",
    "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe",
    "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
    "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg",
    "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np",
    "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg",
    "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
)  # fmt: skip

# First atomic number of each period.
_PERIOD_STARTS = (1, 3, 11, 19, 37, 55, 87, 119)
# The lanthanides and actinides, drawn in two rows below the main table.
_F_BLOCKS = ((57, 71), (89, 103))
# Rows of the f-block, below the seven periods with a gap.
_F_ROW = 7.4

STATE_LABELS = {
    "detected": "detected",
    "not detected": "not detected",
    "not observable": "no edge in the measured range",
    "outside": "not among the model's elements",
}


def cell(z: int) -> tuple:
    """Where element ``z`` sits: ``(row, column)``, both from 0.

    Rows 0..6 are the periods; the lanthanides and actinides are at rows
    ``7.4`` and ``8.4``, columns 2..16 (under groups 3..17).

    Raises
    ------
    ValueError
        For an atomic number outside 1..118.
    """
    if not 1 <= z <= len(SYMBOLS):
        raise ValueError(f"Atomic number {z} is outside 1..{len(SYMBOLS)}.")
    for k, (first, last) in enumerate(_F_BLOCKS):
        if first <= z <= last:
            return _F_ROW + k, 2 + z - first
    period = next(p for p in range(7) if z < _PERIOD_STARTS[p + 1])
    i = z - _PERIOD_STARTS[period]  # position within the period
    if period == 0:
        return 0, 0 if z == 1 else 17
    if period in (1, 2):  # s-block, then the p-block at groups 13..18
        return period, i if i < 2 else 10 + i
    if period >= 5 and i >= 3:  # the f-block sits below: skip its 14 slots after group 3
        i -= 14
    return period, i


def _text_colour(rgba) -> str:
    # Dark cells take white text (luma, Rec. 601 weights).
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def draw_periodic_table(values, states, *, label, title, ax=None, cmap="YlGnBu"):
    """Draw a periodic table coloured by one value per element.

    Parameters
    ----------
    values : dict
        Element symbol -> value in 0..1 (the colour).
    states : dict
        Element symbol -> ``"detected"``, ``"not detected"`` or
        ``"not observable"``. Elements not in it are drawn faint, as outside
        the set the values are about.
    label : str
        The colour bar's label.
    title : str
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    cmap : str

    Returns
    -------
    matplotlib.figure.Figure
        Each element's cell is a ``Rectangle`` whose ``gid`` is its symbol.
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch, Rectangle

    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 6.6), layout="constrained")
    fig = ax.figure
    colours = colormaps[cmap]
    norm = Normalize(0.0, 1.0)
    styles = {
        "detected": dict(edgecolor="black", linewidth=2.4),
        "not detected": dict(edgecolor="0.55", linewidth=0.6),
        "not observable": dict(facecolor="white", edgecolor="0.78", linewidth=0.6, hatch="//"),
        "outside": dict(facecolor="0.96", edgecolor="0.86", linewidth=0.6),
    }
    pad = 0.05
    for z, symbol in enumerate(SYMBOLS, start=1):
        row, col = cell(z)
        state = states.get(symbol, "outside")
        style = dict(styles[state])
        measured = state in ("detected", "not detected")
        if measured:
            style["facecolor"] = colours(norm(values[symbol]))
        ink = _text_colour(style["facecolor"]) if measured else "0.45"
        if state == "outside":
            ink = "0.72"
        ax.add_patch(
            Rectangle(
                (col + pad, row + pad),
                1 - 2 * pad,
                1 - 2 * pad,
                gid=symbol,
                zorder=3 if state == "detected" else 2,
                **style,
            )
        )
        ax.text(col + 0.1, row + 0.1, str(z), fontsize=5.5, color=ink, va="top", zorder=4)
        ax.text(
            col + 0.5,
            row + (0.48 if measured else 0.55),
            symbol,
            fontsize=11,
            ha="center",
            va="center",
            color=ink,
            fontweight="bold" if state == "detected" else "normal",
            zorder=4,
            # Keep the hatching from running through the symbol.
            bbox=dict(facecolor="white", edgecolor="none", pad=0.5)
            if state == "not observable"
            else None,
        )
        if measured:
            ax.text(
                col + 0.5,
                row + 0.8,
                f"{values[symbol]:.2f}",
                fontsize=6.5,
                ha="center",
                va="center",
                color=ink,
                zorder=4,
            )
    # Where the f-block belongs in periods 6 and 7.
    for row, (first, last) in zip((5, 6), _F_BLOCKS, strict=True):
        ax.text(
            2.5, row + 0.5, f"{first}–{last}", fontsize=6.5, ha="center", va="center", color="0.45"
        )

    ax.set_xlim(-0.1, 18.1)
    ax.set_ylim(_F_ROW + 2.1, -0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)

    # Legend and colour bar in the gap above the transition metals.
    handles = [
        Patch(**{**styles["detected"], "facecolor": colours(0.8)}, label=STATE_LABELS["detected"]),
        Patch(
            **{**styles["not detected"], "facecolor": colours(0.15)},
            label=STATE_LABELS["not detected"],
        ),
        Patch(**styles["not observable"], label=STATE_LABELS["not observable"]),
        Patch(**styles["outside"], label=STATE_LABELS["outside"]),
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(2.2, 0.0),
        bbox_transform=ax.transData,
        ncols=2,
        fontsize=8,
        frameon=False,
        handlelength=1.6,
        handleheight=1.2,
    )
    # Inset bounds are in axes fraction; transLimits maps data there.
    (x0, y0), (x1, y1) = ax.transLimits.transform([(2.4, 2.55), (11.6, 2.25)])
    cax = ax.inset_axes([x0, y0, x1 - x0, y1 - y0])
    bar = fig.colorbar(ScalarMappable(norm, colours), cax=cax, orientation="horizontal")
    bar.set_label(label, fontsize=8, labelpad=2)
    bar.ax.tick_params(labelsize=7)
    bar.ax.xaxis.set_label_position("top")
    return fig
