"""Benchmark of :func:`eels_autoid.quantify` on a labelled folder of real spectra.

The folder's ``labels.json`` gives, per file, the ``elements`` whose edges are
visible and, for compounds, a ``composition`` as atom counts
(``{"Al": 2, "O": 3}``). The *scored* elements of a file are those both in its
composition and in its labels; the expected atomic fractions are the
composition's counts renormalised over them. Files with fewer than two
scored elements are skipped: a fraction of 1 is trivial.

Each file's summed spectrum (maps and line scans are summed over their
pixels) is quantified twice, with the labelled elements and with the
elements :func:`eels_autoid.identify_edges` finds in it, as a user would.

Scoring rules
-------------
- Error of an element: ``|measured - expected| / expected``, with the
  measured fractions renormalised over the quantified elements other than
  ``exclude`` (carbon, unless the composition holds it: contamination).
- An element quantified but not in the composition (identified, or a
  labelled impurity) is expected at 0: it has no relative error of its own
  and is listed apart, but it takes its share from the scored elements,
  whose errors grow.
- A scored element that is not quantified (not identified, or dropped by
  quantify) is measured at 0: error 1.0. So is every scored element of a
  file where quantify (or the identification) raises: the file counts as a
  failure, with its reason, and its elements weigh in the figures at 1.0 -
  a failure gives the user no number, like a miss.
- Two-element files also give the error of the ratio ``heavier / lighter``
  (by Z): ``|measured ratio / expected ratio - 1|``; infinite when either
  element has no measured fraction (failure, miss) or the lighter one
  measures 0, so a failure never looks better than a poor measurement.
- The edge family (K, L, M, N) of an element is that of its lowest-onset
  major edge (K, L2,3, M4,5, N4,5) among the edges quantify fitted for it;
  for an element without a fitted edge, its lowest observable edge in the
  window (:func:`eels_autoid.vocabulary.observable_edges`). A ratio counts in
  the family rows of both its elements.
- Whether the stated uncertainty is honest: an element's error is
  *covered* when ``|measured - expected|`` is at most twice quantify's
  ``atomic_fraction_uncertainty`` (renormalised like the fraction); about
  95 % would be covered if the uncertainties held every source of error.
  Misses and failures have no uncertainty and are not covered.
- Files where a scored lanthanide (La..Lu) has no observable edge in the
  window other than N4,5 are reported apart (their weak, broad N4,5
  cross-sections are the least reliable): none of their elements or
  ratios counts in the main figures.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np

from .. import vocabulary
from .._results_folder import ResultsFolder
from ._evaluate import _load_spectrum, folder_half

__all__ = [
    "evaluate_quantification",
    "format_quantification_report",
    "write_quantification_report",
]

SOURCES = ("labelled", "identified")
FAMILIES = ("K", "L", "M", "N")
LANTHANIDES = vocabulary.ELEMENTS[
    vocabulary.ELEMENTS.index("La") : vocabulary.ELEMENTS.index("Lu") + 1
]
_HERE = Path(__file__).resolve()
_FAMILY_LETTER = {"K": "K", "L2,3": "L", "M4,5": "M", "N4,5": "N"}
_SUBSHELL_FAMILY = {
    sub: _FAMILY_LETTER[family] for family, subs in vocabulary.EDGE_FAMILIES.items() for sub in subs
}

SUMMARY_FIELDS = [
    "source",
    "half",
    "family",
    "n",
    "median",
    "within10",
    "within20",
    "ratio_median",
    "n_ratio",
    "files",
    "failed",
    "covered",
]
PER_ELEMENT_FIELDS = [
    "source",
    "file",
    "half",
    "element",
    "family",
    "edges",
    "expected",
    "measured",
    "error",
    "status",
    "apart",
    "uncertainty",
]
PER_FILE_FIELDS = [
    "source",
    "file",
    "half",
    "group",
    "status",
    "reason",
    "scored",
    "elements",
    "quantified",
    "extra",
    "missed",
    "median_error",
    "max_error",
    "ratio",
    "ratio_expected",
    "ratio_measured",
    "ratio_error",
    "apart",
    "beam_energy_kV",
    "beam_energy_from",
    "defaulted",
    "warnings",
]


def _sources(elements):
    sources = [elements] if isinstance(elements, str) else list(elements)
    bad = [s for s in sources if s not in SOURCES]
    if bad or not sources:
        raise ValueError(f"elements must be 'labelled', 'identified' or both, not {elements!r}.")
    return list(dict.fromkeys(sources))


def _window(signal):
    """(start, end) of the energy axis in eV, or None if it is not an energy axis."""
    from .._energy_axis import energy_axis

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no units, assuming eV": quantify says so too
            axis = energy_axis(signal)
    except (TypeError, ValueError):
        return None
    return axis.offset, axis.end


def _window_edges(element, window):
    if window is None:
        return []
    return [e for e in vocabulary.observable_edges(*window) if e.element == element]


def edge_family(element, window, decisions=()):
    """The edge family ("K", "L", "M" or "N") that an element is scored under.

    Parameters
    ----------
    element : str
    window : (float, float) or None
        The spectrum's energy range (eV).
    decisions : iterable of EdgeDecision
        Quantify's edge decisions (``Quantification.edges``).

    Returns
    -------
    str
        The family of the element's lowest-onset fitted major edge; without
        one, of its lowest observable edge in the window; ``""`` if neither.
    """
    fitted = [
        (d.onset, _SUBSHELL_FAMILY[d.subshell])
        for d in decisions
        if d.element == element and d.fitted and d.subshell in _SUBSHELL_FAMILY
    ]
    if fitted:
        return min(fitted)[1]
    edges = _window_edges(element, window)
    return _FAMILY_LETTER[min(edges).name] if edges else ""


def lanthanide_n45_only(element, window) -> bool:
    """Whether a lanthanide's only observable edges in the window are N4,5."""
    if element not in LANTHANIDES:
        return False
    return {e.name for e in _window_edges(element, window)} == {"N4,5"}


def _beam_energy(signal, entry):
    """(beam energy to pass to quantify or None, where it comes from)."""
    if signal.metadata.get_item("Acquisition_instrument.TEM.beam_energy", None) is not None:
        return None, "metadata"
    if entry.get("beam_energy_kV") is not None:
        return float(entry["beam_energy_kV"]), "labels"
    return None, "default"


def _quantify_file(summed, elements, beam_energy):
    """(Quantification, UserWarning messages) of a summed spectrum.

    ``elements`` is a list of symbols, or the identification to quantify as
    a user would (``quantify(s, result)``).
    """
    import eels_autoid

    given = dict(elements=elements) if isinstance(elements, list) else dict(identification=elements)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q = eels_autoid.quantify(summed, beam_energy=beam_energy, show_progressbar=False, **given)
    # quantify's own warnings point at its caller, here; HyperSpy's deprecation
    # notices point inside HyperSpy and say nothing about the spectrum.
    messages = [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning) and Path(w.filename).resolve() == _HERE
    ]
    return q, list(dict.fromkeys(messages))


def _ratio(scored, expected, measured):
    """(name, expected, measured, error) of a two-element file's heavier/lighter ratio."""
    light, heavy = sorted(scored, key=vocabulary.atomic_number)
    exp = expected[heavy] / expected[light]
    m_heavy, m_light = measured.get(heavy), measured.get(light)
    if m_heavy is None or m_light is None or m_light <= 0:
        return f"{heavy}/{light}", exp, None, math.inf
    got = m_heavy / m_light
    return f"{heavy}/{light}", exp, got, abs(got / exp - 1.0)


def _score_file(name, entry, source, summed, window, net, threshold, exclude):
    """The per-file record and per-element rows of one file and one element source."""
    composition = entry["composition"]
    scored = sorted(
        (el for el in composition if el in entry["elements"]), key=vocabulary.atomic_number
    )
    total = sum(float(composition[el]) for el in scored)
    expected = {el: float(composition[el]) / total for el in scored}
    ignored = {el for el in exclude if el not in composition}
    apart = any(lanthanide_n45_only(el, window) for el in scored)
    beam_energy, beam_from = _beam_energy(summed, entry)
    record = dict(
        source=source,
        file=name,
        half=folder_half(name),
        group=entry.get("source_group", ""),
        status="ok",
        reason="",
        scored=scored,
        elements=[],
        expected=expected,
        quantified=[],
        extra=[],
        missed=[],
        dropped={},
        measured={},
        uncertainty={},
        apart=apart,
        beam_energy_kV=beam_energy,
        beam_energy_from=beam_from,
        defaulted=[],
        warnings=[],
    )
    q = None
    try:
        if source == "labelled":
            elements = list(entry["elements"])
            record["elements"] = elements
        else:
            elements = _identified(summed, net, threshold)
            record["elements"] = list(elements.elements)
        q, record["warnings"] = _quantify_file(summed, elements, beam_energy)
    except Exception as err:  # any failure is a result of the benchmark, with its reason
        record.update(status="failed", reason=f"{type(err).__name__}: {err}")
    if q is not None:
        summary = q.summary()
        fractions = {r.element: float(r.atomic_fraction) for r in summary}
        uncertainties = {r.element: float(r.atomic_fraction_uncertainty) for r in summary}
        kept = {el: f for el, f in fractions.items() if el not in ignored}
        norm = sum(kept.values())
        record.update(
            quantified=list(q.elements),
            dropped=dict(q.dropped_elements),
            defaulted=list(q.defaulted_settings),
            beam_energy_kV=float(q.microscope["beam_energy"]),
        )
        if not all(math.isfinite(f) for f in kept.values()):
            record.update(status="failed", reason="quantify returned non-finite fractions")
        else:
            record["measured"] = {el: (f / norm if norm > 0 else 0.0) for el, f in kept.items()}
            record["uncertainty"] = {
                el: (uncertainties[el] / norm if norm > 0 else math.nan) for el in kept
            }
            record["extra"] = [el for el in record["measured"] if el not in composition]
            record["missed"] = [el for el in scored if el not in record["measured"]]
    decisions = q.edges if q is not None else ()
    rows = []
    for el in scored + record["extra"]:
        exp = expected.get(el, 0.0)
        got = record["measured"].get(el)
        if el in record["extra"]:
            status = "extra"
        elif record["status"] == "failed":
            status = "failed"
        elif got is not None:
            status = "measured"
        else:
            status = "dropped" if el in record["dropped"] else "missed"
        # Expected at 0, an extra element has no relative error; nothing measured is 0.
        error = None if status == "extra" else abs((got or 0.0) - exp) / exp
        sigma = record["uncertainty"].get(el, math.nan)
        rows.append(
            dict(
                source=source,
                file=name,
                half=record["half"],
                element=el,
                family=edge_family(el, window, decisions),
                edges=" ".join(d.subshell for d in decisions if d.element == el and d.fitted),
                expected=exp,
                measured=got,
                uncertainty=sigma,
                error=error,
                status=status,
                apart=apart,
            )
        )
    errors = [r["error"] for r in rows if r["error"] is not None]
    record["median_error"] = float(np.median(errors))
    record["max_error"] = float(np.max(errors))
    record["families"] = {r["element"]: r["family"] for r in rows if r["status"] != "extra"}
    if len(scored) == 2:
        ratio = _ratio(scored, expected, record["measured"])
        record.update(
            ratio=ratio[0], ratio_expected=ratio[1], ratio_measured=ratio[2], ratio_error=ratio[3]
        )
    return record, rows


def _identified(summed, net, threshold):
    import eels_autoid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cropping warnings: expected on wide windows
        return eels_autoid.identify_edges(
            summed, model=net, threshold=threshold, show_progressbar=False
        )


def _share(errors, limit):
    return float(np.mean(np.asarray(errors) <= limit)) if errors else math.nan


def summarise(rows, records, sources, halves=("all", 1, 2)):
    """Summary rows (source x half x family) of per-element rows and per-file records.

    Rows and records reported apart (N4,5-only lanthanides) and elements
    expected at 0 are left out.
    """
    out = []
    for source in sources:
        for half in halves:
            for family in ("all", *FAMILIES):

                def cell(x, half=half, source=source):
                    return x["source"] == source and not x["apart"] and half in ("all", x["half"])

                counted = [
                    r
                    for r in rows
                    if cell(r) and r["status"] != "extra" and family in ("all", r["family"])
                ]
                if not counted and family != "all":
                    continue
                names = {r["file"] for r in counted}
                files = [f for f in records if cell(f) and f["file"] in names]
                if half != "all" and not files:
                    continue
                ratios = [
                    f["ratio_error"]
                    for f in files
                    if "ratio_error" in f and family in ("all", *f["families"].values())
                ]
                errors = [r["error"] for r in counted]
                covered = [
                    abs(r["measured"] - r["expected"]) <= 2.0 * r["uncertainty"]
                    for r in counted
                    if r["measured"] is not None and math.isfinite(r["uncertainty"])
                ]
                out.append(
                    dict(
                        source=source,
                        half=half,
                        family=family,
                        n=len(errors),
                        median=float(np.median(errors)) if errors else math.nan,
                        within10=_share(errors, 0.10),
                        within20=_share(errors, 0.20),
                        covered=float(np.mean(covered)) if covered else math.nan,
                        ratio_median=float(np.median(ratios)) if ratios else math.nan,
                        n_ratio=len(ratios),
                        files=len(files),
                        failed=sum(f["status"] == "failed" for f in files),
                    )
                )
    return out


def evaluate_quantification(
    directory,
    *,
    elements="labelled",
    files=None,
    half=None,
    model=None,
    threshold=None,
    labels="labels.json",
    exclude=("C",),
):
    """Benchmark :func:`eels_autoid.quantify` on the compounds of a labelled folder.

    Parameters
    ----------
    directory : str or pathlib.Path
        Folder with the spectra and a labels file whose entries have
        ``elements`` and, for compounds, ``composition`` (atom counts).
    elements : {"labelled", "identified"} or sequence of them
        Quantify each file with its labelled elements, with the elements
        :func:`eels_autoid.identify_edges` finds in it, or both.
    files : iterable of str, optional
        Only these entries of the labels file.
    half : {1, 2}, optional
        Only the files of this half of the folder
        (:func:`~eels_autoid.evaluation.folder_half`).
    model : str, pathlib.Path or IdentificationModel, optional
        Identification model for ``"identified"`` (default: the bundled one).
    threshold : float or dict, optional
        Override the model's thresholds.
    labels : str
        Name of the labels file inside ``directory``.
    exclude : iterable of str
        Elements quantified when labelled or identified (their edges shape
        the background) but left out of the scoring and of the
        renormalisation of the measured fractions, unless the composition
        holds them (default carbon: contamination).

    Returns
    -------
    dict
        ``files`` (one record per file and source: status and reason,
        expected and measured fractions, extra and missed elements, ratio,
        beam energy used and its origin, quantify's warnings), ``elements``
        (one row per scored or extra element: family, expected, measured,
        error, status), ``summary`` (median error, shares within 10 % and
        20 %, median ratio error by source, half and family), ``skipped``
        (files with a composition but fewer than two scored elements),
        ``sources``, ``half`` and ``model``. The scoring rules are in this
        module's docstring.

    Raises
    ------
    ValueError
        For an unknown ``elements`` or ``half``, or no file to benchmark.
    """
    sources = _sources(elements)
    if half is not None and half not in (1, 2):
        raise ValueError(f"half must be 1 or 2, not {half!r}.")
    import json

    directory = Path(directory)
    with open(directory / labels) as f:
        table = json.load(f)
    names = list(table) if files is None else list(files)
    if half is not None:
        names = [n for n in names if folder_half(n) == half]
    chosen, skipped = [], []
    for name in names:
        entry = table[name]
        composition = entry.get("composition")
        if not composition:
            continue
        scored = [el for el in composition if el in entry["elements"]]
        if len(scored) < 2:
            skipped.append(
                dict(
                    file=name,
                    reason=f"{len(scored)} scored element(s) ({', '.join(scored) or 'none'} of "
                    f"{', '.join(composition)} labelled): a fraction of 1 is trivial",
                )
            )
            continue
        chosen.append(name)
    if not chosen:
        raise ValueError(
            f"No file in {directory / labels} has a composition with two or more labelled "
            "elements to benchmark."
        )
    net = None
    if "identified" in sources:
        from eels_autoid.models import load_model

        net = load_model(model)
    records, rows = [], []
    for name in chosen:
        s = _load_spectrum(directory / name)
        summed = s.sum(s.axes_manager.navigation_axes) if s.axes_manager.navigation_dimension else s
        window = _window(summed)
        for source in sources:
            record, element_rows = _score_file(
                name, table[name], source, summed, window, net, threshold, exclude
            )
            records.append(record)
            rows.extend(element_rows)
    halves = ("all", 1, 2) if half is None else ("all",)
    summary = summarise(rows, records, sources, halves)
    if half is not None:
        for r in summary:
            r["half"] = half
    return dict(
        sources=sources,
        half=half,
        model=None if net is None else net.card.name,
        exclude=list(exclude),
        files=records,
        elements=rows,
        summary=summary,
        skipped=skipped,
    )


def _num(v, digits=3):
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf"
        return f"{v:.{digits}f}"
    return v


def _pct(v):
    return "  n/a" if v is None or math.isnan(v) else f"{100 * v:4.0f}%"


def format_quantification_report(report) -> str:
    """A plain-text summary of :func:`evaluate_quantification`'s report."""
    n_files = len({f["file"] for f in report["files"]})
    lines = [
        f"Quantification benchmark: {n_files} files with two or more scored elements"
        + (f" (half {report['half']} of the folder)" if report.get("half") else "")
        + (f"; identification model {report['model']}" if report.get("model") else ""),
        "Error = |measured - expected| / expected of atomic fractions over the scored elements "
        "(in composition and labels); a miss or failure counts 1.0.",
        "Covered: the share of measured elements whose error is at most twice the stated "
        "uncertainty.",
        f"{'source':<11}{'half':<5}{'family':<7}{'n':>4}{'median':>8}{'<=10%':>7}{'<=20%':>7}"
        f"{'covered':>8}{'ratio med.':>11}{'(n)':>5}{'failed':>7}",
    ]
    for r in report["summary"]:
        ratio = _num(r["ratio_median"]) or "  n/a"
        lines.append(
            f"{r['source']:<11}{r['half']!s:<5}{r['family']:<7}{r['n']:>4}"
            f"{_num(r['median']) or 'n/a':>8}{_pct(r['within10']):>7}{_pct(r['within20']):>7}"
            f"{_pct(r['covered']):>8}{ratio:>11}{r['n_ratio']:>5}{r['failed']:>7}"
        )
    lines.append("Per file (median error; ratio error):")
    by_file = {}
    for f in report["files"]:
        by_file.setdefault(f["file"], {})[f["source"]] = f
    for name, per_source in by_file.items():
        parts = []
        for source, f in per_source.items():
            if f["status"] == "failed":
                parts.append(f"{source} FAILED")
                continue
            text = f"{source} {f['median_error']:.3f}"
            if "ratio_error" in f:
                text += f"; {f['ratio']} {_num(f['ratio_error'])}"
            notes = [f"+{e}" for e in f["extra"]] + [f"-{e}" for e in f["missed"]]
            if notes:
                text += f" [{' '.join(notes)}]"
            parts.append(text)
        first = next(iter(per_source.values()))
        mark = "  (apart: N4,5 lanthanide)" if first["apart"] else ""
        lines.append(
            f"  {name} (half {first['half']}, {'/'.join(first['scored'])}): "
            + " | ".join(parts)
            + mark
        )
    apart = [r for r in report["elements"] if r["apart"] and r["status"] != "extra"]
    if apart:
        lines.append("Lanthanides seen only through N4,5, not in the figures above:")
        for r in apart:
            lines.append(
                f"  {r['source']:<11}{r['file']}: {r['element']} ({r['family'] or '?'}) expected "
                f"{r['expected']:.3f} measured {_num(r['measured']) or '-'} error {r['error']:.3f}"
            )
    failed = [f for f in report["files"] if f["status"] == "failed"]
    lines.append(f"Failures: {len(failed)}")
    for f in failed:
        lines.append(f"  {f['source']:<11}{f['file']}: {f['reason'].splitlines()[0]}")
    defaulted = sorted({f["file"] for f in report["files"] if f["beam_energy_from"] == "default"})
    if defaulted:
        lines.append(
            f"Beam energy from quantify's default (not in metadata or labels): {len(defaulted)} "
            "files"
        )
    if report["skipped"]:
        lines.append(
            f"Skipped (fewer than two scored elements): {len(report['skipped'])} files with a "
            "composition"
        )
    return "\n".join(lines)


def _csv_value(v):
    if isinstance(v, (list, tuple)):
        # Warnings hold semicolons and commas of their own.
        sep = " | " if any(" " in str(x) for x in v) else ";"
        return sep.join(map(str, v))
    if isinstance(v, dict):
        return ";".join(f"{k}={_csv_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return _num(v, 6)
    return "" if v is None else v


def _write(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _csv_value(r.get(k)) for k in fields})


def write_quantification_report(report, out_dir) -> Path:
    """Write ``quantification_per_element.csv``, ``quantification_per_file.csv``,
    ``quantification_summary.csv`` and ``quantification_summary.txt`` in ``out_dir``.

    Parameters
    ----------
    report : dict
        From :func:`evaluate_quantification`.
    out_dir : str, pathlib.Path or ResultsFolder
        The folder (created), as a results folder: the files an earlier
        report wrote there are replaced, and nothing else.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    if not isinstance(out_dir, ResultsFolder):
        with ResultsFolder(out_dir) as folder:
            return write_quantification_report(report, folder)
    out = out_dir
    _write(out.file("quantification_per_element.csv"), report["elements"], PER_ELEMENT_FIELDS)
    records = [
        dict(f, warnings=[" ".join(w.split()) for w in f["warnings"]]) for f in report["files"]
    ]
    _write(out.file("quantification_per_file.csv"), records, PER_FILE_FIELDS)
    _write(out.file("quantification_summary.csv"), report["summary"], SUMMARY_FIELDS)
    out.file("quantification_summary.txt").write_text(format_quantification_report(report) + "\n")
    return out.root
