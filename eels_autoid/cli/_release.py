"""``eels-autoid release RUN``: a training run made a model, or a specialist of one."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..energy_grid import MIN_MEASURED_CHANNELS
from ..training import TEST_SEED, TEST_SIZE
from ._common import CommandError, check_out_folder

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Release a training run (eels-autoid train) as a model: its network (the best
checkpoint, the mean weights of --average checkpoints or an ensemble of
--members), its threshold (the best mean micro F1 of the run's simulated
validation set and the --real spectra, carbon excluded), its figures at that
threshold (a simulated test set and the --real spectra) and its model card.

With --specialist-of CARD the run is a specialist instead: it joins a copy of
CARD's model under 'specialists', and the model is measured with it, without
it and without any specialist.

Writes to --out (default RUN/release):
  model/             the card and every network it lists
  simulated_validation/, real_validation/, simulated_test/, real/
                     evaluation reports (results.json, summary.txt, CSV tables)
Nothing is installed without --target (e.g. eels_autoid/weights).

Examples:
  eels-autoid release runs/edgenet-0 --real real_spectra/ --name default \\
      --average runs/edgenet-0/ep-10.keras runs/edgenet-0/ep-11.keras
  eels-autoid release runs/lanthanides-0 --specialist-of eels_autoid/weights/default.json \\
      --defer-edges M4,5 --real real_spectra/ --target eels_autoid/weights"""

# Options that apply to one kind of release only.
_MODEL_ONLY = ("name", "members", "real_half")
_SPECIALIST_ONLY = ("gate", "defer_edges", "defer_elements", "min_channels")


def add_parser(sub):
    p = sub.add_parser(
        "release",
        help="release a training run as a model (threshold, figures, card), or as a specialist",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
    )
    p.add_argument("run", type=Path, help="the run folder of eels-autoid train")
    p.add_argument(
        "--out", type=Path, help="results folder (default: RUN/release); replaced, not added to"
    )
    p.add_argument(
        "--target",
        type=Path,
        help="install the released model (card and networks) into this folder",
    )
    p.add_argument("--real", type=Path, help="a folder of labelled real spectra (labels.json)")
    nets = p.add_mutually_exclusive_group()
    nets.add_argument(
        "--average",
        nargs="+",
        type=Path,
        metavar="CKPT",
        help="checkpoints of the run whose mean weights make the network (default: its best)",
    )
    nets.add_argument(
        "--members",
        nargs="+",
        type=Path,
        metavar="CKPT",
        help="checkpoints of the run to ship as an ensemble",
    )
    p.add_argument("--name", help="the model's name (default: the run's [export] name)")
    p.add_argument(
        "--real-half",
        type=int,
        choices=(1, 2),
        help="choose the threshold on this half of --real only (see evaluate --half)",
    )
    p.add_argument(
        "--test-size",
        type=int,
        default=TEST_SIZE,
        help="spectra in the simulated test set (default: %(default)s)",
    )
    p.add_argument(
        "--test-seed",
        type=int,
        default=TEST_SEED,
        help="seed of the simulated test set (default: %(default)s)",
    )
    p.add_argument("--note", help="the card's training note: what the run's files do not say")
    p.add_argument(
        "--notes-from",
        type=Path,
        metavar="CARD",
        help="take training.warm_start and training.note from this card (its specialist "
        "of the same name with --specialist-of)",
    )
    spec = p.add_argument_group("specialists")
    spec.add_argument(
        "--specialist-of",
        type=Path,
        metavar="CARD",
        help="release the run as a specialist of the model of this card",
    )
    spec.add_argument(
        "--gate",
        type=float,
        help="largest full-network probability over the family for the specialist to take "
        "over (default: 0.05)",
    )
    spec.add_argument(
        "--defer-edges",
        nargs="+",
        metavar="EDGE",
        help="edges (M4,5 ...) outside its regions that leave an element to the full network",
    )
    spec.add_argument(
        "--defer-elements",
        nargs="+",
        metavar="EL",
        help="family members that always keep the full network's probability",
    )
    spec.add_argument(
        "--min-channels",
        type=int,
        help="measured channels in its regions for it to take over "
        f"(default: {MIN_MEASURED_CHANNELS})",
    )
    p.set_defaults(func=run)


def _given(args, names):
    return ["--" + n.replace("_", "-") for n in names if getattr(args, n) is not None]


def run(args) -> int:
    specialist = args.specialist_of is not None
    wrong = _given(args, _MODEL_ONLY if specialist else _SPECIALIST_ONLY)
    if wrong:
        kind = "--specialist-of" if specialist else "a model release (give --specialist-of)"
        raise CommandError(f"{', '.join(wrong)} does not apply to {kind}.")
    if not (args.run / "config.json").is_file():
        raise CommandError(f"{args.run} is not a training run: it has no config.json.")
    if args.real is not None and not (args.real / "labels.json").is_file():
        raise CommandError(f"--real {args.real}: no labels.json in it.")
    out = args.out or args.run / "release"
    check_out_folder(out)
    if args.target is not None:
        check_out_folder(args.target, "--target")
    from ..training import add_specialist, install_model, release_model

    common = dict(
        real=args.real,
        test_size=args.test_size,
        test_seed=args.test_seed,
        note=args.note,
        notes_from=args.notes_from,
    )
    try:
        if specialist:
            card = add_specialist(
                args.run,
                args.specialist_of,
                out,
                average=args.average or (),
                gate=args.gate,
                defer_edges=args.defer_edges or (),
                defer_elements=args.defer_elements or (),
                min_channels=args.min_channels,
                **common,
            )
        else:
            card = release_model(
                args.run,
                out,
                name=args.name,
                average=args.average or (),
                members=args.members or (),
                real_half=args.real_half,
                **common,
            )
    except ImportError as err:  # the run's data source
        raise CommandError(str(err)) from None
    _print_card(card)
    if args.target is not None:
        print(f"installed: {install_model(card, args.target)}")
    return 0


def _print_card(path):
    from ..models import ModelCard

    card = ModelCard.read(path)
    print(f"card: {path}")
    print(f"threshold: {card.threshold:.2f}")
    if card.specialists:
        print(f"specialists: {' '.join(sp['name'] for sp in card.specialists)}")
    metrics = card.info.get("metrics", {})
    for key in ("simulated_validation", "simulated_test", "real"):
        if key in metrics:
            m = metrics[key]
            figures = "  ".join(
                f"{k} {'n/a' if m.get(k) is None else format(m[k], '.3f')}"
                for k in ("precision", "recall", "f1", "exact_match")
            )
            print(f"{key}: {figures}  ({m['n_spectra']} spectra)")
