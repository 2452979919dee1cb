import numpy as np
import pytest

from unsuplab import retrieval


def test_euclidean_and_cosine_search_find_the_right_neighbours():
    db = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    index = retrieval.CodeIndex(db)
    nn, d = index.search(np.array([[0.9, 0.1]]), k=2)
    assert nn.tolist() == [[1, 0]]
    assert d[0, 0] == pytest.approx(np.hypot(0.1, 0.1))
    cos = retrieval.CodeIndex(db[1:], metric="cosine")
    nn, d = cos.search(np.array([[0.0, 10.0]]), k=1)
    assert nn.tolist() == [[1]] and d[0, 0] == pytest.approx(0.0)


def test_hamming_distance_counts_differing_bits():
    a = np.array([[1, 0, 1, 1]], bool)
    b = np.array([[1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 1, 1]], bool)
    assert retrieval.hamming_distances(a, b).tolist() == [[0, 4, 1]]
    rng = np.random.default_rng(0)
    x, y = rng.random((5, 32)) > 0.5, rng.random((7, 32)) > 0.5
    brute = (x[:, None, :] != y[None, :, :]).sum(-1)
    np.testing.assert_array_equal(retrieval.hamming_distances(x, y), brute)


def test_binarize_uses_median_thresholds_and_reuses_them():
    codes = np.random.default_rng(0).standard_normal((100, 8))
    bits, thresholds = retrieval.binarize(codes)
    assert bits.dtype == bool and bits.mean(0) == pytest.approx(np.full(8, 0.5))
    q_bits, _ = retrieval.binarize(codes[:3], thresholds)
    np.testing.assert_array_equal(q_bits, bits[:3])


def test_bad_inputs():
    with pytest.raises(ValueError, match="metric"):
        retrieval.CodeIndex(np.zeros((3, 2)), metric="manhattan")
    with pytest.raises(ValueError, match="binarize"):
        retrieval.CodeIndex(np.random.random((3, 2)), metric="hamming")
    with pytest.raises(ValueError, match="codes"):
        retrieval.CodeIndex(np.zeros(3))
    index = retrieval.CodeIndex(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="k"):
        index.search(np.zeros((1, 2)), k=4)
    with pytest.raises(ValueError, match="features"):
        index.search(np.zeros((1, 3)), k=1)
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.full((1, 2), np.nan), k=1)


def test_real_distances_match_the_closed_forms():
    rng = np.random.default_rng(0)
    q, db = rng.standard_normal((4, 6)), rng.standard_normal((9, 6))
    euclid = np.sqrt(((q[:, None] - db[None]) ** 2).sum(-1))
    np.testing.assert_allclose(retrieval.pairwise_distances(q, db), euclid, atol=1e-10)
    cos = 1 - (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (db / np.linalg.norm(db, axis=1, keepdims=True)).T
    np.testing.assert_allclose(retrieval.pairwise_distances(q, db, "cosine"), cos, atol=1e-10)
    zero = retrieval.pairwise_distances(np.zeros((1, 6)), db, "cosine")   # a zero code is far from everything
    np.testing.assert_allclose(zero, 1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: retrieval.pairwise_distances(np.zeros((0, 2)), np.zeros((3, 2))), "queries"),
    (lambda: retrieval.pairwise_distances(np.zeros((1, 2)), np.full((3, 2), np.inf)), "NaN or infinite"),
    (lambda: retrieval.hamming_distances(np.ones((1, 3), bool), np.ones((1, 4), bool)), "bits"),
    (lambda: retrieval.binarize(np.zeros((3, 2)), thresholds=[0.0]), "thresholds"),
    (lambda: retrieval.CodeIndex(np.zeros((3, 2)), labels=[0, 1]), "labels"),
    (lambda: retrieval.CodeIndex(np.zeros((3, 2))).search(np.zeros((1, 2)), k=0), "k"),
])
def test_bad_retrieval_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
