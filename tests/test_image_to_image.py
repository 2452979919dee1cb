"""The application networks: shapes, the untrained super-resolver is exactly bicubic, the inpainter keeps the
known pixels, learning, .keras round trip."""

import keras
import numpy as np
import pytest

from unsuplab import datasets, degrade
from unsuplab.models import build_colorizer, build_inpainter, build_super_resolver


def test_colorizer_shapes_any_size_and_round_trip(tmp_path):
    model = build_colorizer(filters=4)
    for hw in [(8, 8), (12, 20)]:
        out = model.predict(np.zeros((2, *hw, 1), "float32"), verbose=0)
        assert out.shape == (2, *hw, 2) and np.all(np.abs(out) <= 1)
    x = np.random.default_rng(0).uniform(size=(3, 8, 8, 1)).astype("float32")
    model.save(tmp_path / "c.keras")
    again = keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_untrained_super_resolver_is_bicubic_and_learns(tmp_path):
    keras.utils.set_random_seed(0)
    x, _ = datasets.photo_patches(24, 256, "train", seed=0)
    low = degrade.downsample(x, 3)
    up = degrade.bicubic_upsample(low, 3)
    model = build_super_resolver(3, filters=8)
    np.testing.assert_allclose(model.predict([low, up], verbose=0), up, atol=1e-6)  # T starts at zero
    bicubic_mse = float(np.mean((up - x) ** 2))
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    model.fit([low, up], x, epochs=8, batch_size=16, verbose=0)
    learned_mse = float(np.mean((model.predict([low, up], verbose=0) - x) ** 2))
    assert learned_mse < 0.98 * bicubic_mse  # it starts at bicubic (ratio 1) and learns detail it misses (~0.95)
    model.save(tmp_path / "s.keras")
    again = keras.models.load_model(tmp_path / "s.keras")
    np.testing.assert_allclose(again.predict([low, up], verbose=0), model.predict([low, up], verbose=0), atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [({"factor": 1}, "factor"), ({"factor": 2.0}, "factor"),
                                           ({"factor": 2, "filters": 0}, "filters"),
                                           ({"factor": 2, "channels": 0}, "channels")])
def test_super_resolver_bad_arguments(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        build_super_resolver(**kwargs)


def test_colorizer_bad_filters():
    with pytest.raises(ValueError, match="filters"):
        build_colorizer(filters=0)


def test_inpainter_keeps_known_pixels_fills_the_hole_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_inpainter((12, 12, 1), filters=(4, 8), context=(8, 8))
    assert model.get_layer("context_0").dilation_rate == (2, 2)  # the wider view (Iizuka et al., 2017)
    assert model.get_layer("context_1").dilation_rate == (1, 1)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 12, 12, 1)).astype("float32")
    mask = np.zeros((3, 12, 12, 1), "float32")
    mask[:, 3:8, 2:7] = 1.0
    holed = x * (1 - mask)
    out = model.predict([holed, mask], verbose=0)
    assert out.shape == x.shape and np.all((out >= 0) & (out <= 1))
    np.testing.assert_array_equal(out[mask == 0], holed[mask == 0])  # the composite passes known pixels through
    assert np.all(out[mask == 1] > 0)  # the hole holds the network's (sigmoid) guess, not the zeros it was given
    model.save(tmp_path / "i.keras")
    again = keras.models.load_model(tmp_path / "i.keras")
    np.testing.assert_allclose(again.predict([holed, mask], verbose=0), out, atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [({"filters": ()}, "at least one"),
                                           ({"input_shape": (3, 3, 1), "filters": (4, 8)}, "too small"),
                                           ({"context": (8, 0)}, "context")])
def test_inpainter_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_inpainter(**kwargs)
