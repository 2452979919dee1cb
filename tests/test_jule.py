"""JULE (unsuplab.jule): the sample graph, the initial clusters, graph degree linkage and merging, the triplet
loss against a loop and its gradient, a small end-to-end run, saving, bad input."""

import itertools
import math

import keras
import numpy as np
import pytest
from autodiff import gradient
from epoch_recorder import Recorder
from keras import ops
from scipy import sparse

from unsuplab import jule
from unsuplab.metrics import cluster_accuracy


def blobs(n=40, centres=((0.0, 0.0), (30.0, 0.0)), spread=1.0, seed=0):
    """Gaussian blobs in the plane (far apart) and their labels."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, spread, (n, 2)) for c in centres])
    return x, np.repeat(np.arange(len(centres)), n)


def feature_blobs(n=60, d=8, seed=0):
    """Three Gaussian blobs of feature vectors whose directions differ (they stay apart after L2 normalisation)."""
    rng = np.random.default_rng(seed)
    centres = 4.0 * np.eye(d)[:3] + 1.0
    x = np.concatenate([rng.normal(c, 0.4, (n, d)) for c in centres]).astype("float32")
    return x, np.repeat([0, 1, 2], n)


def dense_encoder(d=8):
    return keras.Sequential([keras.Input((d,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(8)])


@pytest.fixture(scope="module")
def fitted():
    keras.utils.set_random_seed(0)
    x, y = feature_blobs()
    encoder = dense_encoder()
    before = [w.copy() for w in encoder.get_weights()]
    history = jule.fit_jule(x, 3, encoder=encoder, ks=10, epochs_per_period=2, batch_size=60, seed=0)
    return x, y, encoder, before, history.labels, history


# ----------------------------------------------------------------------------- the sample graph

def test_knn_affinity_is_sparse_with_k_neighbours_a_row():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(120, 5))
    w = jule.knn_affinity(f, ks=7)
    assert sparse.issparse(w) and w.shape == (120, 120)
    np.testing.assert_array_equal(np.diff(w.indptr), 7)  # exactly ks neighbours a row
    assert w.diagonal().sum() == 0 and np.all(w.data > 0) and np.all(w.data <= 1)
    squared = ((f[:, None] - f[None]) ** 2).sum(-1)  # brute force: the 7 nearest, sigma^2 their mean distance^2
    np.fill_diagonal(squared, np.inf)
    nearest = np.argsort(squared, axis=1)[:, :7]
    sigma2 = np.take_along_axis(squared, nearest, 1).mean()
    want = np.zeros((120, 120))
    np.put_along_axis(want, nearest, np.exp(-np.take_along_axis(squared, nearest, 1) / sigma2), 1)
    np.testing.assert_allclose(w.toarray(), want, rtol=1e-6)


def test_knn_affinity_is_symmetric_between_mutual_neighbours():
    rng = np.random.default_rng(1)
    w = jule.knn_affinity(rng.normal(size=(80, 3)), ks=5).toarray()
    mutual = (w > 0) & (w.T > 0)
    assert mutual.sum() > 80
    np.testing.assert_allclose(w[mutual], w.T[mutual], rtol=1e-12)  # the same kernel of the same distance
    line = jule.knn_affinity(np.array([[0.0], [1.0], [3.0], [6.0], [10.0]]), ks=1).toarray()
    assert line[0, 1] == line[1, 0] > 0 and line[2, 1] > 0 == line[1, 2]  # 0 <-> 1 mutual; 3 -> 1 only


def test_graph_scales_without_a_dense_matrix():
    """12,000 samples: the graph holds N * ks entries; affinities and merges run on sparse data."""
    rng = np.random.default_rng(2)
    f = np.concatenate([rng.normal(c, 1.0, (4000, 4)) for c in (0.0, 20.0, 40.0)])
    w = jule.knn_affinity(f, ks=5)
    assert sparse.issparse(w) and w.nnz == 12000 * 5
    labels = jule.initial_clusters(w)
    a = jule.graph_degree_linkage(w, labels)
    assert sparse.issparse(a) and a.nnz < 0.01 * a.shape[0] ** 2
    merged, merges = jule.merge_clusters(w, labels, 300, features=f)
    assert merged.max() + 1 == labels.max() + 1 - 300 and all(score > 0 for *_, score in merges)
    for c in np.unique(merged):
        assert np.ptp(f[merged == c, 0]) < 15  # no cluster spans two blobs


# ----------------------------------------------------------------------------- initial clusters

def test_initial_clusters_follow_nearest_neighbour_chains():
    # nearest neighbours: 0 <-> 1 <- 3 and 10 <-> 10.5 <- 20: two chains, two clusters
    x = np.array([[0.0], [1.0], [3.0], [10.0], [10.5], [20.0]])
    labels = jule.initial_clusters(jule.knn_affinity(x, ks=2))
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])


def test_initial_clusters_on_two_blobs():
    x, y = blobs()
    w = jule.knn_affinity(x, ks=10)
    labels = jule.initial_clusters(w)
    assert labels.dtype == np.int64 and set(np.unique(labels)) == set(range(labels.max() + 1))
    assert 2 < labels.max() + 1 <= len(x) // 2  # every chain ends in a mutual pair: at least 2 a cluster
    for c in np.unique(labels):
        assert len(np.unique(y[labels == c])) == 1  # no cluster spans the two blobs
    nearest = np.asarray(w.argmax(axis=1)).ravel()
    np.testing.assert_array_equal(labels, labels[nearest])  # a sample sits with its nearest neighbour


# ----------------------------------------------------------------------------- graph degree linkage and merging

def test_graph_degree_linkage_matches_the_formula():
    rng = np.random.default_rng(3)
    w = rng.random((9, 9)) * (rng.random((9, 9)) < 0.5)
    np.fill_diagonal(w, 0)
    labels = np.array([5, 5, 7, 7, 7, 2, 2, 9, 5])
    a = jule.graph_degree_linkage(sparse.csr_matrix(w), labels).toarray()
    ids = np.unique(labels)
    for (i, ci), (j, cj) in itertools.product(enumerate(ids), repeat=2):
        ma, mb = np.flatnonzero(labels == ci), np.flatnonzero(labels == cj)
        want = 0.0 if i == j else (w[np.ix_(ma, mb)] @ w[np.ix_(mb, ma)]).sum() / len(ma) ** 2 + (
            w[np.ix_(mb, ma)] @ w[np.ix_(ma, mb)]).sum() / len(mb) ** 2
        assert a[i, j] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_merging_reaches_n_clusters_and_never_crosses_far_blobs_first():
    x, y = blobs(n=50, centres=((0.0, 0.0), (30.0, 0.0), (0.0, 30.0)))
    w = jule.knn_affinity(x, ks=10)
    labels = jule.initial_clusters(w)
    count = labels.max() + 1
    merged, merges = jule.merge_clusters(w, labels, count - 3, kc=5, features=x)
    assert len(merges) == count - 3 and merged.max() + 1 == 3
    assert cluster_accuracy(merged, y) == 1.0  # merging only joins: one early cross-blob merge would show here
    one, last = jule.merge_clusters(w, merged, 2, features=x)  # the blobs share no edge: the fallback joins them
    assert one.max() == 0 and last[-1][2] == 0


def test_merge_updates_are_exact():
    """Merging 40 times at once gives the partition of 20 + 20 (the second call recomputes every affinity)."""
    x, _ = blobs(n=120, spread=3.0, seed=4)
    w = jule.knn_affinity(x, ks=8)
    labels = jule.initial_clusters(w)
    at_once, _ = jule.merge_clusters(w, labels, 40)
    half, _ = jule.merge_clusters(w, labels, 20)
    twice, _ = jule.merge_clusters(w, half, 20)
    assert at_once.max() == twice.max() and cluster_accuracy(at_once, twice) == 1.0


def test_kc_criterion_prefers_a_cluster_with_one_clear_neighbour():
    """K_c rewards a best link that stands out from the cluster's other links (JULE eq. 6)."""
    links = {1: {2: 0.5, 3: 0.45, 4: 0.45, 5: 0.45}, 6: {7: 0.4}}  # 1's best link is larger, 6's stands alone
    merger = jule._Merger.__new__(jule._Merger)
    merger.kc, merger.alive = 5, 200
    merger.linkage = [links.get(c, {}) for c in range(8)]
    (s1, p1), (s6, p6) = merger._score(1), merger._score(6)
    assert (p1, p6) == (2, 7) and s1 == pytest.approx(0.5 + (0.05 * 3 + 0.5) / 4) and s6 == pytest.approx(0.8)
    merger.alive = 50  # 100 clusters or fewer: the plain best link
    assert merger._score(1) == (0.5, 2) and merger._score(6) == (0.4, 7)


# ----------------------------------------------------------------------------- the triplet loss

def loss_by_loop(e, labels, margin, gamma):
    total, count = 0.0, 0
    for i, j, k in itertools.product(range(len(e)), repeat=3):
        if i != j and labels[i] == labels[j] and labels[k] != labels[i]:
            d_ij, d_ik = ((e[i] - e[j]) ** 2).sum(), ((e[i] - e[k]) ** 2).sum()
            total += max(0.0, gamma * d_ij - d_ik + margin)
            count += 1
    return total / max(count, 1)


def test_triplet_loss_matches_a_loop():
    rng = np.random.default_rng(5)
    e = rng.normal(size=(7, 3)).astype("float32")
    labels = np.array([0, 0, 1, 1, 1, 2, 0])
    for margin, gamma in ((0.2, 1.0), (0.5, 1.5)):
        got = float(ops.convert_to_numpy(jule.triplet_loss(e, labels, margin, gamma)))
        assert got == pytest.approx(loss_by_loop(e, labels, margin, gamma), rel=1e-5)
    as_keras = jule.TripletLoss(0.5, 1.5)(labels.astype("float32"), e)  # y_true the labels, y_pred the features
    assert float(ops.convert_to_numpy(as_keras)) == pytest.approx(loss_by_loop(e, labels, 0.5, 1.5), rel=1e-5)
    for no_triplets in ([0] * 7, list(range(7))):
        assert float(ops.convert_to_numpy(jule.triplet_loss(e, np.array(no_triplets)))) == 0.0


def test_triplet_gradient_pulls_the_anchor_toward_its_positive():
    e = np.array([[0.0, 0.0], [1.0, 0.0], [0.3, 0.4], [2.0, 2.0]], "float32")  # 0 and 1 alike; 2 is close to 0
    labels = np.array([0, 0, 1, 1])
    g = gradient(lambda v: jule.triplet_loss(v, labels, margin=0.2), e)
    step = e - 0.1 * g
    assert np.linalg.norm(step[0] - step[1]) < np.linalg.norm(e[0] - e[1])
    assert np.linalg.norm(step[0] - step[2]) > np.linalg.norm(e[0] - e[2])
    assert np.linalg.norm(g[3]) < np.linalg.norm(g[2])


def test_inverse_decay_schedule():
    schedule = jule.InverseDecay(0.01, 1e-4, 0.75)
    for step in (0, 1000, 50000):
        want = 0.01 * (1 + 1e-4 * step) ** -0.75
        assert float(ops.convert_to_numpy(schedule(step))) == pytest.approx(want, rel=1e-5)
    assert jule.InverseDecay(**schedule.get_config()).power == 0.75


# ----------------------------------------------------------------------------- the network and training

def test_default_cnn_is_the_authors_mnist_network():
    cnn = jule.build_jule_cnn()
    assert cnn.output_shape == (None, 160)
    shapes = [tuple(layer.output.shape[1:]) for layer in cnn.layers if isinstance(layer, keras.layers.Conv2D)]
    assert shapes == [(24, 24, 50), (8, 8, 50)]
    f = ops.convert_to_numpy(cnn(np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")))
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="input_shape"):
        jule.build_jule_cnn((8, 8, 1))


def test_fit_jule_recovers_three_blobs(fitted):
    x, y, _, _, labels, history = fitted
    assert isinstance(history, keras.callbacks.History)
    assert labels.shape == (len(x),) and labels.dtype == np.int64 and set(labels) == {0, 1, 2}
    assert cluster_accuracy(labels, y) > 0.95
    steps = history.history
    assert set(steps) == {"stage", "clusters", "merges", "epochs", "loss", "seconds"}
    assert history.epoch == list(range(len(steps["stage"]))) and all(len(v) == len(history.epoch)
                                                                     for v in steps.values())
    assert steps["stage"][0] == "initial" and steps["stage"][-1] == "final" and steps["clusters"][-1] == 3
    assert all(s == "merge" for s in steps["stage"][1:-1]) and len(steps["stage"]) >= 3
    periods = steps["clusters"][:-1]
    assert all(a > b for a, b in zip(periods, periods[1:]))  # every period merges
    for before, after, merges in zip(periods, periods[1:], steps["merges"][1:-1]):
        assert merges == min(math.ceil(0.9 * before), before - 3) and after == before - merges
    assert math.isnan(steps["loss"][0]) and all(np.isfinite(steps["loss"][1:-1]))
    assert steps["epochs"][1:-1] == [2] * (len(steps["stage"]) - 2)
    assert len(history.epoch_losses) == sum(steps["epochs"])
    assert np.all(np.diff(steps["seconds"]) >= 0) and not history.stopped_by_time
    assert len(history.step_labels) == len(history.epoch)
    np.testing.assert_array_equal(history.step_labels[-1], labels)
    assert [int(v.max()) + 1 for v in history.step_labels] == steps["clusters"]  # the labels after each step
    assert (steps["stage"][0], steps["clusters"][0], steps["merges"][0], steps["epochs"][0]) == (
        "initial", history.step_labels[0].max() + 1, 0, 0)  # the first step: the chains on the inputs
    assert all(type(v) is float for key in ("clusters", "merges", "epochs", "loss", "seconds") for v in steps[key])


def test_the_encoder_is_copied_and_the_model_round_trips(fitted, tmp_path):
    x, _, encoder, before, _, history = fitted
    assert all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))
    model = history.model
    features = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "jule.keras")
    loaded = keras.saving.load_model(tmp_path / "jule.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), features, atol=1e-6)


def test_final_pass_leaves_no_tiny_cluster_for_outliers():
    """Issue 29: two pairs of far outliers (their own nearest-neighbour chains) no longer end as clusters of two."""
    rng = np.random.default_rng(0)
    centres = np.repeat([[0.0, 0.0], [3.0, 0.0], [6.0, 0.0]], 100, axis=0)
    outliers = np.array([[0.0, 3.5], [0.05, 3.5], [6.0, -3.5], [6.05, -3.5]])
    x = np.concatenate([centres + rng.normal(0.0, 0.7, centres.shape), outliers])
    x = np.concatenate([x, np.full((len(x), 1), 20.0)], axis=1)  # (fit_jule scales to unit length: ~ the plane)
    history = jule.fit_jule(x, 3, ks=10, epochs_per_period=0)  # the final pass alone, on x
    labels = history.labels
    assert history.history["stage"] == ["initial", "final"]
    assert np.bincount(labels).min() >= len(x) / 30  # was [300, 2, 2]


def test_min_size_ratio_sets_the_smallest_final_cluster():
    """JULE's low runs in small: an isolated group of 20 (a fifth of the mean size) stays a cluster at the default
    0.1 while two touching blobs share one; at 1/3 it must join its nearest blob, and the blobs stay apart."""
    rng = np.random.default_rng(0)
    centres = np.repeat([[0.0, 0.0], [2.0, 0.0], [8.0, 0.0], [0.0, 5.0]], [100, 100, 100, 20], axis=0)
    x = centres + rng.normal(0.0, 0.5, centres.shape)
    x = np.concatenate([x, np.full((len(x), 1), 20.0)], axis=1)  # (fit_jule scales to unit length: ~ the plane)
    truth = np.repeat([0, 1, 2, 0], [100, 100, 100, 20])  # the group joins its nearest blob at best
    sizes, accuracy = {}, {}
    for ratio in (0.1, 1 / 3):
        labels = jule.fit_jule(x, 3, ks=10, epochs_per_period=0, min_size_ratio=ratio).labels
        sizes[ratio], accuracy[ratio] = sorted(np.bincount(labels).tolist()), cluster_accuracy(labels, truth)
    assert sizes[0.1][0] == 20 and sizes[1 / 3][0] >= len(x) / 9, sizes
    assert accuracy[0.1] < 0.75 and accuracy[1 / 3] > 0.95, accuracy  # two blobs joined; then the blobs apart


def test_time_cap_still_returns_n_clusters():
    x, y = feature_blobs(n=30)
    history = jule.fit_jule(x, 3, encoder=dense_encoder(), ks=8, epochs_per_period=50, batch_size=30, time_limit=0)
    labels = history.labels
    assert history.stopped_by_time and history.history["stage"] == ["initial", "final"]
    assert history.history["epochs"] == [0, 0] and history.epoch_losses == []  # spent: no training at all
    assert labels.max() == 2 and cluster_accuracy(labels, y) > 0.9  # the final pass on the inputs


class SlowStart(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            import time

            time.sleep(0.6)  # the "initial" step outlasts the whole budget


def test_one_time_limit_is_one_clock_for_the_whole_run():
    """The budget starts with the run (unsuplab.training.TimeLimit), not with each period's ``fit``: spent before
    the first period, no period trains and the final pass follows."""
    x, y = feature_blobs(n=30)
    history = jule.fit_jule(x, 3, encoder=dense_encoder(), ks=8, epochs_per_period=2000, batch_size=30,
                            time_limit=0.5, callbacks=[SlowStart()])
    assert history.stopped_by_time and history.history["stage"] == ["initial", "final"]
    assert history.epoch_losses == [] and history.history["epochs"] == [0, 0]
    assert history.labels.max() == 2


def test_callbacks_see_every_step_with_the_network(fitted):
    x, _, _, _, _, history = fitted
    steps = Recorder()
    again = jule.fit_jule(x, 3, encoder=dense_encoder(), ks=10, epochs_per_period=2, batch_size=60, seed=0,
                          callbacks=[steps])
    assert [epoch for epoch, _, _ in steps.seen] == again.epoch == list(range(len(again.epoch)))
    assert all(model is again.model and isinstance(model, keras.Model) for _, model, _ in steps.seen)
    assert [logs["stage"] for _, _, logs in steps.seen] == again.history["stage"]
    assert again.history["clusters"] == history.history["clusters"]  # the same seed, the same run


def test_a_callback_stops_after_the_period_it_saw(fitted):
    x, _, _, _, _, history = fitted
    assert history.history["stage"].count("merge") >= 2  # without the stop: two periods or more
    again = jule.fit_jule(x, 3, encoder=dense_encoder(), ks=10, epochs_per_period=2, batch_size=60, seed=0,
                          callbacks=[Recorder(stop_at=1)])
    assert again.history["stage"] == ["initial", "merge", "final"] and not again.stopped_by_time
    assert again.history["epochs"] == [0, 2, 0] and len(again.epoch_losses) == 2  # no training after the stop
    assert again.labels.max() == 2


def test_min_steps_per_period_adds_whole_epochs_on_a_small_set():
    """90 samples in batches of 30 are 3 batches an epoch: at least 7 batches a period take 3 epochs, not 1; a
    period with more epochs than that keeps them, and without a network there is nothing to train."""
    x, y = feature_blobs(n=30)
    for epochs, min_steps, trained in [(1, 7, 3), (4, 7, 4), (1, 0, 1)]:
        history = jule.fit_jule(x, 3, encoder=dense_encoder(), ks=8, epochs_per_period=epochs,
                                min_steps_per_period=min_steps, batch_size=30, seed=0)
        periods = history.history["epochs"][1:-1]
        assert periods and set(periods) == {trained}, (epochs, min_steps, periods)
        assert len(history.epoch_losses) == trained * len(periods)
    history = jule.fit_jule(x, 3, ks=8, epochs_per_period=0, min_steps_per_period=100)
    assert history.model is None and history.history["epochs"] == [0, 0]


def test_without_a_network_it_clusters_the_inputs():
    x, y = feature_blobs(n=30)
    steps = Recorder()
    history = jule.fit_jule(x, 3, ks=8, epochs_per_period=0, callbacks=[steps])
    labels = history.labels
    assert history.model is None and history.history["stage"] == ["initial", "final"]
    assert [model for _, model, _ in steps.seen] == [None, None]  # no network: the History records the steps alone
    assert history.epoch_losses == [] and math.isnan(history.history["loss"][-1])
    assert cluster_accuracy(labels, y) == 1.0


def test_augmentation_turns_and_shifts_in_training_only():
    images = np.zeros((4, 28, 28, 1), "float32")
    images[:, 10:18, 13:15] = 1.0  # an upright bar
    augment = jule.augmentation(seed=0)
    assert np.array_equal(keras.ops.convert_to_numpy(augment(images, training=False)), images)
    moved = keras.ops.convert_to_numpy(augment(images, training=True))
    assert moved.shape == images.shape and not np.allclose(moved, images)
    assert abs(moved.sum() - images.sum()) < 0.3 * images.sum()  # turned and shifted, not wiped out


def test_augment_trains_on_moved_images_and_extracts_features_from_the_images_as_they_are():
    rng = np.random.default_rng(0)
    images = np.zeros((60, 12, 12, 1), "float32")
    for i, row in enumerate(rng.integers(2, 10, 60)):
        images[i, row - 1:row + 2] = 1.0  # a horizontal bar, three height groups
    encoder = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(8)])
    runs = {}
    for augment in (False, True):
        keras.utils.set_random_seed(0)
        runs[augment] = jule.fit_jule(images, 3, encoder=encoder, ks=5, epochs_per_period=2, batch_size=30,
                                      augment=augment, seed=0)
    history = runs[True]
    assert history.epoch_losses != runs[False].epoch_losses  # the CNN saw other images
    names = [layer.name for layer in history.model.layers]
    assert not any(name == "augmentation" or "random" in name for name in names), names  # the kept network: none
    first = history.model.predict(images, verbose=0)
    np.testing.assert_array_equal(first, history.model.predict(images, verbose=0))
    assert sorted(set(history.labels.tolist())) == [0, 1, 2]


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_clusters": 0}, ValueError, "n_clusters"),
    ({"n_clusters": 90}, ValueError, "n_clusters"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters"),
    ({"ks": 0}, ValueError, "ks"),
    ({"ks": 90}, ValueError, "ks"),
    ({"kc": 0}, ValueError, "kc"),
    ({"eta": 0.0}, ValueError, "eta"),
    ({"eta": 1.5}, ValueError, "eta"),
    ({"eta": "fast"}, TypeError, "eta"),
    ({"epochs_per_period": -1}, ValueError, "epochs_per_period"),
    ({"min_steps_per_period": -1}, ValueError, "min_steps_per_period"),
    ({"min_steps_per_period": 2.5}, TypeError, "min_steps_per_period"),
    ({"batch_size": 1}, ValueError, "batch_size"),
    ({"margin": -0.1}, ValueError, "margin"),
    ({"gamma": 0.0}, ValueError, "gamma"),
    ({"time_limit": -1}, ValueError, "time_limit"),
    ({"max_seconds": 10}, TypeError, "max_seconds"),  # the old name is gone
    ({"callbacks": keras.callbacks.History()}, TypeError, "callbacks"),
    ({"callbacks": [print]}, TypeError, "callbacks"),
    ({"optimizer": "nonsense"}, ValueError, "optimizer"),
    ({"seed": -1}, ValueError, "seed"),
    ({"encoder": object()}, TypeError, "encoder"),
    ({"encoder": keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])}, ValueError, "encoder"),
    ({"encoder": None}, ValueError, "images"),
    ({"n_clusters": 60, "ks": 3}, ValueError, "chains"),
    ({"augment": "yes"}, TypeError, "augment"),
    ({"min_size_ratio": -0.1}, ValueError, "min_size_ratio"),
    ({"min_size_ratio": 1.5}, ValueError, "min_size_ratio"),
    ({"augment": True}, ValueError, "augment"),  # feature vectors: nothing to turn or shift
])
def test_bad_arguments_are_named(kwargs, error, words):
    x, _ = feature_blobs(n=30)
    kwargs = {"n_clusters": 3, "encoder": dense_encoder(), "epochs_per_period": 1, **kwargs}
    with pytest.raises(error, match=words):
        jule.fit_jule(x, **kwargs)


@pytest.mark.parametrize("make, error, words", [
    (lambda x: (x * 10).astype("int32"), TypeError, "float"),
    (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x), ValueError, "NaN"),
    (lambda x: x[:0], ValueError, "at least one"),
    (lambda x: x[:, 0], ValueError, "shape"),
    (lambda x: "pixels", TypeError, "NumPy"),
])
def test_bad_data_is_named(make, error, words):
    x, _ = feature_blobs(n=30)
    with pytest.raises(error, match=words):
        jule.fit_jule(make(x), 3, encoder=dense_encoder())


def test_bad_graph_arguments():
    x, _ = blobs(n=10)
    w = jule.knn_affinity(x, ks=3)
    labels = jule.initial_clusters(w)
    with pytest.raises(TypeError, match="affinity"):
        jule.merge_clusters(w.toarray(), labels, 1)
    with pytest.raises(ValueError, match="n_merges"):
        jule.merge_clusters(w, labels, labels.max() + 1)
    with pytest.raises(ValueError, match="labels"):
        jule.merge_clusters(w, labels[:-1], 1)
    with pytest.raises(TypeError, match="labels"):
        jule.graph_degree_linkage(w, labels.astype("float32"))
    with pytest.raises(ValueError, match="features"):
        jule.merge_clusters(w, labels, 1, features=x[:5])
    with pytest.raises(ValueError, match="ks"):
        jule.knn_affinity(x, ks=20)
    with pytest.raises(ValueError, match="features"):
        jule.knn_affinity(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="square"):
        jule.initial_clusters(sparse.csr_matrix(np.ones((3, 4))))


def test_triplet_loss_names_the_shape_of_rank_1_embeddings():
    with pytest.raises(ValueError, match=r"`embeddings` must have shape \(batch, features\), got shape \(4,\)"):
        jule.triplet_loss(np.zeros(4, "float32"), np.array([0, 0, 1, 1]))
