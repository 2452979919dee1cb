"""Cluster evaluation (unsuplab.metrics): Hungarian accuracy, NMI/ARI, many-to-one mapping, collapse detection;
the k-means baselines; and every clusterer of unsuplab.clustering behind one shape (issue 25): ``fit(x) ->
keras.callbacks.History``, ``labels_``, ``predict``, callbacks and ``time_limit``."""

import keras
import numpy as np
import pytest
from epoch_recorder import Recorder
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from test_dec import two_blobs
from test_iic import OUT, SIDE
from test_jule import dense_encoder, feature_blobs

from unsuplab import clustering, metrics
from unsuplab.baselines import fit_pca, flat
from unsuplab.dec import DEC, recipe_optimizer
from unsuplab.iic import IICClusterer, build_iic
from unsuplab.models import build_dense_autoencoder


def test_accuracy_is_invariant_to_cluster_names():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert metrics.cluster_accuracy([2, 2, 0, 0, 1, 1], y) == 1.0
    assert metrics.cluster_accuracy([0, 0, 0, 0, 0, 0], y) == pytest.approx(1 / 3)
    assert metrics.cluster_accuracy([0, 1, 1, 1, 2, 2], y) == pytest.approx(5 / 6)
    assert metrics.nmi([2, 2, 0, 0, 1, 1], y) == pytest.approx(1.0)
    assert metrics.ari([2, 2, 0, 0, 1, 1], y) == pytest.approx(1.0)


def test_matched_confusion_is_diagonal_for_a_perfect_clustering():
    y = np.array([0, 1, 2, 0, 1, 2])
    table = metrics.matched_confusion([1, 2, 0, 1, 2, 0], y)
    np.testing.assert_array_equal(table, 2 * np.eye(3, dtype=int))


def test_many_to_one_maps_overclusters_by_majority():
    labelled_clusters = np.array([0, 1, 2, 3, 3])
    labelled_y = np.array([0, 0, 1, 1, 1])
    mapped = metrics.many_to_one(labelled_clusters, labelled_y, np.array([3, 2, 1, 0, 4]), n_clusters=5)
    np.testing.assert_array_equal(mapped, [1, 1, 0, 0, 1])  # cluster 4 is unseen: majority class 1


def test_size_entropy_detects_collapse():
    assert metrics.size_entropy(np.arange(100) % 10, 10) == pytest.approx(1.0)
    assert metrics.size_entropy(np.zeros(100, int), 10) == pytest.approx(0.0)
    assert metrics.collapsed(np.zeros(100, int), 10)
    assert metrics.collapsed(np.arange(100) % 9, 10)  # one empty cluster
    assert not metrics.collapsed(np.arange(100) % 10, 10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="assigned"):
        metrics.cluster_accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="n_clusters"):
        metrics.size_entropy([0, 1], 1)
    with pytest.raises(ValueError, match="n_clusters"):
        clustering.kmeans(np.zeros((3, 2)), 5)


def test_kmeans_baselines_find_separated_blobs():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    x = (rng.normal(0, 0.02, (90, 4, 4, 1)) + 0.3 * y[:, None, None, None] + 0.1).clip(0, 1).astype("float32")
    assert metrics.cluster_accuracy(clustering.kmeans_pixels(x, 3), y) == 1.0
    assert metrics.cluster_accuracy(clustering.pca_kmeans(x, 3, n_components=2), y) == 1.0


def test_standardize_gives_zero_mean_unit_variance_and_keeps_constant_columns_finite():
    f = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    z = clustering.standardize(f)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), [1.0, 0.0, 1.0], atol=1e-12)  # the constant column stays 0


def test_huge_ids_are_relabelled_not_allocated():
    # issue 19 item 7: a (2 x 10**9) table used to be allocated here
    assert metrics.cluster_accuracy([0, 1], [0, 10 ** 9]) == 1.0
    assert metrics.cluster_accuracy([10 ** 12, 7, 7], [5, 10 ** 9, 10 ** 9]) == 1.0
    assert metrics.best_matching([10 ** 12, 7], [5, 10 ** 9]) == {7: 10 ** 9, 10 ** 12: 5}
    np.testing.assert_array_equal(metrics.matched_confusion([10 ** 12, 7, 7], [5, 10 ** 9, 10 ** 9]),
                                  [[1, 0], [0, 2]])
    mapped = metrics.many_to_one([10 ** 12, 7], [5, 10 ** 9], [7, 10 ** 12, 3])
    assert mapped.tolist() == [10 ** 9, 5, 5]   # cluster 3 has no labelled image: majority (ties: smaller id)
    s = metrics.cluster_scores([10 ** 12, 7, 7, 10 ** 12], [5, 10 ** 9, 10 ** 9, 5])
    assert s["acc"] == 1.0 and s["nmi"] == pytest.approx(1.0) and s["size_entropy"] == pytest.approx(1.0)


def test_library_calls_agree_with_the_definitions():
    rng = np.random.default_rng(0)
    y, assigned = rng.integers(0, 4, 200), rng.integers(0, 6, 200)
    table = metrics.contingency(assigned, y)
    by_hand = np.zeros((6, 4), int)
    np.add.at(by_hand, (assigned, y), 1)
    np.testing.assert_array_equal(table, by_hand)
    confusion = metrics.matched_confusion(assigned, y)
    mapping = metrics.best_matching(assigned, y)
    assert confusion.sum() == sum(np.sum(assigned == c) for c in mapping)
    assert np.trace(confusion) / len(y) == pytest.approx(metrics.cluster_accuracy(assigned, y))
    p = np.bincount(assigned) / len(assigned)
    assert metrics.size_entropy(assigned, 6) == pytest.approx(-(p * np.log(p)).sum() / np.log(6))


@pytest.mark.parametrize("call, error, match", [
    (lambda: metrics.nmi([], []), ValueError, "empty"),
    (lambda: metrics.cluster_accuracy([], []), ValueError, "empty"),
    (lambda: metrics.cluster_scores([], []), ValueError, "empty"),
    (lambda: metrics.size_entropy([], 3), ValueError, "empty"),
    (lambda: metrics.cluster_accuracy(["a", "b"], [0, 1]), TypeError, "assigned"),
    (lambda: metrics.nmi([0, 1], ["cat", "dog"]), TypeError, "`y`"),
    (lambda: metrics.ari([0, -1], [0, 1]), ValueError, "non-negative"),
    (lambda: metrics.many_to_one([0, 5], [0, 1], [0, 5], n_clusters=3), ValueError, "n_clusters"),
    (lambda: metrics.many_to_one([0, 1], [0, 1], [0, 9], n_clusters=3), ValueError, "n_clusters"),
    (lambda: metrics.many_to_one([0, 1], [0, 1], [-1]), ValueError, "assigned"),
    (lambda: metrics.size_entropy([0, 3], 3), ValueError, "n_clusters"),
    (lambda: metrics.cluster_scores([0, 1, 2], [0, 1, 1], n_clusters=2), ValueError, "n_clusters"),
    (lambda: clustering.kmeans(np.zeros((3, 2)), 1), ValueError, "n_clusters"),
])
def test_bad_clustering_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------- issue 25: one shape for every method

def separated_images(n=30, side=4):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), n)
    x = (rng.normal(0, 0.02, (3 * n, side, side, 1)) + 0.3 * y[:, None, None, None] + 0.1).clip(0, 1)
    return x.astype("float32"), y


def squares(n=64):
    """test_iic's two "classes": a bright square top-left or bottom-right of a SIDE x SIDE image."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, SIDE, SIDE, 1), "float32")
    y = rng.integers(0, 2, n)
    for i, c in enumerate(y):
        r = 2 if c == 0 else 10
        x[i, r:r + 8, r:r + 8] = 1.0
    return x, y


def small_autoencoder():
    return build_dense_autoencoder(input_shape=(8,), hidden=(16,), code_size=2, code_activation=None)


@pytest.fixture(scope="module")
def fitted():
    """Each clusterer fitted once on tiny data, with a Recorder: name -> (method, x, y, history, recorder).
    DEC, IIC and JULE are stopped early by their Recorder (the tests below say where)."""
    runs = {}
    x, y = separated_images()
    recorder = Recorder()
    method = clustering.KMeansClustering(3)
    runs["kmeans"] = (method, x, y, method.fit(x, callbacks=[recorder]), recorder)

    keras.utils.set_random_seed(0)
    x, y = two_blobs()
    recorder = Recorder()
    ae_kmeans = clustering.AutoencoderKMeans(small_autoencoder(), 2)
    runs["ae_kmeans"] = (ae_kmeans, x, y, ae_kmeans.fit(x, epochs=20, batch_size=32, callbacks=[recorder]), recorder)

    recorder = Recorder(stop_at=1)  # at the refresh of step 5: no training after it
    method = clustering.DECClustering(ae_kmeans.autoencoder, 2, update_interval=5, tol=0.0)
    runs["dec"] = (method, x, y, method.fit(x, steps=40, batch_size=32, callbacks=[recorder]), recorder)

    keras.utils.set_random_seed(0)
    x, y = squares()
    model = build_iic((SIDE, SIDE, 1), n_clusters=2, n_overclusters=4, n_subheads=2, filters=(4,), out_size=OUT,
                      repeats=1, seed=0, rotation=5.0, shear=0.0, crop_x=(0.8, 0.8), crop_g=(0.7, 0.9))
    recorder = Recorder(stop_at=0)  # after the first of three epochs
    method = clustering.IICClustering(model, learning_rate=1e-2, select_size=64)
    runs["iic"] = (method, x, y, method.fit(x, epochs=3, batch_size=32, callbacks=[recorder]), recorder)

    x, y = feature_blobs()
    recorder = Recorder(stop_at=1)  # after the first period: no more training, straight to the final pass
    method = clustering.JULEClustering(3, encoder=dense_encoder(), ks=10)
    runs["jule"] = (method, x, y, method.fit(x, epochs=2, batch_size=60, callbacks=[recorder]), recorder)
    return runs


CLUSTERERS = ("kmeans", "ae_kmeans", "dec", "iic", "jule")


@pytest.mark.parametrize("name", CLUSTERERS)
def test_fit_returns_a_history_and_labels(fitted, name):
    method, x, y, history, _ = fitted[name]
    n_clusters = 2 if name in ("ae_kmeans", "dec", "iic") else 3
    assert isinstance(history, keras.callbacks.History) and history.epoch
    assert method.labels_.shape == (len(x),) and method.labels_.dtype == np.int64
    assert method.labels_.min() >= 0 and method.labels_.max() < n_clusters
    # IIC trains one epoch and JULE one period here (their Recorders stop them): 0.93 on PyTorch, 1.0 elsewhere
    assert metrics.cluster_accuracy(method.labels_, y) >= (0.9 if name in ("iic", "jule") else 1.0)


@pytest.mark.parametrize("name", ("kmeans", "ae_kmeans", "dec", "iic"))
def test_predict_on_the_fitted_data_is_labels(fitted, name):
    method, x, *_ = fitted[name]
    predicted = method.predict(x)
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, method.labels_)


def test_jule_predicts_new_images_by_the_nearest_mean_feature(fitted):
    """JULE is transductive: its labels come from graph agglomeration (graph degree linkage on the kNN graph), not
    from the nearest centre, so ``predict`` (nearest mean unit-norm feature) may put a few boundary images
    elsewhere; on separated blobs it agrees almost everywhere, and it keeps the clusters' accuracy."""
    method, x, y, *_ = fitted["jule"]
    predicted = method.predict(x)
    assert predicted.shape == (len(x),) and predicted.dtype == np.int64
    assert np.mean(predicted == method.labels_) >= 0.9  # 0.94 on PyTorch (one period of training), 1.0 elsewhere
    assert metrics.cluster_accuracy(predicted, y) >= 0.9
    features = method.model.predict(x, verbose=0)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    centres = np.stack([features[method.labels_ == c].mean(0) for c in range(3)])
    nearest = ((features[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(predicted, nearest)  # the rule, written out
    np.testing.assert_array_equal(method.predict(x[:7]), predicted[:7])  # new images: the same centres


@pytest.mark.parametrize("make", [
    lambda: clustering.KMeansClustering(3),
    lambda: clustering.AutoencoderKMeans(small_autoencoder(), 2),
    lambda: clustering.DECClustering(small_autoencoder(), 2),
    lambda: clustering.IICClustering(build_iic((SIDE, SIDE, 1), n_clusters=2, n_overclusters=0, n_subheads=1,
                                               filters=(2,), out_size=OUT)),
    lambda: clustering.JULEClustering(3),
])
def test_predict_before_fit_is_refused(make):
    method = make()
    with pytest.raises(RuntimeError, match="not been fitted"):
        method.predict(np.zeros((4, 8), "float32"))
    if hasattr(method, "cluster_probabilities"):
        with pytest.raises(RuntimeError, match="not been fitted"):
            method.cluster_probabilities(np.zeros((4, 8), "float32"))


@pytest.mark.parametrize("name, model_type", [
    ("kmeans", type(None)),  # no Keras model: the History records the loop itself
    ("ae_kmeans", keras.Model),
    ("dec", DEC),
    ("iic", IICClusterer),
    ("jule", keras.Model),
])
def test_callbacks_see_every_epoch_and_the_model_trained(fitted, name, model_type):
    method, _, _, history, recorder = fitted[name]
    assert recorder.epochs == history.epoch == list(range(len(history.epoch)))
    assert all(isinstance(model, model_type) for model in recorder.models)
    want = None if name == "kmeans" else method.autoencoder if name == "ae_kmeans" else method.model
    assert recorder.models and all(model is want for model in recorder.models)
    assert history.model is want
    for key, values in history.history.items():  # the History holds exactly the logs the callbacks saw
        np.testing.assert_equal(values, [logs[key] for logs in recorder.logs])
    assert all(set(logs) == set(history.history) for logs in recorder.logs)


def test_kmeans_history_logs_the_inertia(fitted):
    method, x, _, history, _ = fitted["kmeans"]
    assert history.history == {"inertia": [pytest.approx(method.kmeans.inertia_)]} and history.model is None


def test_stop_training_from_a_callback_stops_dec_iic_and_jule(fitted):
    dec_history = fitted["dec"][3]
    assert dec_history.history["step"] == [0, 5] and not fitted["dec"][0].converged_  # 40 steps without the stop
    iic_history = fitted["iic"][3]
    assert iic_history.epoch == [0] and len(iic_history.history["main_loss"]) == 1  # 3 epochs without the stop
    jule_history = fitted["jule"][3]
    assert jule_history.history["stage"] == ["initial", "merge", "final"]  # two periods without the stop
    assert jule_history.history["epochs"] == [0, 2, 0] and len(jule_history.epoch_losses) == 2
    assert not jule_history.stopped_by_time and jule_history.history["clusters"][-1] == 3


def test_unstopped_jule_runs_more_periods():
    """The stop above is the callback's doing: without it the same run trains a second period."""
    x, _ = feature_blobs()
    history = clustering.JULEClustering(3, encoder=dense_encoder(), ks=10).fit(x, epochs=2, batch_size=60)
    assert history.history["stage"] == ["initial", "merge", "merge", "final"] and len(history.epoch_losses) == 4


def test_jule_stopped_at_the_initial_step_trains_no_period():
    x, _ = feature_blobs(n=30)
    history = clustering.JULEClustering(3, encoder=dense_encoder(), ks=8).fit(x, epochs=2, batch_size=30,
                                                                               callbacks=[Recorder(stop_at=0)])
    assert history.history["stage"] == ["initial", "final"]
    assert history.epoch_losses == [] and history.history["epochs"] == [0, 0]


def test_jule_clustering_passes_augment_min_size_ratio_and_min_steps_to_fit_jule():
    x, _ = feature_blobs(n=30)
    with pytest.raises(ValueError, match="augment"):  # fit_jule's own checks: feature vectors cannot be turned
        clustering.JULEClustering(3, encoder=dense_encoder(), ks=8, augment=True).fit(x, epochs=1)
    with pytest.raises(ValueError, match="min_size_ratio"):
        clustering.JULEClustering(3, encoder=dense_encoder(), ks=8, min_size_ratio=2.0).fit(x, epochs=1)
    history = clustering.JULEClustering(3, encoder=dense_encoder(), ks=8).fit(x, epochs=1, min_steps=7, batch_size=30)
    assert set(history.history["epochs"][1:-1]) == {3}  # 3 batches an epoch: 7 batches take 3 epochs


# ----------------------------------------------------------------------------- k-means and PCA + k-means

def random_images(seed=0):
    return np.random.default_rng(seed).random((120, 6, 6, 1))  # no clear clusters: every seed and setting shows


@pytest.mark.parametrize("seed", [0, 3])
def test_kmeans_clustering_reproduces_the_baselines_and_the_old_numbers(seed):
    x = random_images(seed)
    old = KMeans(4, n_init=10, random_state=seed).fit_predict(x.reshape(len(x), -1).astype("float32"))
    method = clustering.KMeansClustering(4, seed=seed)
    method.fit(x)
    np.testing.assert_array_equal(method.labels_, old)
    np.testing.assert_array_equal(clustering.kmeans_pixels(x, 4, seed=seed), old)
    np.testing.assert_array_equal(clustering.kmeans(flat(x), 4, seed=seed), old)
    old_pca = KMeans(4, n_init=10, random_state=seed).fit_predict(flat(fit_pca(x, 5, seed).transform(flat(x))))
    pca = clustering.KMeansClustering(4, n_components=5, seed=seed)
    np.testing.assert_array_equal(pca.fit_predict(x), old_pca)
    np.testing.assert_array_equal(clustering.pca_kmeans(x, 4, n_components=5, seed=seed), old_pca)
    np.testing.assert_array_equal(pca.predict(x), old_pca)


def test_kmeans_clustering_predicts_new_images_by_the_nearest_centroid():
    x = random_images()
    method = clustering.KMeansClustering(4)
    np.testing.assert_array_equal(method.fit_predict(x), method.labels_)
    new = np.random.default_rng(9).random((10, 6, 6, 1))
    distances = ((flat(new)[:, None].astype("float64") - method.kmeans.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(method.predict(new), distances.argmin(1))


# ----------------------------------------------------------------------------- AE + k-means

def test_autoencoder_kmeans_is_kmeans_on_the_trained_codes(fitted):
    method, x, _, history, _ = fitted["ae_kmeans"]
    assert history.epoch == list(range(20)) and history.history["loss"][-1] < history.history["loss"][0]
    codes = method.autoencoder.encode(x)
    np.testing.assert_array_equal(method.labels_, KMeans(2, n_init=20, random_state=0).fit_predict(codes))
    np.testing.assert_array_equal(method.codes(x), codes)  # not standardised by default


def test_autoencoder_kmeans_standardizes_the_codes_when_asked():
    keras.utils.set_random_seed(0)
    x, _ = two_blobs(n=20)
    method = clustering.AutoencoderKMeans(small_autoencoder(), 2, standardize=True, n_init=3, seed=1)
    method.fit(x, epochs=1, batch_size=40)
    codes = method.autoencoder.encode(x)
    scaled = StandardScaler().fit_transform(codes.astype("float64"))
    np.testing.assert_allclose(method.codes(x), scaled, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(method.labels_, KMeans(2, n_init=3, random_state=1).fit_predict(flat(scaled)))
    np.testing.assert_array_equal(method.predict(x), method.labels_)
    np.testing.assert_allclose(method.codes(x[:5]), scaled[:5], rtol=1e-5, atol=1e-5)  # the fitted x's statistics


def test_autoencoder_kmeans_compiles_an_uncompiled_model_only():
    x, _ = two_blobs(n=20)
    fresh = small_autoencoder()
    assert not fresh.compiled
    clustering.AutoencoderKMeans(fresh, 2, n_init=1).fit(x, epochs=1)
    assert fresh.compiled and isinstance(fresh.optimizer, keras.optimizers.Adam) and fresh.loss == "mse"
    sgd = keras.optimizers.SGD(0.05)
    chosen = small_autoencoder()
    clustering.AutoencoderKMeans(chosen, 2, optimizer=sgd, loss="mae", n_init=1).fit(x, epochs=1)
    assert chosen.optimizer is sgd and chosen.loss == "mae"
    compiled = small_autoencoder()
    mine = recipe_optimizer("sgd", 0.01)
    compiled.compile(optimizer=mine, loss="mse")
    clustering.AutoencoderKMeans(compiled, 2, optimizer="adam", loss="mae", n_init=1).fit(x, epochs=2,
                                                                                           batch_size=20)
    assert compiled.optimizer is mine and compiled.loss == "mse"  # left alone...
    assert int(keras.ops.convert_to_numpy(mine.iterations)) == 4  # ...and the one that trained it


def test_autoencoder_kmeans_time_limit_and_bad_arguments():
    x, _ = two_blobs(n=20)
    method = clustering.AutoencoderKMeans(small_autoencoder(), 2, n_init=1)
    history = method.fit(x, epochs=50, batch_size=4, time_limit=0)  # stops after the first batch
    assert history.epoch == [0] and method.labels_.shape == (len(x),)
    with pytest.raises(TypeError, match="keras.Model"):
        clustering.AutoencoderKMeans("an autoencoder", 2)
    with pytest.raises(TypeError, match="`callbacks`"):
        method.fit(x, epochs=1, callbacks=keras.callbacks.History())
    with pytest.raises(ValueError, match="epochs"):
        method.fit(x, epochs=0)


# ----------------------------------------------------------------------------- DEC

def test_dec_clustering_exposes_the_model_and_the_start(fitted):
    method, x, _, history, _ = fitted["dec"]
    assert method.model is history.model and isinstance(method.model, DEC) and not method.model.idec
    np.testing.assert_array_equal(method.initial_labels_, history.initial_labels)
    assert method.converged_ is history.converged is False
    q = method.cluster_probabilities(x)
    assert q.shape == (len(x), 2) and np.allclose(q.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(q.argmax(1), method.labels_)


def test_dec_clustering_counts_steps_not_epochs(fitted):
    method, x, *_ = fitted["dec"]
    with pytest.raises(TypeError, match="steps"):
        method.fit(x, epochs=3)


def test_dec_clustering_converges_and_starts_from_given_labels(fitted):
    ae_kmeans, x, y, *_ = fitted["ae_kmeans"]
    method = clustering.DECClustering(ae_kmeans.autoencoder, 2, idec=True, update_interval=5)
    history = method.fit(x, steps=40, batch_size=32, initial_labels=ae_kmeans.labels_)
    np.testing.assert_array_equal(method.initial_labels_, ae_kmeans.labels_)  # exactly the AE + k-means start
    assert method.converged_ and history.history["step"] == [0, 5] and method.model.idec
    assert set(history.history) == {"step", "label_change", "loss", "kl", "reconstruction"}
    assert metrics.cluster_accuracy(method.labels_, y) == 1.0


class SlowBatches(keras.callbacks.Callback):
    def __init__(self, pause):
        super().__init__()
        self.pause, self.times = pause, []

    def on_train_batch_end(self, batch, logs=None):
        import time

        time.sleep(self.pause)
        self.times.append(time.monotonic())


def test_dec_time_limit_stops_after_the_batch_that_passes_it_with_a_last_refresh(fitted):
    ae_kmeans, x, *_ = fitted["ae_kmeans"]
    ae = ae_kmeans.autoencoder
    slow = SlowBatches(0.05)  # 0.05 s a batch at least: the 11th batch ends past the 0.5 s budget at the latest
    method = clustering.DECClustering(ae, 2, update_interval=1000, tol=0.0, n_init=2)
    history = method.fit(x, steps=10000, batch_size=32, time_limit=0.5, callbacks=[slow])
    steps = history.history["step"]
    assert len(steps) == 2 and steps[0] == 0 and 1 <= steps[1] <= 11  # a last refresh off the 1000-step grid...
    assert steps[1] == len(slow.times)  # ...right after the batch that passed the budget
    assert np.isfinite(history.history["loss"][1]) and not method.converged_
    np.testing.assert_array_equal(method.labels_, method.model.assign(x))
    zero = clustering.DECClustering(ae, 2, update_interval=5, tol=0.0, n_init=2)
    assert zero.fit(x, steps=40, batch_size=32, time_limit=0).history["step"] == [0]  # spent before any step
