"""unsuplab.agglomeration: JULE's graph agglomeration runs on NumPy, SciPy and scikit-learn alone."""

import importlib
import sys

import numpy as np
import pytest

import unsuplab


def test_imports_and_clusters_with_keras_absent(monkeypatch):
    """With ``keras`` blocked in sys.modules (any import of it raises), the module imports and clusters blobs."""
    for name in ("unsuplab.agglomeration", "unsuplab.validation"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "keras", None)
    monkeypatch.setattr(unsuplab, "agglomeration", None, raising=False)
    with pytest.raises(ImportError):
        importlib.import_module("keras")
    agglomeration = importlib.import_module("unsuplab.agglomeration")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.3, (30, 2)) for c in (0.0, 5.0, 10.0)])
    w = agglomeration.knn_affinity(x, ks=5)
    labels = agglomeration.initial_clusters(w)
    merged, merges = agglomeration.merge_clusters(w, labels, int(labels.max()) + 1 - 3, features=x)
    assert merged.max() == 2 and len(merges) == int(labels.max()) - 2
    for blob in range(3):
        assert len(set(merged[30 * blob:30 * (blob + 1)])) == 1


def test_knn_affinity_never_links_a_sample_to_itself_with_duplicates():
    """Four copies of a point and ks = 2: scikit-learn's self-exclusion keeps two other copies at distance 0."""
    from unsuplab.agglomeration import knn_affinity

    x = np.array([[0.0], [0.0], [0.0], [0.0], [1.0], [2.0], [3.0]])
    w = knn_affinity(x, ks=2)
    np.testing.assert_array_equal(np.diff(w.indptr), 2)
    assert w.diagonal().sum() == 0
    dense = w.toarray()
    for i in range(4):
        neighbours = np.flatnonzero(dense[i])
        assert set(neighbours) <= {0, 1, 2, 3} - {i} and len(neighbours) == 2
        np.testing.assert_allclose(dense[i, neighbours], 1.0)  # distance 0: exp(0)


# ----------------------------------------------------------------------------- outliers and tiny clusters (issue 29)

def blobs_and_outlier_pairs():
    """Three touching blobs of 100 points and two pairs of outliers 3.5 away (ks = 10).

    Each pair is its own nearest-neighbour chain. No blob point has the first pair among its neighbours (no
    affinity to any cluster); one blob point has the second pair (an affinity near 4e-8, positive). Before the fix
    merging to three clusters left both pairs as clusters of two and joined the three blobs into one of 300: the
    held-out MNIST failure of issue 29 (five final clusters of two images), in miniature.
    """
    from unsuplab.agglomeration import initial_clusters, knn_affinity

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal((c, 0.0), 0.7, (100, 2)) for c in (0.0, 3.0, 6.0)]
                       + [np.array([[0.0, 3.5], [0.05, 3.5], [6.0, -3.5], [6.05, -3.5]])])
    w = knn_affinity(x, ks=10)
    return x, w, initial_clusters(w)


def test_no_tiny_final_cluster_from_outliers():
    from unsuplab.agglomeration import graph_degree_linkage, merge_clusters

    x, w, chains = blobs_and_outlier_pairs()
    count = int(chains.max()) + 1
    pairs = chains[[300, 302]]
    assert count > 20 * 3 and np.all(np.bincount(chains)[pairs] == 2)
    linkage = graph_degree_linkage(w, chains).toarray()
    assert linkage[pairs[0]].max() == 0 and 0 < linkage[pairs[1]].max() < 1e-6  # isolated; nearly isolated
    merged, merges = merge_clusters(w, chains, count - 3, features=x)
    sizes = np.bincount(merged)
    assert len(sizes) == 3 and sizes.min() >= len(x) / 30  # never under a tenth of the mean size
    for blob in range(3):  # each blob is (mostly) one cluster
        assert np.bincount(merged[100 * blob:100 * (blob + 1)]).max() >= 90
    # the authors' rule alone (min_size 0) places the isolated pair, not the nearly isolated one
    alone, _ = merge_clusters(w, chains, count - 3, features=x, min_size=0)
    assert alone[300] == alone[301] != alone[302] == alone[303] and sorted(np.bincount(alone))[0] == 2


def test_authors_rule_merges_isolated_clusters_first_by_mean_feature():
    """More than 20 times the target clusters: an isolated cluster joins its nearest cluster by mean feature first."""
    from unsuplab.agglomeration import merge_clusters

    x, w, chains = blobs_and_outlier_pairs()
    merged, merges = merge_clusters(w, chains, int(chains.max()) + 1 - 3, features=x, min_size=0)
    kept, absorbed, score = merges[0]
    pair = chains[300]
    assert score == 0 and pair in (kept, absorbed)
    partner = absorbed if kept == pair else kept
    means = np.array([x[chains == c].mean(axis=0) for c in range(chains.max() + 1)])
    distances = np.linalg.norm(means - means[pair], axis=1)
    distances[pair] = np.inf
    assert partner == np.argmin(distances)


def test_small_clusters_take_only_the_last_merges():
    """From 22 clusters (fewer than 20 x 3): the merges follow the graph until as many merges are left as small
    clusters; then each takes a small cluster, and the result has no cluster under min_size."""
    from unsuplab.agglomeration import merge_clusters

    x, w, _ = blobs_and_outlier_pairs()
    start = np.concatenate([np.arange(300) // 15, [20, 20, 21, 21]])  # 20 runs of 15 blob points, the two pairs
    fixed, with_rule = merge_clusters(w, start, 19, features=x)
    degenerate, without = merge_clusters(w, start, 19, features=x, min_size=0)
    assert sorted(np.bincount(degenerate))[:2] == [2, 2]  # the pairs survive as clusters of two
    assert np.bincount(fixed).min() >= len(x) / 30
    assert with_rule[:17] == without[:17] and with_rule[17:] != without[17:]  # only the last two merges differ


def test_without_positive_affinity_the_smallest_cluster_joins_its_nearest():
    from unsuplab.agglomeration import knn_affinity, merge_clusters

    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal((c, 0.0), 0.5, (60, 2)) for c in (0.0, 10.0, 20.0)] + [rng.normal((0.0, 40.0),
                                                                                                    0.5, (20, 2))])
    labels = np.repeat([0, 1, 2, 3], [60, 60, 60, 20])  # four pieces of the graph, no edge between them
    merged, merges = merge_clusters(knn_affinity(x, ks=5), labels, 1, features=x, min_size=0)
    assert merges == [(0, 3, 0.0)]  # the 20 far points join the blob nearest by mean, not two blobs 10 apart
    with pytest.raises(ValueError, match="min_size"):
        merge_clusters(knn_affinity(x, ks=5), labels, 1, min_size=-1)
