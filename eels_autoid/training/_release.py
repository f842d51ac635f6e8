"""From a training run to a released model: weights, threshold, figures, card.

:func:`release_model` turns a run of :func:`eels_autoid.training.train`
into a model:

1. its network: the run's best checkpoint, the mean weights of several of
   its checkpoints (:func:`average_checkpoints`: as fast as one network) or
   an ensemble of checkpoints;
2. its threshold: :func:`eels_autoid.evaluation.best_threshold` over a sweep
   of the run's simulated validation set and, if given, labelled real
   spectra (carbon excluded), each weighing equally;
3. its figures at that threshold: a simulated test set drawn with the
   simulator's default parameters (:func:`simulated_test_set`) and the real
   spectra, summed and per pixel;
4. its card, written by :class:`~eels_autoid.models.ModelCard`.

:func:`add_specialist` releases a specialist run into a copy of a model,
measuring the model with it, without it and without any specialist.
:func:`install_model` copies a released model (its card and every network
it lists) into a folder such as ``eels_autoid/weights``. Nothing is
installed until then: both releases write into a results folder, by default
``RUN/release``, holding ``model/`` and the evaluation reports.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from .._results_folder import ResultsFolder

__all__ = [
    "THRESHOLD_SWEEP",
    "TEST_SEED",
    "TEST_SIZE",
    "add_specialist",
    "average_checkpoints",
    "card_figures",
    "install_model",
    "release_model",
    "simulated_test_set",
]

# The thresholds the threshold of a release is chosen from.
THRESHOLD_SWEEP = np.round(np.arange(0.05, 0.951, 0.01), 2)
# The simulated test set of every release: the simulator's default parameters
# and a seed no run validates on.
TEST_SEED = 20261121
TEST_SIZE = 4096
# Card fields about a run that no file of the run holds: they are written by
# hand at release (``note``) or carried from an earlier card (``notes_from``).
HAND_WRITTEN = ("warm_start", "note")


def _say(message):
    # Progress of a release of many minutes; standard output holds its results.
    print(message, file=sys.stderr, flush=True)


def _rounded(value):
    """A figure for a card: 4 decimals, None where undefined."""
    value = float(value)
    return None if np.isnan(value) else round(value, 4)


def average_checkpoints(paths):
    """One network whose weights are the mean of several checkpoints' weights.

    Checkpoints of one run along its final plateau: their mean usually sits
    nearer the plateau's centre than any one of them, and it runs as fast as
    a single network.

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        ``.keras`` checkpoints of one architecture.

    Returns
    -------
    keras.Model
        The network of ``paths[0]`` with the mean weights.

    Raises
    ------
    ValueError
        If there is no checkpoint, or their weights differ in number or shape.
    """
    from ._export import _load

    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("No checkpoint to average.")
    networks = [_load(p) for p in paths]
    weights = [net.get_weights() for net in networks]
    shapes = [[w.shape for w in ws] for ws in weights]
    for path, s in zip(paths[1:], shapes[1:], strict=True):
        if s != shapes[0]:
            raise ValueError(
                f"Checkpoints to average must share one architecture: {path} differs "
                f"from {paths[0]}."
            )
    networks[0].set_weights(
        [np.mean(np.stack(ws), axis=0).astype(ws[0].dtype) for ws in zip(*weights, strict=True)]
    )
    return networks[0]


def simulated_test_set(path, size=TEST_SIZE, seed=TEST_SEED):
    """The simulated test set of a release, drawn once and kept in ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.npz`` file. One already there is taken as it is: name it after
        the simulator version, the seed and the size.
    size : int
        Spectra, drawn with :class:`eels_autoid.simulate.TrainingBatches`
        (the simulator's default parameters).
    seed : int

    Returns
    -------
    pathlib.Path
        ``path``: an ``.npz`` file with ``x`` (size, 3072, 2) and ``y`` (size, 80).
    """
    from ..simulate import TrainingBatches

    path = Path(path)
    if path.is_file():
        return path
    # Batches of 256, as the bundled cards' test sets were drawn: the same seed, the same spectra.
    batch = min(256, int(size))
    source = TrainingBatches(batch, seed=seed)
    xs, ys = [], []
    for i in range(-(-int(size) // batch)):
        x, y = source[i]
        xs.append(x)
        ys.append(y)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, x=np.concatenate(xs)[:size], y=np.concatenate(ys)[:size])
    tmp.replace(path)
    return path


def card_figures(report) -> dict:
    """A card's figures of an evaluation report.

    Parameters
    ----------
    report : dict
        From :func:`~eels_autoid.evaluation.evaluate_arrays`,
        :func:`~eels_autoid.evaluation.evaluate_test_set` or
        :func:`~eels_autoid.evaluation.evaluate_folder`.

    Returns
    -------
    dict
        Micro ``precision``, ``recall``, ``f1``, ``exact_match``, then
        ``support_weighted_f1``, ``n_spectra`` and ``ece``; for a folder also
        ``excluded``, Kong et al.'s ``kong_exact`` and ``kong_recognition``,
        ``per_pixel_f1`` and the F1 of each source group ``by_group``.
        Figures to 4 decimals, None where undefined.
    """
    figures = {
        k: _rounded(report["micro"][k]) for k in ("precision", "recall", "f1", "exact_match")
    }
    figures["support_weighted_f1"] = _rounded(report["support_weighted"]["f1"])
    figures["n_spectra"] = int(report["n_spectra"])
    figures["ece"] = _rounded(report["reliability"]["ece"])
    if "files" in report:
        figures.update(
            excluded=list(report["excluded"]),
            kong_exact=_rounded(report["kong"]["exact_accuracy"]),
            kong_recognition=_rounded(report["kong"]["recognition_accuracy"]),
            per_pixel_f1=_rounded(report.get("per_pixel", {}).get("f1", float("nan"))),
            by_group={g: _rounded(s["f1"]) for g, s in report["by_group"].items()},
        )
    return figures


def _read_run(run):
    files = {}
    for name in ("config", "state"):
        path = run / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{run} is not a training run: it has no {name}.json.")
        files[name] = json.loads(path.read_text())
    return files["config"], files["state"]


def _predict(model, x, batch=256):
    return np.concatenate([model.predict(x[i : i + batch]) for i in range(0, len(x), batch)])


def _notes(training, notes_from, specialist=None, note=None):
    """Add the hand-written fields of a card's ``training`` (see HAND_WRITTEN) to ``training``."""
    from ..models import ModelCard

    if notes_from is not None:
        card = ModelCard.read(notes_from)
        if specialist is None:
            source = card.info.get("training", {})
        else:
            entries = [e for e in card.specialists if e.get("name") == specialist]
            source = entries[0].get("training", {}) if entries else {}
        training.update({k: source[k] for k in HAND_WRITTEN if k in source})
    if note:
        training["note"] = note
    return training


class _Measure:
    """The figures of models on a release's simulated test set and real spectra."""

    def __init__(self, cache_dir, real, test_size, test_seed):
        from ..simulate import SIMULATOR_VERSION

        self.real = None if real is None else Path(real)
        self.seed = test_seed
        self.version = f"eels_autoid.simulate {SIMULATOR_VERSION}"
        name = f"simulated_test_v{SIMULATOR_VERSION}_seed{test_seed}_n{test_size}.npz"
        self.test_set = Path(cache_dir) / name
        self.size = test_size

    def reports(self, model):
        """(simulated test report, real report or None) of ``model`` at its card's thresholds."""
        from ..evaluation import evaluate_folder, evaluate_test_set

        _say(f"Measuring on {self.size} simulated test spectra ...")
        sim = evaluate_test_set(
            simulated_test_set(self.test_set, self.size, self.seed), model=model
        )
        real = None
        if self.real is not None:
            _say(f"Measuring on the real spectra of {self.real} ...")
            real = evaluate_folder(self.real, model=model, per_pixel=True, sweep=THRESHOLD_SWEEP)
        return sim, real

    def figures(self, sim, real):
        """The card's ``simulated_test`` and ``real`` figures of two reports."""
        out = dict(
            simulated_test=dict(
                card_figures(sim),
                seed=self.seed,
                parameters="simulator defaults",
                data_version=self.version,
            )
        )
        if real is not None:
            out["real"] = card_figures(real)
        return out


def _threshold_choice(real, real_half):
    if real is None:
        return "max of the micro F1 of simulated validation"
    half = f" (half {real_half})" if real_half else ""
    return f"max of the mean micro F1 of simulated validation and real validation{half}"


def release_model(
    run_dir,
    out_dir=None,
    *,
    name=None,
    average=(),
    members=(),
    real=None,
    real_half=None,
    test_size=TEST_SIZE,
    test_seed=TEST_SEED,
    note=None,
    notes_from=None,
    source=None,
):
    """Release a training run as a model: network, threshold, figures and card.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run of :func:`eels_autoid.training.train`.
    out_dir : str or pathlib.Path, optional
        The results folder (default ``run_dir/release``): ``model/`` (the
        card and its networks), and the evaluation reports
        (:func:`eels_autoid.evaluation.write_report`) ``simulated_validation/``,
        ``real_validation/`` (the real spectra the threshold was chosen on),
        ``simulated_test/`` and ``real/``. What an earlier release wrote
        there is replaced.
    name : str, optional
        The model's name (default ``[export] name`` of the run's
        configuration, else the run's name).
    average : sequence of path, optional
        Checkpoints of the run whose mean weights make the network
        (:func:`average_checkpoints`), instead of the best checkpoint.
    members : sequence of path, optional
        Checkpoints of the run that make an ensemble instead.
    real : str or pathlib.Path, optional
        A labelled folder of real spectra (see
        :func:`eels_autoid.evaluation.evaluate_folder`): half of the
        threshold choice, and the card's ``real`` figures. Without it, the
        threshold is chosen on the simulated validation set alone.
    real_half : {1, 2}, optional
        Choose the threshold on this half of ``real`` only (the figures are
        measured on all of it).
    test_size, test_seed : int
        The simulated test set (:func:`simulated_test_set`, kept in the run
        folder).
    note : str, optional
        The card's ``training.note``.
    notes_from : str or pathlib.Path, optional
        A card whose ``training.warm_start`` and ``training.note`` (what the
        run's files do not say: where its weights started from) this card
        takes over; ``note`` replaces the latter.
    source : callable, optional
        The run's data source, if not its configuration's ``[data] source``
        (to redraw the validation set).

    Returns
    -------
    pathlib.Path
        The card, ``out_dir/model/<name>.json``.
    """
    from ..evaluation import best_threshold, evaluate_arrays, evaluate_folder, write_report
    from ..models import load_model
    from ..vocabulary import ELEMENTS
    from ._config import output_elements
    from ._data import validation_data
    from ._export import _load, best_checkpoint, export_model, run_info

    run = Path(run_dir)
    config, state = _read_run(run)
    if output_elements(config) != ELEMENTS:
        raise ValueError(
            f"{run} trained a specialist ([simulator] focus): add it to a model with "
            "add_specialist (eels-autoid release --specialist-of CARD)."
        )
    if average and members:
        raise ValueError("Average checkpoints or ship them as an ensemble, not both.")
    if real_half not in (None, 1, 2):
        raise ValueError(f"real_half must be 1 or 2, not {real_half!r}.")
    if real_half and real is None:
        raise ValueError("real_half chooses among real spectra: give real too.")
    if average:
        networks = [average_checkpoints(average)]
    elif members:
        networks = [_load(m) for m in members]
    else:
        networks = [_load(best_checkpoint(run))]
    info = run_info(config, state, networks[0])
    if average:
        info["architecture"]["averaged_checkpoints"] = [Path(p).name for p in average]
    if members:
        info["architecture"]["ensemble_members"] = [Path(p).name for p in members]
    _notes(info["training"], notes_from, note=note)
    info["metrics"] = {}  # filled below; placed before the export time stamp
    name = name or config["export"]["name"] or config["name"]
    measure = _Measure(run, real, test_size, test_seed)

    with ResultsFolder(run / "release" if out_dir is None else out_dir) as folder:
        card_path = export_model(networks, folder.folder("model"), name, threshold=0.5, info=info)
        model = load_model(card_path)
        for file in (card_path.name, *model.card.members):
            folder.record(card_path.parent / file)

        _say("Predicting the simulated validation set ...")
        x_val, y_val = validation_data(config, source)
        p_val = _predict(model, x_val)
        sweeps = [evaluate_arrays(y_val, p_val, 0.5, sweep=THRESHOLD_SWEEP)["threshold_sweep"]]
        if real is not None:
            _say(f"Choosing the threshold on the real spectra of {real} ...")
            real_val = evaluate_folder(
                real, model=model, per_pixel=False, sweep=THRESHOLD_SWEEP, half=real_half
            )
            write_report(real_val, folder.subfolder("real_validation"))
            sweeps.append(real_val["threshold_sweep"])
        threshold = best_threshold(sweeps=sweeps)
        at = [r["threshold"] for r in sweeps[0]].index(threshold)
        f1 = ", ".join(
            f"{what} {rows[at]['f1']:.3f}"
            for what, rows in zip(("simulated validation", "real"), sweeps, strict=False)
        )
        _say(f"Threshold {threshold:.2f} (micro F1: {f1})")

        model.card.threshold = threshold
        sim_val = evaluate_arrays(y_val, p_val, threshold, sweep=THRESHOLD_SWEEP)
        sim_test, real_report = measure.reports(model)
        for subfolder, report in (
            ("simulated_validation", sim_val),
            ("simulated_test", sim_test),
            ("real", real_report),
        ):
            if report is not None:
                write_report(report, folder.subfolder(subfolder))
        model.card.info["metrics"] = dict(
            threshold_choice=_threshold_choice(real, real_half),
            simulated_validation=card_figures(sim_val),
            **measure.figures(sim_test, real_report),
        )
        model.card.save(card_path)
    return card_path


def add_specialist(
    run_dir,
    card,
    out_dir=None,
    *,
    average=(),
    gate=None,
    defer_edges=(),
    defer_elements=(),
    min_channels=None,
    real=None,
    test_size=TEST_SIZE,
    test_seed=TEST_SEED,
    note=None,
    notes_from=None,
    source=None,
):
    """Release a specialist run into a copy of a model, and measure what it changes.

    The specialist is listed under the card's ``specialists`` (replacing an
    entry of the same name in its place, keeping the others) with its
    regions, gate, deferred edges and elements, architecture, training and
    recipe, and its figures on the run's validation set (family columns,
    threshold 0.5; of the best checkpoint, ``best_checkpoint_validation``,
    when the network is a mean of checkpoints). The model is then measured
    with it, without it (the other specialists kept) and without any
    specialist, at the card's threshold: the card's ``simulated_test`` and
    ``real`` figures become those with it, ``without_specialists`` and
    ``without_specialist[<name>]`` the others. ``card`` itself is not
    changed: :func:`install_model` installs the result.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run whose data source trained a family (``[simulator] focus``).
    card : str or pathlib.Path
        The model card to add the specialist to.
    out_dir : str or pathlib.Path, optional
        The results folder (default ``run_dir/release``): ``model/`` (the
        new card, its networks and the specialists' networks) and the
        reports ``simulated_test/`` and ``real/`` of the model with the
        specialist.
    average : sequence of path, optional
        Checkpoints of the run whose mean weights make the network, instead
        of its best checkpoint.
    gate, defer_edges, defer_elements, min_channels
        Where the specialist takes over (see
        :class:`eels_autoid.models.Specialist`; ``None``: its defaults).
    real : str or pathlib.Path, optional
        A labelled folder of real spectra to measure on.
    test_size, test_seed, note, notes_from, source
        As in :func:`release_model`; ``notes_from`` takes the fields of the
        specialist of the same name in that card.

    Returns
    -------
    pathlib.Path
        The new card, ``out_dir/model/<card name>.json``.
    """
    from ..evaluation import decide, micro_scores, write_report
    from ..models import IdentificationModel, Specialist, load_model
    from ..vocabulary import ELEMENTS
    from ._config import output_elements
    from ._data import validation_data
    from ._export import _inference_copy, _load, best_checkpoint, run_info

    run = Path(run_dir)
    card_path = Path(card)
    config, state = _read_run(run)
    elements = output_elements(config)
    regions = config["model"]["config"].get("regions")
    if tuple(elements) == ELEMENTS or not regions:
        raise ValueError(
            f"{run} did not train a specialist: a specialist run reads regions "
            "([model.config] regions) and outputs a family ([simulator] focus)."
        )
    name = config["export"]["name"] or config["name"]
    base = load_model(card_path)

    best = _load(best_checkpoint(run))
    network = average_checkpoints(average) if average else best
    _say("Predicting the specialist's validation set ...")
    x_val, y_val = validation_data(config, source)
    p_val = np.asarray(best.predict(x_val, batch_size=256, verbose=0), dtype=np.float64)
    val = micro_scores(y_val, decide(p_val, 0.5), elements=elements)
    figures = dict(
        n_spectra=int(len(y_val)),
        threshold=0.5,
        **{k: val[k] for k in ("precision", "recall", "f1", "exact_match")},
    )
    info = run_info(config, state, network)
    if average:
        info["architecture"]["averaged_checkpoints"] = [Path(p).name for p in average]
    where = {
        k: v
        for k, v in dict(min_channels=min_channels, gate=gate).items()
        if v is not None  # the Specialist defaults otherwise, written out below
    }
    entry = dict(name=name, members=[f"{name}.keras"], elements=list(elements), regions=regions)
    new = Specialist.from_entry(
        dict(entry, **where, defer_edges=defer_edges, defer_elements=defer_elements),
        [network],
        base.grid,
    )
    entry.update(
        min_channels=new.min_channels,
        gate=new.gate,
        defer_edges=list(new.defer_edges),
        defer_elements=list(new.defer_elements),
        architecture=info["architecture"],
        training=_notes(
            {
                k: info["training"][k]
                for k in ("epochs", "best_epoch", "spectra_seen", "stop_reason", "data_versions")
            },
            notes_from,
            specialist=name,
            note=note,
        ),
        recipe=config,
        metrics={
            "best_checkpoint_validation" if average else "simulated_validation": figures,
        },
    )

    # The card's specialists with this one in place of its namesake, or last.
    entries = list(base.card.specialists)
    names = [e.get("name") for e in entries]
    if name in names:
        entries[names.index(name)] = entry
    else:
        entries.append(entry)
    loaded = {sp.name: sp for sp in base.specialists}
    others = [loaded[e["name"]] for e in entries if e["name"] != name]
    with_it = [new if e["name"] == name else loaded[e["name"]] for e in entries]
    measure = _Measure(run, real, test_size, test_seed)

    def measured(specialists):
        variant = IdentificationModel(
            base.networks, base.card, source=base.source, specialists=specialists
        )
        return measure.reports(variant)

    _say("The model without specialists:")
    none = measured([])
    without = none  # unless other specialists stay without this one
    if others:
        _say(f"The model without {name}:")
        without = measured(others)
    _say(f"The model with {name}:")
    sim_test, real_report = measured(with_it)

    metrics = copy.deepcopy(base.card.info.get("metrics", {}))
    with_figures = measure.figures(sim_test, real_report)
    metrics["simulated_test"] = with_figures["simulated_test"]
    if real_report is not None:
        metrics["real"] = {**metrics.get("real", {}), **with_figures["real"]}
    metrics["without_specialists"] = measure.figures(*none)
    metrics["without_specialist"] = {
        **metrics.get("without_specialist", {}),
        name: measure.figures(*without),
    }
    new_card = dataclasses.replace(
        base.card,
        members=list(base.card.members),
        specialists=entries,
        info={**copy.deepcopy(base.card.info), "metrics": metrics},
    )

    with ResultsFolder(run / "release" if out_dir is None else out_dir) as folder:
        model_dir = folder.folder("model")
        target = model_dir / card_path.name
        _inference_copy(network).save(folder.file(f"model/{name}.keras"))
        for file in _member_files(new_card):
            if file != f"{name}.keras":
                shutil.copy2(card_path.parent / file, folder.file(f"model/{file}"))
        new_card.save(folder.file(f"model/{card_path.name}"))
        write_report(sim_test, folder.subfolder("simulated_test"))
        if real_report is not None:
            write_report(real_report, folder.subfolder("real"))
    return target


def _member_files(card):
    """The network files a card lists: its members, then its specialists'."""
    files = list(card.members)
    for entry in card.specialists:
        files.extend(m for m in entry.get("members", []) if m not in files)
    return files


def install_model(card, target):
    """Copy a model, its card and every network it lists, into the folder ``target``.

    Parameters
    ----------
    card : str or pathlib.Path
        The model's card (the networks are beside it).
    target : str or pathlib.Path
        The folder, e.g. ``eels_autoid/weights`` to bundle the model: a
        card of the same name there is replaced.

    Returns
    -------
    pathlib.Path
        The installed card.
    """
    from ..models import ModelCard

    card = Path(card)
    model = ModelCard.read(card)
    target = Path(target)
    files = _member_files(model)
    missing = [f for f in files if not (card.parent / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{card} lists networks that are not beside it: {missing}.")
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        if not (target / file).exists() or not (target / file).samefile(card.parent / file):
            shutil.copy2(card.parent / file, target / file)
    # The card last: it is never beside networks other than those it lists.
    model.save(target / card.name)
    return target / card.name
