"""Architectures: shapes, ranges, parameter counts, .keras round trips."""

import json
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from eels_autoid.models import architecture_defaults, architectures, build_model  # noqa: E402

# Tiny configurations: the same code paths as the defaults, a fraction of the cost.
TINY = {
    "edgenet": dict(stem_filters=8, widths=(8, 12), blocks=(1, 1), head_units=16, position_dim=4),
    "edgenet_conv_stem": dict(
        stem_mode="conv", stem_filters=8, widths=(8, 12), blocks=(1, 1), head_units=16
    ),
    "unet": dict(filters=(4, 4, 8, 8, 8), kernel_size=5, dense_units=(32, 16)),
    "vit": dict(
        transformer_layers=1,
        projection_dim=16,
        transformer_units=(16, 16),
        num_heads=2,
        key_dim=8,
        head_units=(16, 16, 16),
    ),
    "cnn_bilstm": dict(conv_filters=(4, 8, 8), lstm_units=(4, 4), dense_units=8),
    "regional": dict(filters=(4, 8), dense_units=8, n_outputs=80),
}


def _inputs(n=3, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3072, 2), dtype=np.float32)
    x[:, 200:1500, 0] = rng.normal(size=(n, 1300))
    x[:, 200:1500, 1] = 1.0
    return x


def _build(name):
    return build_model(name.replace("_conv_stem", ""), **TINY[name])


def test_registry_lists_all():
    assert set(architectures()) == {"edgenet", "unet", "vit", "cnn_bilstm", "regional"}
    assert architecture_defaults("unet")["kernel_size"] == 32


@pytest.mark.parametrize("name", sorted(TINY))
def test_output_shape_and_range(name):
    model = _build(name)
    assert tuple(model.input_shape[1:]) == (3072, 2)
    p = np.asarray(model.predict_on_batch(_inputs()))
    assert p.shape == (3, 80)
    assert np.all((p >= 0) & (p <= 1))


def test_unknown_architecture_and_key():
    with pytest.raises(ValueError, match="Unknown architecture"):
        build_model("resnet")
    with pytest.raises(ValueError, match="Unknown edgenet configuration keys"):
        build_model("edgenet", widht=3)


def test_unet_parameter_count_matches_the_published_layout():
    # Count the EELS_ID U-Net by hand: Conv1D(k=32)+BN per block, 1x1 reduction,
    # dense head 3072-1536-768-384 with BN, 80 outputs.
    k, f = 32, (16, 32, 64, 128, 256)

    def conv(cin, cout):  # kernel + bias + BN (4 per channel)
        return k * cin * cout + cout + 4 * cout

    n = conv(2, 16) + conv(16, 32) + conv(32, 64) + conv(64, 128) + conv(128, 256)
    n += conv(256, 128) + conv(256, 128) + conv(128, 64) + conv(128, 64)
    n += conv(64, 32) + conv(64, 32) + conv(32, 16)
    n += 32 * 1 + 1  # 1x1 reduction
    units = (3072, 3072, 1536, 768, 384)
    for a, b in zip(units[:-1], units[1:], strict=True):
        n += a * b + b + 4 * b
    n += 384 * 80 + 80
    assert f[-1] == 256
    model = build_model("unet")
    assert model.count_params() == n  # about 19.9 M (3 U-Nets + 2 ViTs ~ 64 M, as published)


def test_edgenet_is_small_and_ignores_unmeasured_input():
    model = build_model("edgenet")
    assert model.count_params() < 1_000_000  # 3 members well inside the 20 MB budget
    x = np.zeros((2, 3072, 2), dtype=np.float32)
    x[0, :, 0] = np.random.default_rng(1).normal(size=3072)  # data, but nothing measured
    p = np.asarray(model.predict_on_batch(x))
    # Nothing measured: every element's evidence is masked out.
    assert np.all(p < 1e-6)


def test_regional_reads_only_its_regions():
    # Whatever lies outside the regions cannot change the output; inside, it does.
    model = build_model("regional", regions=((75, 250), (760, 1700)), **TINY["regional"])
    x = _inputs(2)
    y = x.copy()
    y[:, 300:700, 0] += 5.0  # between the regions
    y[:, 1800:, :] = 1.0  # above them, measured
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict_on_batch(y), atol=1e-6)
    y[:, 900:910, 0] += 3.0  # a white line inside the second region
    assert not np.allclose(model.predict_on_batch(x), model.predict_on_batch(y), atol=1e-6)


def test_regional_is_blind_to_the_spectrum_level_in_a_region():
    # Each region is re-centred on its measured mean: a constant offset of
    # the whole spectrum (what a different window does to the full input's
    # centring) leaves the output unchanged.
    model = build_model("regional", **TINY["regional"])
    x = _inputs(2)
    y = x.copy()
    y[..., 0] += 2.5 * y[..., 1]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict_on_batch(y), atol=1e-5)


def test_region_slice_bounds():
    from eels_autoid.models._regional import region_slice

    assert region_slice((75, 250), 0.0, 1.0, 3072) == (75, 251)
    assert region_slice((75.5, 80.2), 0.0, 0.5, 3072) == (151, 161)
    with pytest.raises(ValueError, match="high > low"):
        region_slice((250, 75), 0.0, 1.0, 3072)
    with pytest.raises(ValueError, match="fewer than 8"):
        region_slice((3070, 3100), 0.0, 1.0, 3072)


def test_edgenet_reads_position():
    # The same local feature at two energies must be able to give different
    # outputs: with the coordinate channel and position embedding it does.
    model = build_model("edgenet", **TINY["edgenet"])
    x = np.zeros((2, 3072, 2), dtype=np.float32)
    x[:, 100:3000, 1] = 1.0
    x[0, 500:, 0] = 1.0
    x[1, 1500:, 0] = 1.0
    p = np.asarray(model.predict_on_batch(x))
    assert not np.allclose(p[0], p[1])


@pytest.mark.parametrize("name", sorted(TINY))
def test_keras_round_trip_safe_mode(name, tmp_path):
    model = _build(name)
    x = _inputs()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_array_equal(model.predict_on_batch(x), loaded.predict_on_batch(x))


def test_files_load_without_this_package(tmp_path):
    # No custom layer classes: a fresh process with only Keras loads the files
    # in safe mode (as eels_autoid.load_model does) and predicts the same.
    x = _inputs()
    np.save(tmp_path / "x.npy", x)
    expected = {}
    for name in ("edgenet", "vit"):
        model = build_model(name, **TINY[name])
        model.save(tmp_path / f"{name}.keras")
        expected[name] = np.asarray(model.predict_on_batch(x)).tolist()
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    code = f"""
import json, sys, numpy as np, keras
assert not any(m.startswith("eels_autoid") for m in sys.modules)
x = np.load(r"{tmp_path / "x.npy"}")
exp = json.load(open(r"{tmp_path / "expected.json"}"))
for name, p in exp.items():
    m = keras.saving.load_model(r"{tmp_path}" + f"/{{name}}.keras", safe_mode=True, compile=False)
    np.testing.assert_allclose(m.predict_on_batch(x), np.array(p), rtol=1e-5, atol=1e-6)
print("ok")
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout


def test_importing_models_does_not_import_keras():
    code = (
        "import sys, eels_autoid.models as m; m.architectures(); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
