"""DEC and IDEC (unsuplab.dec): the equations against closed forms, the gradient, saving, the training loop."""

import math

import keras
import numpy as np
import pytest
from autodiff import gradient
from keras import ops
from sklearn.cluster import KMeans

from unsuplab import dec
from unsuplab.metrics import cluster_accuracy
from unsuplab.models import build_dense_autoencoder

# Three codes on a line and two centroids, q worked out by hand with alpha = 1:
# kernel (1 + d^2)^-1 -> z0: (1, 1/5); z1: (1/2, 1/2); z2: (1/17, 1/5), each row then normalised.
Z = np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0]], "float32")
MU = np.array([[0.0, 0.0], [2.0, 0.0]], "float32")
Q_HAND = np.array([[5 / 6, 1 / 6], [1 / 2, 1 / 2], [5 / 22, 17 / 22]])


def p_by_hand(q):
    """Eq. 3 written out element by element."""
    f = [sum(q[i][j] for i in range(len(q))) for j in range(len(q[0]))]
    rows = []
    for row in q:
        w = [row[j] ** 2 / f[j] for j in range(len(row))]
        rows.append([v / sum(w) for v in w])
    return np.array(rows)


def two_blobs(n=60, seed=0):
    """Two well-separated Gaussian blobs in [0, 1]^8 and their labels."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0.25, 0.04, (n, 8)), rng.normal(0.75, 0.04, (n, 8))])
    return x.clip(0, 1).astype("float32"), np.repeat([0, 1], n)


@pytest.fixture(scope="module")
def blobs():
    keras.utils.set_random_seed(0)
    x, y = two_blobs()
    ae = build_dense_autoencoder(input_shape=(8,), hidden=(16,), code_size=2, code_activation=None)
    ae.compile("adam", "mse")
    ae.fit(x, x, epochs=20, batch_size=32, verbose=0)
    return ae, x, y


@pytest.fixture(scope="module")
def fitted(blobs):
    ae, x, _ = blobs
    before = [w.copy() for w in ae.get_weights()]
    runs = {}
    for idec in (False, True):
        history = dec.fit_dec(ae, x, 2, idec=idec, update_interval=5, steps=40, batch_size=32)
        runs[idec] = (history.model, history)
    return runs, before


# ----------------------------------------------------------------------------- closed forms

def test_soft_assignment_matches_hand_computed_q():
    q = ops.convert_to_numpy(dec.soft_assignment(Z, MU))
    np.testing.assert_allclose(q, Q_HAND, rtol=1e-6)


def test_soft_assignment_general_alpha():
    alpha = 3.0
    squared = ((Z[:, None, :] - MU[None]) ** 2).sum(-1)
    kernel = (1 + squared / alpha) ** (-(alpha + 1) / 2)
    q = ops.convert_to_numpy(dec.soft_assignment(Z, MU, alpha))
    np.testing.assert_allclose(q, kernel / kernel.sum(1, keepdims=True), rtol=1e-5)


def test_target_distribution_matches_hand_computed_p():
    p = ops.convert_to_numpy(dec.target_distribution(Q_HAND.astype("float32")))
    np.testing.assert_allclose(p, p_by_hand(Q_HAND), rtol=1e-5)
    assert p[0, 0] > Q_HAND[0, 0] and p[2, 1] > Q_HAND[2, 1]  # confident rows get sharper


def test_rows_sum_to_one():
    rng = np.random.default_rng(1)
    z, mu = rng.normal(size=(50, 5)).astype("float32"), rng.normal(size=(4, 5)).astype("float32")
    q = ops.convert_to_numpy(dec.soft_assignment(z, mu))
    p = ops.convert_to_numpy(dec.target_distribution(q))
    for rows in (q, p):
        assert rows.shape == (50, 4) and np.all(rows >= 0)
        np.testing.assert_allclose(rows.sum(1), 1.0, rtol=1e-5)


def test_clustering_layer_uses_its_centroids():
    layer = dec.ClusteringLayer(2, name="clustering")
    layer.build((None, 2))
    layer.set_centroids(MU)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(Z)), Q_HAND, rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.centroids), MU)
    assert layer.compute_output_shape((None, 2)) == (None, 2)
    copy = dec.ClusteringLayer.from_config(layer.get_config())
    assert (copy.n_clusters, copy.alpha) == (2, 1.0)


def test_kl_divergence_closed_form():
    p, q = np.array([[0.9, 0.1]], "float32"), np.array([[0.6, 0.4]], "float32")
    want = 0.9 * math.log(0.9 / 0.6) + 0.1 * math.log(0.1 / 0.4)
    np.testing.assert_allclose(ops.convert_to_numpy(dec.kl_divergence(p, q)), [want], rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(dec.kl_divergence(p, p)), [0.0], atol=1e-6)


# ----------------------------------------------------------------------------- the gradient

def kl_of_codes(p):
    """KL(P || Q(z)) summed over the batch, P held fixed (as between two refreshes)."""
    return lambda z: dec.kl_divergence(p, dec.soft_assignment(z, MU))


def test_kl_gradient_matches_eq_4():
    """dL/dz_i = 2 sum_j (1 + ||z_i - mu_j||^2)^-1 (p_ij - q_ij)(z_i - mu_j) (DEC eq. 4, alpha = 1)."""
    z = np.array([[0.5, 0.2], [1.1, -0.3], [3.0, 0.4]], "float32")
    q = ops.convert_to_numpy(dec.soft_assignment(z, MU))
    p = p_by_hand(q).astype("float32")
    kernel = 1.0 / (1.0 + ((z[:, None] - MU[None]) ** 2).sum(-1))
    want = 2 * ((kernel * (p - q))[:, :, None] * (z[:, None] - MU[None])).sum(1)
    np.testing.assert_allclose(gradient(kl_of_codes(p), z), want, rtol=1e-3, atol=1e-6)


def test_kl_gradient_pulls_a_confident_point_to_its_centroid():
    z = np.array([[0.5, 0.2], [1.1, -0.3], [3.0, 0.4]], "float32")
    q = ops.convert_to_numpy(dec.soft_assignment(z, MU))
    p = p_by_hand(q).astype("float32")
    step = z - 0.5 * gradient(kl_of_codes(p), z)  # one SGD step on the codes
    for i, centroid in ((0, 0), (2, 1)):  # z0 is confident for mu0, z2 for mu1
        assert q[i, centroid] > 0.6
        assert np.linalg.norm(step[i] - MU[centroid]) < np.linalg.norm(z[i] - MU[centroid])


# ----------------------------------------------------------------------------- training

def test_two_blobs_are_clustered(blobs, fitted):
    _, x, y = blobs
    runs, _ = fitted
    for idec, (model, history) in runs.items():
        assert model.idec is idec and model.n_clusters == 2
        labels = model.assign(x)
        assert labels.shape == (len(x),) and labels.dtype == np.int64
        assert cluster_accuracy(y, labels) == 1.0
        assert cluster_accuracy(y, history.initial_labels) == 1.0
        q = model.cluster_probabilities(x)
        np.testing.assert_allclose(q.sum(1), 1.0, rtol=1e-5)
        assert model.encode(x).shape == (len(x), 2) and model.centroids.shape == (2, 2)


def test_stopping_rule_stops(fitted):
    runs, _ = fitted
    for idec, (model, history) in runs.items():
        assert isinstance(history, keras.callbacks.History) and history.model is model
        assert history.converged  # the blobs never change label: stops at the first refresh after step 0
        logs = history.history
        assert history.epoch == [0, 1]  # one epoch a refresh of P
        assert logs["step"] == [0, 5] and logs["label_change"][-1] < 0.001
        assert math.isnan(logs["loss"][0]) and np.isfinite(logs["loss"][1])
        want = {"step", "label_change", "loss", "kl"} | ({"reconstruction"} if idec else set())
        assert set(logs) == want and all(len(values) == 2 for values in logs.values())
        assert all(type(v) is float for values in logs.values() for v in values)  # Python floats, step too


def test_without_tolerance_it_runs_to_steps(blobs):
    ae, x, _ = blobs
    history = dec.fit_dec(ae, x, 2, update_interval=4, tol=0.0, steps=6, batch_size=32, n_init=2)
    assert not history.converged and history.history["step"] == [0, 4, 6]


def test_the_start_is_kmeans_on_the_codes(blobs):
    """``history.initial_labels`` (argmax q at step 0) are k-means' labels on the pretrained codes: q is largest at
    the nearest centroid, and the centroids are k-means' centres. Three clusters of two blobs: a partition that
    depends on k-means' own draws."""
    ae, x, _ = blobs
    codes = dec.build_dec(ae, 3).encode(x).astype("float64")
    for seed in (0, 1):
        kmeans = KMeans(3, n_init=4, random_state=seed).fit(codes)
        history = dec.fit_dec(ae, x, 3, steps=1, update_interval=1, n_init=4, seed=seed)
        np.testing.assert_array_equal(history.initial_labels, kmeans.labels_)
        assert history.initial_labels.dtype == np.int64
        nearest = ((codes[:, None] - kmeans.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
        np.testing.assert_array_equal(history.initial_labels, nearest)
        assert history.history["label_change"][0] == 0.0  # step 0 changes nothing from k-means


class Refreshes(keras.callbacks.Callback):
    """What a callback sees at each refresh of P: the epoch, the model, q of all x, and the logs."""

    def __init__(self, x, stop_at=None):
        super().__init__()
        self.x, self.stop_at, self.seen = x, stop_at, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((epoch, self.model, self.model.cluster_probabilities(self.x), dict(logs)))
        if epoch == self.stop_at:
            self.model.stop_training = True


def test_callbacks_run_at_each_refresh_and_can_stop(blobs):
    ae, x, _ = blobs
    refreshes = Refreshes(x, stop_at=2)
    history = dec.fit_dec(ae, x, 2, update_interval=3, tol=0.0, steps=30, batch_size=32, n_init=2,
                          callbacks=[refreshes])
    assert [epoch for epoch, *_ in refreshes.seen] == history.epoch == [0, 1, 2]  # 11 refreshes without the stop
    assert history.history["step"] == [0, 3, 6]
    assert all(model is history.model and isinstance(model, dec.DEC) for _, model, _, _ in refreshes.seen)
    for epoch, _, q, logs in refreshes.seen:
        assert q.shape == (len(x), 2) and logs["step"] == history.history["step"][epoch]
    np.testing.assert_array_equal(refreshes.seen[0][2].argmax(1), history.initial_labels)
    np.testing.assert_allclose(refreshes.seen[-1][2], history.model.cluster_probabilities(x), atol=1e-6)  # none after


def test_time_limit_zero_stops_at_the_first_refresh(blobs):
    ae, x, _ = blobs
    history = dec.fit_dec(ae, x, 2, update_interval=3, tol=0.0, steps=30, batch_size=32, n_init=2, time_limit=0)
    assert history.history["step"] == [0] and not history.converged


def test_idec_loss_is_reconstruction_plus_gamma_kl(blobs, fitted):
    _, x, _ = blobs
    runs, _ = fitted
    assert "reconstruction" not in runs[False][1].history  # DEC has no reconstruction term to log
    model, history = runs[True]
    assert np.isfinite(history.history["reconstruction"][-1]) and math.isnan(history.history["reconstruction"][0])
    p = ops.convert_to_numpy(dec.target_distribution(model.cluster_probabilities(x)))
    logs = model.train_on_batch(x[:32], p[:32], return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["reconstruction"] + model.gamma * logs["kl"], rtol=1e-4)


def test_pretrained_autoencoder_is_left_unchanged(blobs, fitted):
    ae, _, _ = blobs
    runs, before = fitted
    assert all(np.array_equal(a, b) for a, b in zip(before, ae.get_weights()))
    assert runs[False][0].encoder is not ae.encoder


def test_keras_round_trip(blobs, fitted, tmp_path):
    _, x, _ = blobs
    runs, _ = fitted
    for idec, (model, _) in runs.items():
        path = tmp_path / f"dec_{idec}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert isinstance(loaded, dec.DEC) and loaded.idec is idec and loaded.gamma == model.gamma
        np.testing.assert_allclose(loaded.centroids, model.centroids)
        np.testing.assert_allclose(loaded.cluster_probabilities(x), model.cluster_probabilities(x), atol=1e-6)
        np.testing.assert_array_equal(loaded.assign(x), model.assign(x))


def test_corruption_is_off_while_clustering(blobs):
    _, x, _ = blobs
    noisy = build_dense_autoencoder(input_shape=(8,), hidden=(16,), code_size=2, code_activation=None,
                                    corruption={"kind": "gaussian", "amount": 0.5})
    model = dec.build_dec(noisy, 2, idec=True)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x[:10], training=True)),
                               ops.convert_to_numpy(model(x[:10], training=False)), atol=1e-6)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_clusters": 1}, ValueError, "n_clusters"),
    ({"n_clusters": 500}, ValueError, "n_clusters"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters"),
    ({"idec": True, "gamma": -1.0}, ValueError, "gamma"),
    ({"idec": True, "gamma": float("nan")}, ValueError, "gamma"),
    ({"idec": True, "gamma": "big"}, TypeError, "gamma"),
    ({"tol": 1.5}, ValueError, "tol"),
    ({"tol": -0.1}, ValueError, "tol"),
    ({"update_interval": 0}, ValueError, "update_interval"),
    ({"update_interval": 1.5}, TypeError, "update_interval"),
    ({"steps": 0}, ValueError, "steps"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"optimizer": "nonsense"}, ValueError, "optimizer"),
    ({"callbacks": 3}, TypeError, "callbacks"),
    ({"callbacks": keras.callbacks.History()}, TypeError, "callbacks"),  # one callback, not a list
    ({"callbacks": [lambda epoch, logs: None]}, TypeError, "callbacks"),
    ({"time_limit": -1}, ValueError, "time_limit"),
    ({"max_steps": 1}, TypeError, "max_steps"),  # the old names are gone
    ({"on_refresh": print}, TypeError, "on_refresh"),
])
def test_bad_arguments_are_named(blobs, kwargs, error, words):
    ae, x, _ = blobs
    kwargs = {"n_clusters": 2, "steps": 1, "n_init": 1, **kwargs}
    with pytest.raises(error, match=words):
        dec.fit_dec(ae, x, **kwargs)


@pytest.mark.parametrize("make, words", [
    (lambda x: x[:, :5], "shape"),
    (lambda x: x[None], "shape"),
    (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 7, np.nan, x).astype("float32"), "NaN"),
    (lambda x: (x * 255).astype("uint8"), "float"),
    (lambda x: x[:0], "empty"),
    (lambda x: x + 2.0, r"\[0.0, 1.0\]"),  # the autoencoder's own range check
])
def test_bad_data_is_named(blobs, make, words):
    ae, x, _ = blobs
    with pytest.raises((ValueError, TypeError), match=words):
        dec.fit_dec(ae, make(x), 2, steps=1, n_init=1)


def test_bad_models_and_arrays(blobs, fitted):
    ae, x, _ = blobs
    with pytest.raises(TypeError, match="encoder"):
        dec.fit_dec(object(), x, 2)
    with pytest.raises(TypeError, match="decoder"):
        dec.build_dec(type("EncoderOnly", (), {"encoder": ae.encoder})(), 2, idec=True)
    with pytest.raises(ValueError, match="q"):
        dec.target_distribution(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="alpha"):
        dec.ClusteringLayer(2, alpha=0)
    model = fitted[0][False][0]
    with pytest.raises(ValueError, match="centroids"):
        model.clustering.set_centroids(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="centroids"):
        model.clustering.set_centroids(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="shape"):
        model.assign(x[:, :3])
    with pytest.raises(ValueError, match="batch_size"):
        model.assign(x, batch_size=0)


# ------------------------------------------------------------------------ issue 25: library calls, named NaN errors

def test_kl_divergence_is_keras_own_with_the_clipped_formula():
    assert dec.kl_divergence is keras.losses.kl_divergence
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(4), 6).astype("float32"), rng.dirichlet(np.ones(4), 6).astype("float32")
    p[0, 0], q[1, 1] = 0.0, 0.0  # clipped to 1e-7 before the logarithm
    pc, qc = np.clip(p, 1e-7, 1.0).astype("float64"), np.clip(q, 1e-7, 1.0).astype("float64")
    np.testing.assert_allclose(ops.convert_to_numpy(dec.kl_divergence(p, q)), (pc * np.log(pc / qc)).sum(-1),
                               rtol=1e-5)


def test_nan_codes_get_a_named_error():
    with pytest.raises(ValueError, match="`z` contains NaN"):
        dec.soft_assignment(np.array([[np.nan, 0.0]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`centroids` contains NaN"):
        dec.soft_assignment(np.zeros((1, 2)), [[np.inf, 0.0], [0.0, 0.0]])
    inputs = keras.Input((2,))
    encoder = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model = dec.DEC(encoder, dec.ClusteringLayer(2))
    model.clustering.set_centroids([[0.0, 0.0], [1.0, 0.0]])
    encoder.layers[-1].kernel.assign(np.full((2, 2), np.nan, "float32"))  # diverged weights
    x = np.ones((5, 2), "float32")
    for call in (model.encode, model.cluster_probabilities, model.assign):
        with pytest.raises(ValueError, match="NaN or infinite codes .* for 5 of 5 samples, the first sample 0"):
            call(x)


def test_autoencoder_and_dec_save_through_one_mixin():
    from unsuplab.models import Autoencoder
    from unsuplab.serialization import SavedInParts

    assert issubclass(dec.DEC, SavedInParts) and issubclass(Autoencoder, SavedInParts)
    assert "save" not in vars(dec.DEC) and "save" not in vars(Autoencoder)
