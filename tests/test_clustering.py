"""Cluster evaluation: Hungarian accuracy, NMI/ARI, many-to-one mapping, collapse detection, baselines."""

import numpy as np
import pytest

from unsuplab import clustering


def test_accuracy_is_invariant_to_cluster_names():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert clustering.cluster_accuracy([2, 2, 0, 0, 1, 1], y) == 1.0
    assert clustering.cluster_accuracy([0, 0, 0, 0, 0, 0], y) == pytest.approx(1 / 3)
    assert clustering.cluster_accuracy([0, 1, 1, 1, 2, 2], y) == pytest.approx(5 / 6)
    assert clustering.nmi([2, 2, 0, 0, 1, 1], y) == pytest.approx(1.0)
    assert clustering.ari([2, 2, 0, 0, 1, 1], y) == pytest.approx(1.0)


def test_matched_confusion_is_diagonal_for_a_perfect_clustering():
    y = np.array([0, 1, 2, 0, 1, 2])
    table = clustering.matched_confusion([1, 2, 0, 1, 2, 0], y)
    np.testing.assert_array_equal(table, 2 * np.eye(3, dtype=int))


def test_many_to_one_maps_overclusters_by_majority():
    labelled_clusters = np.array([0, 1, 2, 3, 3])
    labelled_y = np.array([0, 0, 1, 1, 1])
    mapped = clustering.many_to_one(labelled_clusters, labelled_y, np.array([3, 2, 1, 0, 4]), n_clusters=5)
    np.testing.assert_array_equal(mapped, [1, 1, 0, 0, 1])  # cluster 4 is unseen: majority class 1


def test_size_entropy_detects_collapse():
    assert clustering.size_entropy(np.arange(100) % 10, 10) == pytest.approx(1.0)
    assert clustering.size_entropy(np.zeros(100, int), 10) == pytest.approx(0.0)
    assert clustering.collapsed(np.zeros(100, int), 10)
    assert clustering.collapsed(np.arange(100) % 9, 10)  # one empty cluster
    assert not clustering.collapsed(np.arange(100) % 10, 10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="assigned"):
        clustering.cluster_accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="n_clusters"):
        clustering.size_entropy([0, 1], 1)
    with pytest.raises(ValueError, match="n_clusters"):
        clustering.kmeans(np.zeros((3, 2)), 5)


def test_kmeans_baselines_find_separated_blobs():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    x = (rng.normal(0, 0.02, (90, 4, 4, 1)) + 0.3 * y[:, None, None, None] + 0.1).clip(0, 1).astype("float32")
    assert clustering.cluster_accuracy(clustering.kmeans_pixels(x, 3), y) == 1.0
    assert clustering.cluster_accuracy(clustering.pca_kmeans(x, 3, n_components=2), y) == 1.0


def test_standardize_gives_zero_mean_unit_variance_and_keeps_constant_columns_finite():
    f = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    z = clustering.standardize(f)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), [1.0, 0.0, 1.0], atol=1e-12)  # the constant column stays 0


def test_huge_ids_are_relabelled_not_allocated():
    # issue 19 item 7: a (2 x 10**9) table used to be allocated here
    assert clustering.cluster_accuracy([0, 1], [0, 10 ** 9]) == 1.0
    assert clustering.cluster_accuracy([10 ** 12, 7, 7], [5, 10 ** 9, 10 ** 9]) == 1.0
    assert clustering.best_matching([10 ** 12, 7], [5, 10 ** 9]) == {7: 10 ** 9, 10 ** 12: 5}
    np.testing.assert_array_equal(clustering.matched_confusion([10 ** 12, 7, 7], [5, 10 ** 9, 10 ** 9]),
                                  [[1, 0], [0, 2]])
    mapped = clustering.many_to_one([10 ** 12, 7], [5, 10 ** 9], [7, 10 ** 12, 3])
    assert mapped.tolist() == [10 ** 9, 5, 5]   # cluster 3 has no labelled image: majority (ties: smaller id)
    s = clustering.scores([10 ** 12, 7, 7, 10 ** 12], [5, 10 ** 9, 10 ** 9, 5])
    assert s["acc"] == 1.0 and s["nmi"] == pytest.approx(1.0) and s["size_entropy"] == pytest.approx(1.0)


def test_library_calls_agree_with_the_definitions():
    rng = np.random.default_rng(0)
    y, assigned = rng.integers(0, 4, 200), rng.integers(0, 6, 200)
    table = clustering.contingency(assigned, y)
    by_hand = np.zeros((6, 4), int)
    np.add.at(by_hand, (assigned, y), 1)
    np.testing.assert_array_equal(table, by_hand)
    confusion = clustering.matched_confusion(assigned, y)
    mapping = clustering.best_matching(assigned, y)
    assert confusion.sum() == sum(np.sum(assigned == c) for c in mapping)
    assert np.trace(confusion) / len(y) == pytest.approx(clustering.cluster_accuracy(assigned, y))
    p = np.bincount(assigned) / len(assigned)
    assert clustering.size_entropy(assigned, 6) == pytest.approx(-(p * np.log(p)).sum() / np.log(6))


@pytest.mark.parametrize("call, error, match", [
    (lambda: clustering.nmi([], []), ValueError, "empty"),
    (lambda: clustering.cluster_accuracy([], []), ValueError, "empty"),
    (lambda: clustering.scores([], []), ValueError, "empty"),
    (lambda: clustering.size_entropy([], 3), ValueError, "empty"),
    (lambda: clustering.cluster_accuracy(["a", "b"], [0, 1]), TypeError, "assigned"),
    (lambda: clustering.nmi([0, 1], ["cat", "dog"]), TypeError, "`y`"),
    (lambda: clustering.ari([0, -1], [0, 1]), ValueError, "non-negative"),
    (lambda: clustering.many_to_one([0, 5], [0, 1], [0, 5], n_clusters=3), ValueError, "n_clusters"),
    (lambda: clustering.many_to_one([0, 1], [0, 1], [0, 9], n_clusters=3), ValueError, "n_clusters"),
    (lambda: clustering.many_to_one([0, 1], [0, 1], [-1]), ValueError, "assigned"),
    (lambda: clustering.size_entropy([0, 3], 3), ValueError, "n_clusters"),
    (lambda: clustering.scores([0, 1, 2], [0, 1, 1], n_clusters=2), ValueError, "n_clusters"),
    (lambda: clustering.kmeans(np.zeros((3, 2)), 1), ValueError, "n_clusters"),
])
def test_bad_clustering_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
