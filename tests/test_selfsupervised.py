"""unsuplab.selfsupervised: the contrastive losses against NumPy and their closed forms, MoCo's momentum update
and queue, the views, the probe, and every model learning, saving and refusing bad input (any backend)."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from unsuplab import selfsupervised as ssl
from unsuplab.selfsupervised import ContrastiveViews, MoCo, RotationNet, SimCLR, build_encoder

ema_update, enqueue, info_nce, nt_xent, rotate_batch = ssl.ema_update, ssl.enqueue, ssl.info_nce, ssl.nt_xent, \
    ssl.rotate_batch
knn_accuracy, label_subset, linear_probe = ssl.knn_accuracy, ssl.label_subset, ssl.linear_probe


def _unit(z):
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def nt_xent_numpy(z1, z2, t):
    z = _unit(np.concatenate([z1, z2]).astype("float64"))
    n2 = len(z)
    s = z @ z.T / t
    total = 0.0
    for i in range(n2):
        others = [j for j in range(n2) if j != i]
        total += -s[i, (i + n2 // 2) % n2] + np.log(np.sum(np.exp(s[i, others])))
    return total / n2


def info_nce_numpy(q, k, queue, t):
    q, k, queue = _unit(q.astype("float64")), _unit(k.astype("float64")), _unit(queue.astype("float64"))
    total = 0.0
    for i in range(len(q)):
        logits = np.concatenate([[q[i] @ k[i]], queue @ q[i]]) / t
        total += -logits[0] + np.log(np.sum(np.exp(logits)))
    return total / len(q)


def value(x):
    return float(ops.convert_to_numpy(x))


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0])
def test_nt_xent_matches_numpy(t):
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    assert value(nt_xent(z1, z2, temperature=t)) == pytest.approx(nt_xent_numpy(z1, z2, t), rel=1e-4)


def test_nt_xent_closed_forms():
    n, t = 4, 0.1
    separated = np.eye(8, dtype="float32")[:n]  # views identical, images orthogonal: the minimum
    assert value(nt_xent(separated, separated, t)) == pytest.approx(math.log(1 + (2 * n - 2) * math.exp(-1 / t)),
                                                                    rel=1e-3)
    assert value(nt_xent(separated, separated, t)) < 1e-3
    same = np.ones((n, 3), "float32")  # every similarity equal: log of the 2N - 1 candidates
    assert value(nt_xent(same, same, 0.5)) == pytest.approx(math.log(2 * n - 1), rel=1e-5)
    rng = np.random.default_rng(1)  # random views in many dimensions: near-zero similarities
    z1, z2 = rng.normal(size=(8, 4000)).astype("float32"), rng.normal(size=(8, 4000)).astype("float32")
    assert value(nt_xent(z1, z2, 1.0)) == pytest.approx(math.log(15), abs=0.05)


def test_info_nce_matches_numpy_and_closed_forms():
    rng = np.random.default_rng(2)
    q, k, queue = (rng.normal(size=s).astype("float32") for s in ((5, 4), (5, 4), (7, 4)))
    assert value(info_nce(q, k, queue, 0.2)) == pytest.approx(info_nce_numpy(q, k, queue, 0.2), rel=1e-4)
    same = np.ones((3, 4), "float32")
    assert value(info_nce(same, same, np.ones((9, 4), "float32"), 0.3)) == pytest.approx(math.log(10), rel=1e-5)
    eye = np.eye(10, dtype="float32")
    got = value(info_nce(eye[:3], eye[:3], eye[3:], 0.1))  # positives match, queue orthogonal
    assert got == pytest.approx(math.log(1 + 7 * math.exp(-10)), rel=1e-3)


def test_losses_refuse_a_bad_temperature():
    z = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match="temperature"):
        nt_xent(z, z, temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        info_nce(z, z, z, temperature=-1.0)


def test_ema_update_formula_and_enqueue_fifo():
    new = ema_update([np.array([1.0, 2.0])], [np.array([3.0, -2.0])], 0.9)
    np.testing.assert_allclose(new[0], 0.9 * np.array([1.0, 2.0]) + 0.1 * np.array([3.0, -2.0]))
    queue = ops.convert_to_tensor(np.arange(12, dtype="float32").reshape(6, 2))
    first = np.full((2, 2), -1.0, "float32")
    second = np.full((2, 2), -2.0, "float32")
    out = ops.convert_to_numpy(enqueue(enqueue(queue, first), second))
    np.testing.assert_array_equal(out, np.concatenate([second, first, np.arange(4.0).reshape(2, 2)]))


def test_rotate_batch_matches_numpy():
    x = np.random.default_rng(3).uniform(size=(2, 5, 5, 1)).astype("float32")
    rotated, labels = rotate_batch(x)
    rotated = ops.convert_to_numpy(rotated)
    for r in range(4):
        np.testing.assert_array_equal(rotated[2 * r:2 * r + 2], np.rot90(x, r, axes=(1, 2)))
    np.testing.assert_array_equal(ops.convert_to_numpy(labels), [0, 0, 1, 1, 2, 2, 3, 3])


def test_views_keep_shape_dtype_range_and_are_identity_at_inference():
    x = np.random.default_rng(4).uniform(size=(8, 12, 12, 1)).astype("float32")
    views = ContrastiveViews(crop=(0.5, 0.9), flip=True, noise=0.1, seed=0)
    a, b = (ops.convert_to_numpy(views(x, training=True)) for _ in range(2))
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    assert not np.allclose(a, b)  # two draws, two different views
    np.testing.assert_array_equal(ops.convert_to_numpy(views(x, training=False)), x)
    np.testing.assert_array_equal(ops.convert_to_numpy(views(x)), x)
    plain = ContrastiveViews(crop=(1.0, 1.0), brightness=0.0, contrast=0.0)
    np.testing.assert_allclose(ops.convert_to_numpy(plain(x, training=True)), x, atol=1e-5)
    again = ContrastiveViews.from_config(views.get_config())
    assert again.get_config() == views.get_config()


@pytest.mark.parametrize("kwargs, words", [({"crop": (0.0, 1.0)}, "crop"), ({"crop": 0.5}, "crop"),
                                           ({"contrast": 1.5}, "contrast"), ({"noise": -1}, "noise")])
def test_views_refuse_bad_settings(kwargs, words):
    with pytest.raises((ValueError, TypeError), match=words):
        ContrastiveViews(**kwargs)


def _toy_images(n=128, seed=0):
    """Bars at four positions: an easy problem whose loss must fall."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 12, 12, 1), "float32")
    kind = rng.integers(0, 4, n)
    for i, k in enumerate(kind):
        if k < 2:
            x[i, 2 + 6 * k:4 + 6 * k, 1:11] = 1.0
        else:
            x[i, 1:11, 2 + 6 * (k - 2):4 + 6 * (k - 2)] = 1.0
    return np.clip(x + rng.uniform(0, 0.1, x.shape), 0, 1).astype("float32"), kind


def _small_encoder():
    return build_encoder((12, 12, 1), filters=(8, 16))


def _mean_loss(model, x, epochs, batch_size):
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model.fit(x, epochs=epochs, batch_size=batch_size, verbose=0).history["loss"]


def test_simclr_learns_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    x, _ = _toy_images()
    model = SimCLR(_small_encoder(), temperature=0.5)
    losses = _mean_loss(model, x, 6, 32)
    assert losses[-1] < losses[0] - 0.1, losses
    assert model.encode(x[:3]).shape == (3, 16)
    path = tmp_path / "simclr.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, SimCLR) and loaded.temperature == 0.5
    np.testing.assert_allclose(loaded.encode(x[:8]), model.encode(x[:8]), atol=1e-5)


def test_moco_momentum_update_and_queue_inside_fit(tmp_path):
    keras.utils.set_random_seed(0)
    x, _ = _toy_images(16)
    model = MoCo(_small_encoder(), queue_size=24, momentum=0.9)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(5)
    for key in model.key_weights:  # keys apart from the query, so that the update shows
        key.assign(rng.normal(size=key.shape).astype("float32"))
    keys_before = [ops.convert_to_numpy(v) for v in model.key_weights]
    sources = model.query.trainable_variables + model.query.non_trainable_variables
    query_before = [ops.convert_to_numpy(v) for v in sources]
    queue_before = ops.convert_to_numpy(model.queue)
    model.fit(x[:8], epochs=1, batch_size=8, verbose=0)  # one step
    for key, k0, q0 in zip(model.key_weights, keys_before, query_before):
        np.testing.assert_allclose(ops.convert_to_numpy(key), 0.9 * k0 + 0.1 * q0, rtol=1e-5, atol=1e-6)
    queue = ops.convert_to_numpy(model.queue)
    np.testing.assert_array_equal(queue[8:], queue_before[:16])  # the oldest 8 left, the rest moved back
    assert not np.allclose(queue[:8], queue_before[:8])  # the batch's keys came in at the front
    path = tmp_path / "moco.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded.queue), queue)
    for a, b in zip(loaded.key_weights, model.key_weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    assert loaded.queue_size == 24 and loaded.momentum == 0.9


def test_moco_learns():
    keras.utils.set_random_seed(0)
    x, _ = _toy_images()
    model = MoCo(_small_encoder(), queue_size=32, momentum=0.9, temperature=0.5)
    losses = _mean_loss(model, x, 8, 32)  # the queue holds real keys after the first step
    assert losses[-1] < losses[1] - 0.1, losses


def test_rotation_learns_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    x, _ = _toy_images()
    x[:, :6, :6] = np.maximum(x[:, :6, :6], 0.8)  # a bright corner tells which way is up
    model = RotationNet(_small_encoder())
    losses = _mean_loss(model, x, 5, 32)
    assert losses[-1] < losses[0] - 0.2, losses
    model.save(tmp_path / "rotation.keras")
    loaded = keras.models.load_model(tmp_path / "rotation.keras")
    np.testing.assert_allclose(loaded.encode(x[:8]), model.encode(x[:8]), atol=1e-5)


def test_unpooled_features_are_the_map_the_pooling_averages():
    """``encode(x, pooled=False)`` is the encoder's last feature map, flattened: its per-channel mean over the
    positions is ``encode(x)`` (global average pooling), and an encoder without final pooling is refused."""
    x, _ = _toy_images(6)
    model = SimCLR(_small_encoder())
    maps = model.encode(x, pooled=False)
    assert maps.shape == (6, 6 * 6 * 16)  # 12 x 12 pooled once to 6 x 6, 16 filters
    np.testing.assert_allclose(maps.reshape(6, 36, 16).mean(axis=1), model.encode(x), atol=1e-5)
    inputs = keras.Input((12, 12, 1))
    flat = SimCLR(keras.Model(inputs, keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(inputs))))
    with pytest.raises(ValueError, match="global pooling.*Flatten"):
        flat.encode(x, pooled=False)


def test_models_refuse_bad_input():
    model = SimCLR(_small_encoder())
    model.compile(optimizer="adam")
    x, y = _toy_images(8)
    with pytest.raises(ValueError, match="`y` must be None"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="height"):
        model.fit(np.zeros((4, 28, 28, 1), "float32"))
    with pytest.raises(TypeError, match="integer"):
        model.encode((x * 255).astype("uint8"))
    with pytest.raises(ValueError, match="queue_size"):
        MoCo(_small_encoder(), queue_size=0)
    with pytest.raises(ValueError, match="momentum"):
        MoCo(_small_encoder(), momentum=1.5)
    with pytest.raises(ValueError, match="input_shape"):
        build_encoder((28, 28))


def test_probe_and_label_subsets():
    rng = np.random.default_rng(6)
    y = np.repeat(np.arange(3), 100)
    f = rng.normal(size=(300, 4)) + 4.0 * np.eye(3, 4)[y]
    keep = label_subset(y, 0.01, seed=0)
    assert len(keep) == 3 and sorted(y[keep]) == [0, 1, 2]  # at least one per class
    assert len(label_subset(y, 0.1)) == 30 and len(label_subset(y, 1.0)) == 300
    assert linear_probe(f, y, f, y, fraction=0.1) > 0.95
    assert knn_accuracy(f, y, f, y, fraction=1.0, k=5) > 0.95
    with pytest.raises(ValueError, match="fraction"):
        label_subset(y, 0.0)
    with pytest.raises(ValueError, match="f_train"):
        linear_probe(f[:10], y, f, y)
    with pytest.raises(ValueError, match="NaN"):
        knn_accuracy(np.full_like(f, np.nan), y, f, y)
