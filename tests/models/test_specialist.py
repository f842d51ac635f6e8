"""Specialists: where they take over from the full network, and how cards list them."""

import json

import numpy as np
import pytest

pytest.importorskip("keras")

from autoid_testing import build_tiny_network  # noqa: E402

from eels_autoid import ELEMENTS, load_model  # noqa: E402
from eels_autoid.models import IdentificationModel, ModelCard, Specialist, build_model  # noqa: E402
from eels_autoid.models._regional import LANTHANIDE_REGIONS  # noqa: E402

FAMILY = ("Ba",) + ELEMENTS[ELEMENTS.index("La") : ELEMENTS.index("Lu") + 1]
TINY = dict(filters=(4, 8), dense_units=8, n_outputs=len(FAMILY))


def _specialist(gate=0.05, seed=0, **fields):
    import keras

    keras.utils.set_random_seed(seed)
    net = build_model("regional", **TINY)
    return Specialist(
        name="lanthanides",
        networks=[net],
        elements=FAMILY,
        regions=LANTHANIDE_REGIONS,
        grid=ModelCard().grid,
        gate=gate,
        **fields,
    )


def _inputs():
    """Row 0 measures 60..400 eV (the N4,5 region), row 1 300..700 eV (outside it)."""
    x = np.zeros((2, 3072, 2), dtype=np.float32)
    rng = np.random.default_rng(0)
    for row, (lo, hi) in enumerate(((60, 400), (300, 700))):
        x[row, lo:hi, 0] = rng.normal(size=hi - lo)
        x[row, lo:hi, 1] = 1.0
    return x


def test_specialist_replaces_the_family_only_where_it_sees_its_regions():
    main = build_tiny_network(seed=1)
    sp = _specialist()
    x = _inputs()
    alone = IdentificationModel([main], ModelCard(name="main")).predict(x)
    assert alone[:, sp.columns].max(axis=1).min() >= sp.gate  # the gate is open in both rows
    mean, spread = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(
        x, member_spread=True
    )
    q = np.asarray(sp.networks[0].predict_on_batch(x[:1]))
    np.testing.assert_allclose(mean[0, sp.columns], q[0], rtol=1e-5)
    np.testing.assert_allclose(spread[0, sp.columns], np.sqrt(q[0] * (1 - q[0])), rtol=1e-4)
    others = np.setdiff1d(np.arange(len(ELEMENTS)), sp.columns)
    np.testing.assert_allclose(mean[0, others], alone[0, others], rtol=1e-6)
    # Row 1 never reaches 75..250 eV: the full network's answer stands.
    np.testing.assert_allclose(mean[1], alone[1], rtol=1e-6)


def test_a_closed_gate_keeps_the_full_network():
    main = build_tiny_network(seed=1)
    x = _inputs()
    alone = IdentificationModel([main], ModelCard()).predict(x)
    sp = _specialist(gate=float(alone[:, _specialist().columns].max()) + 1e-3)
    assert not sp.takes_over(x, alone).any()
    combined = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(x)
    np.testing.assert_allclose(combined, alone, rtol=1e-6)


def test_card_lists_specialists_and_load_model_builds_them(tmp_path):
    main = build_tiny_network(seed=2)
    sp = _specialist(seed=4)
    main.save(tmp_path / "main.keras")
    sp.networks[0].save(tmp_path / "lan.keras")
    entry = dict(
        name="lanthanides",
        members=["lan.keras"],
        elements=list(FAMILY),
        regions=[list(r) for r in LANTHANIDE_REGIONS],
        gate=0.05,
    )
    card = ModelCard(name="with-specialist", members=["main.keras"], specialists=[entry])
    card.save(tmp_path / "m.json")
    assert ModelCard.from_dict(json.loads((tmp_path / "m.json").read_text())).specialists == [entry]
    model = load_model(tmp_path / "m.json")
    assert len(model.specialists) == 1 and "1 specialist" in repr(model)
    x = _inputs()
    expected = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(x)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)


def test_bad_specialist_entries_are_refused():
    with pytest.raises(ValueError, match="lacks"):
        Specialist.from_entry({"name": "x", "members": []}, [], ModelCard().grid)
    net = build_model("regional", **{**TINY, "n_outputs": 3})
    with pytest.raises(ValueError, match="3 outputs for 16 elements"):
        Specialist("x", [net], FAMILY, LANTHANIDE_REGIONS, ModelCard().grid)
    with pytest.raises(ValueError, match="unknown elements"):
        Specialist("x", [], ("Xx",), LANTHANIDE_REGIONS, ModelCard().grid)


def test_elements_whose_deferred_edge_is_in_the_window_keep_the_full_network():
    # 75..1000 eV covers La M4,5 (832 eV, plus its 50 eV margin) but not
    # Dy M4,5 (1295 eV): with M4,5 deferred, La keeps the full network's
    # probability and Dy takes the specialist's N4,5 answer.
    main = build_tiny_network(seed=5)
    sp = _specialist(gate=0.0, defer_edges=("M4,5",))
    x = np.zeros((1, 3072, 2), dtype=np.float32)
    x[0, 75:1000, 0] = np.random.default_rng(1).normal(size=925)
    x[0, 75:1000, 1] = 1.0
    alone = IdentificationModel([main], ModelCard()).predict(x)
    combined = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(x)
    q = np.asarray(sp.networks[0].predict_on_batch(x))[0]
    la, dy = ELEMENTS.index("La"), ELEMENTS.index("Dy")
    assert combined[0, la] == pytest.approx(alone[0, la], rel=1e-6)
    assert combined[0, dy] == pytest.approx(q[FAMILY.index("Dy")], rel=1e-5)
    assert q[FAMILY.index("La")] != pytest.approx(alone[0, la], rel=1e-3)


def test_only_edges_outside_the_regions_are_deferred():
    # A specialist reading 60..460 eV with "K" deferred: Si K (1839 eV) lies
    # outside its region and is deferred where the window covers it; B K
    # (188 eV) lies inside and never is, whatever the window.
    import keras

    keras.utils.set_random_seed(6)
    family = ("B", "Si")
    net = build_model("regional", filters=(4, 8), dense_units=8, n_outputs=2, regions=((60, 460),))
    sp = Specialist(
        "low", [net], family, ((60.0, 460.0),), ModelCard().grid, gate=0.0, defer_edges=("K",)
    )
    assert tuple(sp.defer_channels[0]) == (-1, -1)
    assert sp.defer_channels[1, 0] == 1839
    main = build_tiny_network(seed=7)
    x = np.zeros((2, 3072, 2), dtype=np.float32)
    for row, hi in enumerate((2000, 1000)):  # row 0 covers Si K, row 1 does not
        x[row, 60:hi, 0] = np.random.default_rng(row).normal(size=hi - 60)
        x[row, 60:hi, 1] = 1.0
    alone = IdentificationModel([main], ModelCard()).predict(x)
    combined = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(x)
    q = np.asarray(net.predict_on_batch(x))
    b, si = ELEMENTS.index("B"), ELEMENTS.index("Si")
    np.testing.assert_allclose(combined[:, b], q[:, 0], rtol=1e-5)
    assert combined[0, si] == pytest.approx(alone[0, si], rel=1e-6)
    assert combined[1, si] == pytest.approx(q[1, 1], rel=1e-5)


def test_deferred_elements_keep_the_full_network_everywhere():
    # Yb deferred: the full network's Yb stands even where the specialist
    # takes over; the other members take the specialist's answer. A deferred
    # element outside the family is refused.
    main = build_tiny_network(seed=8)
    sp = _specialist(gate=0.0, defer_elements=("Yb",))
    x = _inputs()[:1]
    alone = IdentificationModel([main], ModelCard()).predict(x)
    combined = IdentificationModel([main], ModelCard(), specialists=[sp]).predict(x)
    q = np.asarray(sp.networks[0].predict_on_batch(x))[0]
    yb, tb = ELEMENTS.index("Yb"), ELEMENTS.index("Tb")
    assert q[FAMILY.index("Yb")] != pytest.approx(alone[0, yb], rel=1e-3)
    assert combined[0, yb] == pytest.approx(alone[0, yb], rel=1e-6)
    assert combined[0, tb] == pytest.approx(q[FAMILY.index("Tb")], rel=1e-5)
    entry = {"name": "x", "members": [], "elements": FAMILY, "regions": LANTHANIDE_REGIONS}
    assert Specialist.from_entry(
        {**entry, "defer_elements": ["Yb"]}, [], sp.grid
    ).defer_elements == ("Yb",)
    with pytest.raises(ValueError, match="not in its family"):
        Specialist.from_entry({**entry, "defer_elements": ["Fe"]}, [], sp.grid)
