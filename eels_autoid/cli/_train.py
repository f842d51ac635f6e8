"""``eels-autoid train CONFIG``: train an identification network (resumable)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser(
        "train",
        help="train an identification network (resumable)",
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
    p.set_defaults(func=run)


def run(args) -> int:
    from ..training import export_run, load_config, train

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
