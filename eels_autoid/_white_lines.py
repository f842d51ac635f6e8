"""Edges that open with white lines: which, how their pairs compare, where they peak.

The L2,3 edges of K, Ca and the 3d and 4d metals and the M4,5 edges of Cs,
Ba and the lanthanides open with sharp lines, transitions into empty d or
open 4f states that one-electron cross-section tables do not hold. The
simulator draws them; the spectrum model's calibration expects them where a
measured edge rises.
"""

from __future__ import annotations

__all__ = [
    "WHITE_LINE_POSITION",
    "WHITE_LINE_RATIO",
    "WHITE_LINE_RATIO_SPREAD",
    "WHITE_LINE_L",
    "WHITE_LINE_M",
    "has_white_lines",
    "LOWER_PARTNER",
]

# K+ and Ca2+ have empty 3d states right above the Fermi level: sharp L3, L2
# lines like Sc's (real K L2,3 next to C K shows them; without them the
# carbon sigma* bump passed for potassium).
WHITE_LINE_L = frozenset(range(19, 30)) | frozenset(range(39, 47))  # K, Ca, 3d and 4d metals
WHITE_LINE_M = frozenset(range(55, 71))  # Cs, Ba and the lanthanides: empty or open 4f

# Where a white line peaks, eV above its tabulated onset (drawn uniformly).
WHITE_LINE_POSITION = (0.5, 3.0)

# White-line intensity ratio of a spin-orbit pair, lower over upper edge:
# I(L3)/I(L2) for 3d and 4d metals, I(M5)/I(M4) for Cs..Yb. They are far from
# the statistical 2 (L) and 1.5 (M) and differ along each row: 3d ratios rise
# from ~0.8 (Ti, the two lines about equal) to ~4 (Fe), the lanthanides' from
# ~0.8 (La, M4 the larger) to >10 (Yb, M4 almost gone). Without them the
# simulated pairs are interchangeable, and so are Co L3,2 and Ba M5,4 (both
# 15 eV apart at ~780 eV) or one lanthanide and its neighbour. Typical values
# of oxides (Leapman et al. 1982, Pearson et al. 1993 for 3d; Thole et al.
# 1985, Fortner and Buck 1996 for 4f); valence spread is drawn around them.
WHITE_LINE_RATIO = {
    "K": 1.0, "Ca": 0.9, "Sc": 0.9, "Ti": 0.8, "V": 1.0, "Cr": 1.5, "Mn": 2.8,
    "Fe": 4.0, "Co": 3.5, "Ni": 3.0, "Cu": 2.5,
    "Y": 2.0, "Zr": 2.0, "Nb": 2.0, "Mo": 2.0, "Tc": 2.2, "Ru": 2.4, "Rh": 2.6, "Pd": 2.8,
    "Cs": 0.8, "Ba": 0.8, "La": 0.8, "Ce": 0.85, "Pr": 0.95, "Nd": 1.05, "Pm": 1.2,
    "Sm": 1.35, "Eu": 1.55, "Gd": 1.8, "Tb": 2.1, "Dy": 2.6, "Ho": 3.3, "Er": 4.5,
    "Tm": 7.0, "Yb": 15.0,
}  # fmt: skip
WHITE_LINE_RATIO_SPREAD = 0.25  # log-normal sigma: valence and crystal field
# The lower-energy edge of each spin-orbit pair, by its upper edge.
LOWER_PARTNER = {"L2": "L3", "M4": "M5"}


def has_white_lines(z: int, subshell: str) -> bool:
    """Whether a subshell of element ``z`` carries white lines (sharp d or f final states)."""
    if subshell in ("L3", "L2", "L2,3"):
        return z in WHITE_LINE_L
    if subshell in ("M5", "M4"):
        return z in WHITE_LINE_M
    return False
