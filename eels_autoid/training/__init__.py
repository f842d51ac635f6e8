"""Training identification networks: ``eels-autoid train CONFIG [--resume] [--out DIR]``.

Importing this package does not import Keras; :func:`train` and the export
functions import it when called.
"""

from __future__ import annotations

import argparse
import sys

from ._config import DEFAULT_CONFIG, default_config_path, load_config, output_elements
from ._warm_start import transfer_weights

__all__ = [
    "DEFAULT_CONFIG",
    "default_config_path",
    "load_config",
    "output_elements",
    "train",
    "export_model",
    "export_run",
    "transfer_weights",
    "main",
]


def train(config, out_dir, *, resume=False, source=None, epochs=None, workers=None, export=True):
    """Train (or continue training) a network as a configuration says.

    Parameters
    ----------
    config : str, pathlib.Path or dict
        A TOML/JSON configuration file or a dict (missing keys take the
        defaults of :data:`DEFAULT_CONFIG`). Ignored with ``resume``: the run
        keeps the configuration it started with.
    out_dir : str or pathlib.Path
        The run directory: checkpoints, ``state.json``, ``history.csv`` and,
        at the end, ``export/``.
    resume : bool
        Continue the run in ``out_dir`` after its last completed epoch.
    source : callable, optional
        Data source overriding ``[data] source``: ``source(batch_size,
        seed=..., **simulator)`` yielding ``(x, y)`` batches.
    epochs : int, optional
        Override the total number of epochs.
    workers : int, optional
        Override ``[data] workers``: processes simulating the next batches
        while the network trains (the data are the same with any number).
    export : bool
        Export the best checkpoint to ``out_dir/export`` when training ends.

    Returns
    -------
    dict
        The run state: ``epoch``, ``best_val_f1``, ``best_epoch``,
        ``learning_rate``, ``finished``, ``stop_reason``...
    """
    from ._loop import train as _train

    return _train(
        config, out_dir, resume=resume, source=source, epochs=epochs, workers=workers, export=export
    )


def export_model(members, target_dir, name, **kwargs):
    """Write networks and a model card; see :func:`eels_autoid.training._export.export_model`."""
    from ._export import export_model as _export_model

    return _export_model(members, target_dir, name, **kwargs)


def export_run(run_dir, target_dir=None, **kwargs):
    """Export a run's best checkpoint; see :func:`eels_autoid.training._export.export_run`."""
    from ._export import export_run as _export_run

    return _export_run(run_dir, target_dir, **kwargs)


def _parser():
    p = argparse.ArgumentParser(
        prog="eels-autoid train",
        description="Train an identification network on simulated spectra streamed from "
        "eels_autoid.simulate, with checkpoints every epoch.",
    )
    p.add_argument(
        "config",
        help="TOML or JSON configuration (see eels_autoid/training/configs/default.toml); "
        "with --resume it may be omitted.",
        nargs="?",
    )
    p.add_argument("--out", help="run directory (default runs/<config name>)")
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out after its last epoch"
    )
    p.add_argument("--epochs", type=int, help="override the total number of epochs")
    p.add_argument(
        "--workers",
        type=int,
        help="processes simulating batches ahead of training (default: the config's "
        "[data] workers; 1 keeps a 2-core laptop busy)",
    )
    p.add_argument(
        "--export-only",
        action="store_true",
        help="do not train: export the best checkpoint of the run in --out",
    )
    return p


def main(argv=None) -> int:
    """Command line entry point of ``eels-autoid train``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after ``train`` (a leading ``"train"`` is accepted too).

    Returns
    -------
    int
        Exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    from pathlib import Path

    # Read the configuration before TensorFlow is imported: a typo in it is
    # reported in one line at once. A resumed run keeps the one it started with.
    config = None
    if args.config and not (args.out and (args.resume or args.export_only)):
        try:
            config = load_config(args.config)
        except FileNotFoundError as err:  # its message names the file
            print(f"eels-autoid train: {err}", file=sys.stderr)
            return 1
        # TOML/JSON syntax errors are ValueErrors; a table where a value belongs
        # (or the reverse) surfaces as TypeError, KeyError or AttributeError.
        except (OSError, ValueError, TypeError, KeyError, AttributeError, ImportError) as err:
            print(f"eels-autoid train: invalid configuration {args.config}: {err}", file=sys.stderr)
            return 1
    if args.out:
        out = Path(args.out)
    elif config is not None:
        out = Path("runs") / str(config["name"])
    else:
        print("eels-autoid train: give a CONFIG or --out DIR.", file=sys.stderr)
        return 2
    try:
        if args.export_only:
            path = export_run(out)
            print(f"Exported {path}")
            return 0
        if not args.resume and not args.config:
            print("eels-autoid train: give a CONFIG (or --resume).", file=sys.stderr)
            return 2
        state = train(
            args.config, out, resume=args.resume, epochs=args.epochs, workers=args.workers
        )
    # OSError: also a run folder that cannot be made (--out under a file, no permission).
    except (OSError, ValueError, ImportError) as err:
        print(f"eels-autoid train: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. Continue with: eels-autoid train --resume --out {out}",
            file=sys.stderr,
        )
        return 130
    if state["finished"]:
        print(
            f"Done after {state['epoch']} epochs ({state['stop_reason']}); best validation F1 "
            f"{state['best_val_f1']:.4f} at epoch {state['best_epoch']}. Run: {out}"
        )
    else:
        print(f"Stopped after epoch {state['epoch']}; continue with --resume --out {out}")
    return 0
