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
