"""Loading identification models and their model cards.

A model is a Keras 3 ``.keras`` file with a JSON card beside it (same stem,
``.json``) that says what grid the network reads, how its input was
preprocessed, its thresholds and how it was trained and evaluated. An ensemble
is a card that lists several ``.keras`` members whose probabilities are
averaged. Keras is imported here on first use only.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .._tensorflow import import_keras
from ..energy_grid import DEFAULT_GRID, EnergyGrid
from ..preprocessing import N_CHANNELS, PREPROCESSING_VERSION
from ..vocabulary import ELEMENTS
from ._fold import fold_batch_norm
from ._specialist import Specialist, average_members

__all__ = [
    "ModelCard",
    "IdentificationModel",
    "load_model",
    "bundled_models",
    "model_files",
    "DEFAULT_MODEL",
]

DEFAULT_MODEL = "default"
DEFAULT_THRESHOLD = 0.5


def _weights_dir() -> Path:
    return Path(str(resources.files("eels_autoid").joinpath("weights")))


@dataclass
class ModelCard:
    """What a model reads, how it decides, and how it was made.

    Attributes
    ----------
    name : str
    grid : EnergyGrid
        The energy grid of the network input.
    elements : tuple of str
        The output order (must equal :data:`eels_autoid.ELEMENTS`).
    threshold : float
        Default decision threshold on the probabilities.
    element_thresholds : dict
        Per-element thresholds overriding ``threshold``.
    members : list of str
        ``.keras`` files (relative to the card) whose probabilities are averaged.
    specialists : list of dict
        Networks for a family of elements (see :class:`Specialist`), each a
        dict with ``name``, ``members``, ``elements``, ``regions`` and
        optionally ``min_channels``, ``gate`` and ``defer_edges``.
    preprocessing_version : int
    info : dict
        Everything else: architecture, training recipe, data version, metrics.
    """

    name: str = "unnamed"
    grid: EnergyGrid = DEFAULT_GRID
    elements: tuple = ELEMENTS
    threshold: float = DEFAULT_THRESHOLD
    element_thresholds: dict = field(default_factory=dict)
    members: list = field(default_factory=list)
    specialists: list = field(default_factory=list)
    preprocessing_version: int = PREPROCESSING_VERSION
    info: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict, source=None) -> ModelCard:
        """A card from its JSON dict, each field checked.

        Raises
        ------
        ValueError
            Naming the field and the type or range expected, for a card that
            is not a JSON object or a field of the wrong type or value.
        """
        where = f"Model card {source}" if source else "Model card"
        if not isinstance(d, dict):
            raise ValueError(
                f"{where} must be a JSON object with fields such as 'members' and 'grid', "
                f"got {type(d).__name__}."
            )

        def bad(name, expected):
            value = d[name]
            return ValueError(
                f"{where}: field {name!r} must be {expected}, got {type(value).__name__} {value!r}."
            )

        def strings(name):
            value = d.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(name, "a list of strings")
            return value

        def probability(name, value):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(name, "a number between 0 and 1")
            if not 0 < value < 1:  # NaN fails too
                raise ValueError(
                    f"{where}: field {name!r} must lie strictly between 0 and 1, got {value}."
                )
            return float(value)

        if not isinstance(d.get("name", ""), str):
            raise bad("name", "a string")
        grid = d.get("grid", {})
        if not isinstance(grid, dict):
            raise bad("grid", "an object with start, step, size and valid_from")
        try:
            grid = EnergyGrid.from_dict(grid) if "grid" in d else DEFAULT_GRID
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: field 'grid': {err}") from None
        threshold = probability("threshold", d.get("threshold", DEFAULT_THRESHOLD))
        per = d.get("element_thresholds", {})
        if not isinstance(per, dict):
            raise bad("element_thresholds", "an object of element: threshold")
        per = {k: probability(f"element_thresholds.{k}", v) for k, v in per.items()}
        specialists = d.get("specialists", [])
        if not isinstance(specialists, list) or not all(isinstance(x, dict) for x in specialists):
            raise bad("specialists", "a list of objects")
        for sp in specialists:
            if not isinstance(sp.get("members", []), list):
                raise ValueError(
                    f"{where}: field 'members' of specialist {sp.get('name', '?')!r} must be a "
                    f"list of file names, got {sp['members']!r}."
                )
        version = d.get("preprocessing_version", PREPROCESSING_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            raise bad("preprocessing_version", "an integer")
        known = {
            "name",
            "grid",
            "elements",
            "threshold",
            "element_thresholds",
            "members",
            "specialists",
            "preprocessing_version",
        }
        return cls(
            name=d.get("name", "unnamed"),
            grid=grid,
            elements=tuple(strings("elements") if "elements" in d else ELEMENTS),
            threshold=threshold,
            element_thresholds=per,
            members=strings("members"),
            specialists=[dict(sp) for sp in specialists],
            preprocessing_version=version,
            info={k: v for k, v in d.items() if k not in known},
        )

    @classmethod
    def read(cls, path) -> ModelCard:
        """The card in the JSON file ``path``, each field checked (see :meth:`from_dict`)."""
        path = Path(path)
        return cls.from_dict(_read_card(path), source=path)

    def to_dict(self) -> dict:
        d = {
            "name": self.name,
            "grid": self.grid.to_dict(),
            "elements": list(self.elements),
            "threshold": self.threshold,
            "element_thresholds": self.element_thresholds,
            "members": self.members,
            "preprocessing_version": self.preprocessing_version,
        }
        d.update(self.info)
        # Last, as in the bundled cards: a card written again differs only where it changed.
        if self.specialists:
            d["specialists"] = self.specialists
        return d

    def save(self, path) -> None:
        """Write the card as JSON to ``path``: the one writer of model cards.

        The file is replaced in one step, so that a card being rewritten is
        never left half written. Undefined figures (NaN) are written as
        ``null``: the card is strict JSON.
        """
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with open(tmp, "w") as f:
                json.dump(_strict(self.to_dict()), f, indent=1, allow_nan=False)
                f.write("\n")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def thresholds(self, threshold=None) -> np.ndarray:
        """Per-element thresholds, shape (80,): ``threshold`` (float or dict) wins."""
        base = self.threshold
        per = dict(self.element_thresholds)
        if isinstance(threshold, dict):
            unknown = set(threshold) - set(self.elements)
            if unknown:
                raise ValueError(f"Unknown elements in threshold: {sorted(unknown)}.")
            per.update(threshold)
        elif threshold is not None:
            base, per = float(threshold), {}
        out = np.array([per.get(el, base) for el in self.elements], dtype=float)
        if not np.all((out > 0) & (out < 1)):
            raise ValueError(f"Thresholds must lie strictly between 0 and 1, got {threshold!r}.")
        return out


class IdentificationModel:
    """A loaded network (or ensemble) with its card.

    Call :meth:`predict` on preprocessed input of shape (n, grid.size, 2).
    Calls are serialised with a lock: TensorFlow already uses every core for
    one batch, and concurrent first calls could race while tracing.
    ``networks`` are the trained networks as loaded; predictions run on
    copies with batch normalisation folded into the convolutions
    (:func:`~eels_autoid.models.fold_batch_norm`), built on the first call.
    """

    def __init__(self, networks, card: ModelCard, source=None, specialists=()):
        self.networks = list(networks)
        self.card = card
        self.source = source
        self.specialists = list(specialists)
        self._lock = threading.Lock()
        self._inference = None
        for net in self.networks:
            shape = tuple(net.input_shape[1:]) if hasattr(net, "input_shape") else None
            if shape is not None and shape != (card.grid.size, N_CHANNELS):
                raise ValueError(
                    f"Model {source or card.name}: network input shape {shape} does not match "
                    f"its card's grid ({card.grid.size}, {N_CHANNELS})."
                )
            outputs = getattr(net, "outputs", None)
            if outputs is not None and len(outputs) != 1:
                raise ValueError(
                    f"Model {source or card.name}: the network has {len(outputs)} outputs; an "
                    f"identification network has one, the {len(card.elements)} element "
                    "probabilities."
                )
            out_shape = tuple(net.output_shape[1:]) if hasattr(net, "output_shape") else None
            if out_shape is not None and out_shape != (len(card.elements),):
                raise ValueError(
                    f"Model {source or card.name}: network output shape {out_shape} does not "
                    f"match its card's {len(card.elements)} elements."
                )

    def __getstate__(self):
        # Locks do not pickle (dask.distributed ships the model to workers).
        # The folded inference copies are rebuilt where they are needed.
        state = self.__dict__.copy()
        del state["_lock"]
        state["_inference"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __dask_tokenize__(self):
        # Without this, dask tokenises a model passed to map_blocks by pickling
        # (and unpickling) every Keras network: ~0.5 s per identify_edges call.
        # The object's identity is the right key: its weights never change.
        return (type(self).__name__, self.card.name, str(self.source), id(self))

    def __repr__(self):
        extra = f" + {len(self.specialists)} specialist(s)" if self.specialists else ""
        return f"<IdentificationModel {self.card.name!r}, {len(self.networks)} network(s){extra}>"

    @property
    def grid(self) -> EnergyGrid:
        return self.card.grid

    def predict(self, x: np.ndarray, *, member_spread: bool = False):
        """Probabilities (n, 80), averaged over members; optionally their spread.

        The spread is the standard deviation over the members of an ensemble;
        for a single network, the Bernoulli standard deviation
        ``sqrt(p (1 - p))`` of its calibrated probabilities. Where a
        specialist takes over (see :class:`~eels_autoid.models.Specialist`),
        its probabilities and spread replace those of its family.
        """
        x = np.ascontiguousarray(x, dtype=np.float32)
        with self._lock:
            if self._inference is None:
                self._inference = [fold_batch_norm(net) for net in self.networks]
            mean, spread = average_members(self._inference, x)
            if not (np.isfinite(mean).all() and mean.min() >= 0 and mean.max() <= 1):
                raise ValueError(
                    f"Model {self.source or self.card.name} gives outputs outside 0..1 "
                    f"({np.nanmin(mean):.3g}..{np.nanmax(mean):.3g}): they are not "
                    "probabilities (is its last layer a sigmoid?)."
                )
            for sp in self.specialists:
                sp.merge(x, mean, spread)
        return (mean, spread) if member_spread else mean


def bundled_models() -> list:
    """Names of the models shipped in ``eels_autoid/weights``."""
    d = _weights_dir()
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def _strict(obj):
    """``obj`` with NaN replaced by None, for strict JSON."""
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def _read_card(path: Path) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f"Model card {path} is not valid JSON: {err}") from None


def _load_keras(path: Path):
    keras = import_keras()

    if not path.is_file():
        raise FileNotFoundError(f"Model file {path} does not exist.")
    try:
        # safe_mode: a model file can never run code on load.
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for corrupt files
        raise ValueError(f"Could not load the Keras model {path}: {err}") from err


def model_files(name_or_path=None) -> list:
    """The files a model is made of: its card (if any) and every network it lists.

    Parameters
    ----------
    name_or_path : str or pathlib.Path, optional
        As for :func:`load_model`.

    Returns
    -------
    list of pathlib.Path
        Resolved paths, the card first; files that do not exist are listed
        too (:func:`load_model` says what is missing). Empty for a bundled
        name that does not exist.
    """
    name = DEFAULT_MODEL if name_or_path is None else name_or_path
    path = Path(name)
    if path.suffix not in (".keras", ".json"):
        path = _weights_dir() / f"{name}.json"
        if not path.is_file():
            return []
    path = path.resolve()
    card_path = path.with_suffix(".json")
    files = [card_path] if card_path.is_file() else []
    members = [path.name] if path.suffix == ".keras" else []
    if card_path.is_file():
        try:
            d = _read_card(card_path)
        except ValueError:
            d = {}
        if isinstance(d, dict):
            if path.suffix == ".json":
                members = list(d.get("members", [])) if isinstance(d.get("members"), list) else []
            for entry in d.get("specialists", []) if isinstance(d.get("specialists"), list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("members"), list):
                    members += entry["members"]
    files += [path.parent / str(m) for m in members]
    return files


def _load_specialists(card: ModelCard, folder: Path) -> list:
    """The specialists a card lists, their networks read from ``folder``."""
    return [
        Specialist.from_entry(
            entry, [_load_keras(folder / m) for m in entry.get("members", [])], card.grid
        )
        for entry in card.specialists
    ]


def load_model(name_or_path=None) -> IdentificationModel:
    """Load a bundled model by name, or a ``.keras`` file or model card by path.

    Parameters
    ----------
    name_or_path : str, pathlib.Path or IdentificationModel, optional
        ``None`` or ``"default"`` for the bundled default model; the name of
        another bundled model (see :func:`bundled_models`); the path of a
        ``.keras`` file (its card is the ``.json`` beside it, if any, with
        the card's specialists: ``weights/default.keras`` loads the same
        model as ``"default"``); or the
        path of a card ``.json`` listing its member networks (and specialists). A loaded
        :class:`IdentificationModel` is returned unchanged.

    Returns
    -------
    IdentificationModel

    Raises
    ------
    FileNotFoundError
        If the name is not a bundled model or a file is missing.
    ValueError
        If the file is corrupt or its card does not match the package.
    """
    if isinstance(name_or_path, IdentificationModel):
        return name_or_path
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    path = Path(name_or_path)
    if path.suffix not in (".keras", ".json"):
        card_path = _weights_dir() / f"{name_or_path}.json"
        if not card_path.is_file():
            available = bundled_models()
            if name_or_path == DEFAULT_MODEL and not available:
                raise FileNotFoundError(
                    "This installation of eels_autoid holds no bundled identification model "
                    "(eels_autoid/weights is empty). Reinstall it, or pass model= the path of a "
                    ".keras file or model card."
                )
            raise FileNotFoundError(
                f"No bundled model named {name_or_path!r}; available: {available or 'none'}. "
                "Pass the path of a .keras file or model card to use your own."
            )
        path = card_path
    if path.suffix == ".json":
        if not path.is_file():
            raise FileNotFoundError(f"Model card {path} does not exist.")
        card = ModelCard.from_dict(_read_card(path), source=path)
        if not card.members:
            raise ValueError(f"Model card {path} lists no member .keras files.")
        networks = [_load_keras(path.parent / m) for m in card.members]
        specialists = _load_specialists(card, path.parent)
    else:
        # The card beside a network describes it: its grid, threshold and
        # specialists apply however the model is named.
        card_path = path.with_suffix(".json")
        card = (
            ModelCard.from_dict(_read_card(card_path), source=card_path)
            if card_path.is_file()
            else ModelCard(name=path.stem)
        )
        networks = [_load_keras(path)]
        card.members = [path.name]
        specialists = _load_specialists(card, path.parent)
    if tuple(card.elements) != ELEMENTS:
        raise ValueError(f"Model {path}: its output elements differ from eels_autoid.ELEMENTS.")
    if card.preprocessing_version != PREPROCESSING_VERSION:
        raise ValueError(
            f"Model {path} was trained with preprocessing version {card.preprocessing_version}; "
            f"this eels_autoid uses version {PREPROCESSING_VERSION}."
        )
    return IdentificationModel(networks, card, source=str(path), specialists=specialists)
