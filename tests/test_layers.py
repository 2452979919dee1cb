"""Pooling with switches, unpooling, corruption and the penalty layers, on every backend."""

import copy

import keras
import numpy as np
import pytest
from autodiff import gradient, jit
from keras import ops

from unsuplab import layers as L
from unsuplab import losses
from unsuplab.degrade import CORRUPTIONS, corrupt


def to_np(t):
    return np.asarray(ops.convert_to_numpy(t))


def reference_pool(x, p):
    """Loop reference: max of each (ceil-padded) window and the flat index of its first maximum."""
    n, h, w, c = x.shape
    ho, wo = -(-h // p), -(-w // p)
    pooled, switches = np.zeros((n, ho, wo, c), x.dtype), np.zeros((n, ho, wo, c), "int64")
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for k in range(c):
                    win = x[b, i * p:(i + 1) * p, j * p:(j + 1) * p, k]
                    r, s = np.unravel_index(np.argmax(win), win.shape)
                    pooled[b, i, j, k] = win[r, s]
                    switches[b, i, j, k] = (i * p + r) * w + j * p + s
    return pooled, switches


@pytest.mark.parametrize("shape,p", [((2, 6, 6, 3), 2), ((2, 7, 5, 2), 2), ((1, 7, 8, 1), 3)])
def test_pool_matches_reference(shape, p):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    pooled, switches = L.max_pool_with_argmax(x, p)
    want_pooled, want_switches = reference_pool(x, p)
    np.testing.assert_array_equal(to_np(pooled), want_pooled)
    np.testing.assert_array_equal(to_np(switches), want_switches)


@pytest.mark.parametrize("shape", [(2, 6, 6, 3), (2, 7, 5, 2)])
def test_unpool_places_values_at_maxima_and_zeros_elsewhere(shape):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    pooled, switches = L.max_pool_with_argmax(x)
    values = np.random.default_rng(2).normal(size=to_np(pooled).shape).astype("float32")
    out = to_np(L.max_unpool(values, switches, shape))
    assert out.shape == shape
    want = np.zeros(shape, "float32")
    s = to_np(switches)
    for b, i, j, c in np.ndindex(*s.shape):
        want[b, s[b, i, j, c] // shape[2], s[b, i, j, c] % shape[2], c] = values[b, i, j, c]
    np.testing.assert_array_equal(out, want)
    # unpooling the pooled values keeps exactly the maxima of x
    kept = to_np(L.max_unpool(pooled, switches, shape))
    assert np.count_nonzero(kept) == values.size
    np.testing.assert_array_equal(kept[kept != 0], x[kept != 0])


def test_gradients_flow_through_the_same_positions():
    x = np.random.default_rng(3).normal(size=(2, 7, 7, 2)).astype("float32")
    _, switches = L.max_pool_with_argmax(x)
    where = to_np(L.max_unpool(np.ones((2, 4, 4, 2), "float32"), switches, x.shape))  # 1 at each maximum
    weights = np.random.default_rng(4).normal(size=x.shape).astype("float32")
    # pooling: d sum(pool(x) * 1) / dx is 1 at each window's maximum, 0 elsewhere
    np.testing.assert_array_equal(gradient(lambda v: L.max_pool_with_argmax(v)[0], x), where)
    # unpooling: d sum(unpool(v) * w) / dv is w read at the switch positions
    values = np.ones((2, 4, 4, 2), "float32")
    grad = gradient(lambda v: L.max_unpool(v, switches, x.shape) * weights, values)
    np.testing.assert_array_equal(grad, to_np(L.max_pool_with_argmax(where * weights + (where - 1) * 1e9)[0]))


def test_pool_and_unpool_under_jit():
    x = np.random.default_rng(5).normal(size=(2, 7, 7, 3)).astype("float32")

    def round_trip(v):
        pooled, switches = L.max_pool_with_argmax(v)
        return L.max_unpool(pooled, switches, (7, 7))

    np.testing.assert_array_equal(to_np(jit(round_trip)(x)), to_np(round_trip(x)))


def test_layers_round_trip_odd_sizes_in_a_model():
    x = keras.Input((28, 28, 1))
    h, switches = x, []
    for i in range(3):  # 28 -> 14 -> 7 -> 4
        h, s = L.MaxPoolingWithArgmax2D(name=f"pool_{i}")(h)
        switches.append((s, h))
    assert tuple(h.shape[1:3]) == (4, 4)
    up = L.MaxUnpooling2D(size=(7, 7))([h, switches[2][0]])
    up = L.MaxUnpooling2D()([up, switches[1][0], switches[0][1]])  # size taken from `like` (14x14)
    up = L.MaxUnpooling2D(size=(28, 28))([up, switches[0][0]])
    model = keras.Model(x, up)
    images = np.random.default_rng(6).random((2, 28, 28, 1)).astype("float32")
    out = to_np(model(images))
    assert out.shape == (2, 28, 28, 1)
    # every surviving value is an original pixel (the max of its 8x8 block), at its own position
    assert np.count_nonzero(out) == 2 * 4 * 4
    np.testing.assert_array_equal(out[out != 0], images[out != 0])


def test_unpool_rejects_mismatched_sizes():
    pooled, switches = L.max_pool_with_argmax(np.zeros((1, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match="output_shape"):
        L.max_unpool(pooled, switches, (10, 10))
    with pytest.raises(ValueError, match="pool_size"):
        L.MaxPoolingWithArgmax2D(pool_size=(2, 2, 2))


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corruption_only_in_training(kind):
    x = np.random.default_rng(7).uniform(0.2, 0.8, (8, 12, 12, 1)).astype("float32")
    layer = L.Corruption(kind, amount=0.3, square_size=4, seed=0)
    np.testing.assert_array_equal(to_np(layer(x)), x)
    noisy = to_np(layer(x, training=True))
    assert noisy.shape == x.shape and not np.array_equal(noisy, x)
    assert noisy.min() >= 0 and noisy.max() <= 1
    changed = noisy != x
    if kind == "salt_pepper":
        assert set(np.unique(noisy[changed])) <= {0.0, 1.0}
        assert 0.2 < changed.mean() < 0.4
    if kind == "mask_pixels":
        assert np.all(noisy[changed] == 0) and 0.2 < changed.mean() < 0.4
    if kind == "mask_squares":
        assert np.all(changed.reshape(8, -1).sum(1) == 16)  # one 4x4 square per image


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_numpy_corrupt_twin(kind):
    x = np.random.default_rng(8).uniform(0.2, 0.8, (4, 10, 10, 1)).astype("float32")
    a, b = corrupt(x, kind, 0.3, seed=1, square_size=3), corrupt(x, kind, 0.3, seed=1, square_size=3)
    np.testing.assert_array_equal(a, b)  # seeded
    assert a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1 and not np.array_equal(a, x)
    if kind == "mask_squares":
        assert np.all((a != x).reshape(4, -1).sum(1) == 9)


def _corruption_statistics(x, noisy):
    """What each kind's definition fixes: the noise's mean and spread, the hit fraction, the salt fraction,
    whether all channels of a pixel go together, and the masked count and mean centre of the squares."""
    changed = noisy != x
    pixel_changed = changed.any(-1)
    rows = np.nonzero(pixel_changed.any(2))[1].mean() if pixel_changed.any() else 0.0
    return {"noise_mean": float((noisy - x).mean()), "noise_std": float((noisy - x).std()),
            "hit": float(changed.mean()), "salt": float((noisy[changed] == 1).mean()) if changed.any() else 0.0,
            "all_channels": float((changed.all(-1) == pixel_changed).mean()),
            "masked_per_image": float(pixel_changed.reshape(len(x), -1).sum(1).mean()), "mean_row": float(rows)}


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corruption_layer_matches_the_numpy_implementation_statistically(kind):
    """The layer (keras.random) and degrade.corrupt (NumPy) draw from the same distribution."""
    from unsuplab import degrade

    x = np.full((2000, 12, 12, 3), 0.5, "float32")
    amount = 0.1 if kind == "gaussian" else 0.3
    layer = L.Corruption(kind, amount=amount, square_size=4, seed=0)
    ours = _corruption_statistics(x, to_np(layer(x, training=True)))
    numpy = _corruption_statistics(x, degrade.corrupt(x, kind, amount, seed=0, square_size=4))
    for key, value in numpy.items():
        assert ours[key] == pytest.approx(value, abs=0.02 if key not in ("masked_per_image", "mean_row") else 0.2), key
    if kind == "gaussian":
        assert numpy["noise_std"] == pytest.approx(0.1, rel=0.02)
    elif kind == "mask_squares":
        assert numpy["masked_per_image"] == 16 and numpy["mean_row"] == pytest.approx(5.5, abs=0.2)
    else:
        assert numpy["hit"] == pytest.approx(0.3, abs=0.02)  # x = 0.5: every hit changes the value
        if kind == "salt_pepper":
            assert numpy["salt"] == pytest.approx(0.5, abs=0.02)


def test_corruption_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        L.Corruption("blur")
    with pytest.raises(ValueError, match="amount"):
        L.Corruption("mask_pixels", amount=1.5)
    with pytest.raises(ValueError, match="square_size"):
        corrupt(np.zeros((1, 4, 4, 1), "float32"), "mask_squares", square_size=5)


def test_sparsity_layers_add_their_closed_forms():
    h = np.random.default_rng(9).uniform(0.01, 0.99, (16, 6)).astype("float32")
    l1 = L.L1Sparsity(0.1)
    np.testing.assert_array_equal(to_np(l1(h)), h)
    assert np.isclose(float(to_np(l1.losses[0])), 0.1 * np.abs(h).sum(1).mean(), rtol=1e-5)
    kl = L.KLSparsity(rho=0.05, beta=3.0)
    kl(h)
    rho_hat = h.astype("float64").mean(0)
    want = 3.0 * np.sum(0.05 * np.log(0.05 / rho_hat) + 0.95 * np.log(0.95 / (1 - rho_hat)))
    assert np.isclose(float(to_np(kl.losses[0])), want, rtol=1e-5)


def test_sampling_reparameterises_and_adds_kl():
    n = 20000
    mean, log_var = np.full((n, 2), [3.0, -1.0], "float32"), np.full((n, 2), np.log([4.0, 0.25]), "float32")
    layer = L.Sampling(beta=2.0, seed=0)
    z = to_np(layer([mean, log_var]))
    np.testing.assert_allclose(z.mean(0), [3.0, -1.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [2.0, 0.5], rtol=0.03)
    want = 2.0 * np.mean(to_np(losses.gaussian_kl(mean, log_var)))
    assert np.isclose(float(to_np(layer.losses[0])), want, rtol=1e-5)
    with pytest.raises(ValueError, match="beta"):
        L.Sampling(beta=0)


def test_contractive_dense_adds_closed_form():
    x = np.random.default_rng(10).normal(size=(5, 8)).astype("float32")
    layer = L.ContractiveDense(4, activation="sigmoid", weight=0.5)
    code = layer(x)
    want = 0.5 * np.mean(to_np(losses.contractive_closed_form(code, layer.kernel, "sigmoid")))
    assert np.isclose(float(to_np(layer.losses[0])), want, rtol=1e-6)
    with pytest.raises(ValueError, match="activation"):
        L.ContractiveDense(4, activation="tanh")


def test_contractive_estimate_wraps_the_loss_function():
    """The layer adds exactly ``weight * mean(losses.contractive_estimate)`` with the same seed, in training only."""
    x = np.random.default_rng(11).normal(size=(6, 5)).astype("float32")
    encoder = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="tanh")])
    layer = L.ContractiveEstimate(encoder, weight=0.5, sigma=0.05, samples=2, seed=3)
    assert isinstance(layer, keras.layers.Wrapper) and layer.encoder is encoder
    np.testing.assert_allclose(to_np(layer(x)), to_np(encoder(x)), rtol=1e-6)
    assert not layer.losses
    layer(x, training=True)
    want = 0.5 * np.mean(to_np(losses.contractive_estimate(encoder, x, 0.05, 2, keras.random.SeedGenerator(3))))
    assert np.isclose(float(to_np(layer.losses[0])), want, rtol=1e-5)
    assert L.ContractiveEstimate(encoder).sigma == losses.CONTRACTIVE_SIGMA  # one default for layer and function


def _registered_layers():
    encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="inner")
    made = [L.MaxPoolingWithArgmax2D(3), L.MaxUnpooling2D(size=(7, 7)), L.Corruption("mask_squares", 0.2, 5, seed=1),
            L.L1Sparsity(0.3), L.KLSparsity(0.1, 2.0), L.Sampling(0.5), L.ContractiveDense(3, weight=0.2),
            L.ContractiveEstimate(encoder, weight=0.2, sigma=0.02, samples=2, seed=4), L.ImageShapeCheck(1, 2)]
    try:
        from unsuplab.iic import PairViews
        made.append(PairViews(out_size=12, repeats=2))
    except Exception:  # noqa: BLE001 - PairViews is H7's; its constructor may change
        pass
    return made


def test_layer_configs_round_trip_through_the_registered_name():
    for layer in _registered_layers():
        saved = keras.saving.serialize_keras_object(layer)
        assert saved["registered_name"] == f"unsuplab>{type(layer).__name__}", saved["registered_name"]
        clone = keras.saving.deserialize_keras_object(copy.deepcopy(saved))  # by name, no custom_objects
        assert type(clone) is type(layer)
        again = keras.saving.serialize_keras_object(clone)["config"]
        if "layer" in saved["config"]:  # a Wrapper: the wrapped layer comes back as the same class
            assert type(clone.layer) is type(layer.layer)
            again, saved = {k: v for k, v in again.items() if k != "layer"}, \
                {**saved, "config": {k: v for k, v in saved["config"].items() if k != "layer"}}
        assert again == saved["config"]


def test_reconstruction_error_scores_each_sample_and_saves_inside_a_detector(tmp_path):
    """One mean squared error per sample, on images and vectors, in a model that saves and reloads by name."""
    rng = np.random.default_rng(12)
    for shape in ((5, 6, 6, 1), (4, 10)):
        x, x_hat = rng.random(shape).astype("float32"), rng.random(shape).astype("float32")
        got = to_np(L.ReconstructionError()([x, x_hat]))
        np.testing.assert_allclose(got, np.mean((x - x_hat) ** 2, axis=tuple(range(1, len(shape)))), rtol=1e-6)
    autoencoder = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(36),
                                    keras.layers.Reshape((6, 6, 1))])
    inputs = keras.Input((6, 6, 1))
    detector = keras.Model(inputs, L.ReconstructionError()([inputs, autoencoder(inputs)]))
    assert detector.output_shape == (None,)
    x = rng.random((5, 6, 6, 1)).astype("float32")
    scores = to_np(detector.predict(x, verbose=0))
    np.testing.assert_allclose(scores, np.mean((x - to_np(autoencoder(x))) ** 2, axis=(1, 2, 3)), rtol=1e-5)
    detector.save(tmp_path / "detector.keras")
    reloaded = keras.models.load_model(tmp_path / "detector.keras")  # registered: no custom_objects
    np.testing.assert_allclose(to_np(reloaded.predict(x, verbose=0)), scores, rtol=1e-6)


def test_straight_through_binarize_gives_bits_forward_and_the_identity_gradient_backward():
    """Exact 0/1 bits ``round(h)`` on sigmoid codes, also under jit; d output / d input = 1 (Bengio et al., 2013)."""
    h = np.random.default_rng(13).uniform(size=(6, 8)).astype("float32")
    layer = L.StraightThroughBinarize()
    np.testing.assert_array_equal(to_np(layer(h)), np.round(h))
    np.testing.assert_array_equal(to_np(jit(lambda v: layer(v))(h)), np.round(h))
    weights = np.random.default_rng(14).normal(size=h.shape).astype("float32")
    np.testing.assert_allclose(gradient(lambda v: layer(v) * weights, h), weights, rtol=1e-6)
    saved = keras.saving.serialize_keras_object(layer)
    assert saved["registered_name"] == "unsuplab>StraightThroughBinarize"
    assert type(keras.saving.deserialize_keras_object(saved)) is L.StraightThroughBinarize
