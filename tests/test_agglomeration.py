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
