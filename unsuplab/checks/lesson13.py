"""Check cells of lesson 13 (retrieval)."""

import numpy as np

from .. import metrics, retrieval
from . import Wrong, exercise, expect_close, to_numpy


def _problem():
    rng = np.random.default_rng(0)
    distances = rng.random((6, 30))
    return distances, rng.integers(0, 3, 6), rng.integers(0, 3, 30)


@exercise("Exercise 1 (precision@k)")
def precision_at_k(student_fn):
    """``student_fn(distances, query_labels, database_labels, k)`` -> mean share of same-label items in each top k."""
    distances, q, db = _problem()
    for k in (1, 5):
        got = to_numpy(student_fn(distances, q, db, k)).astype("float64")
        want = metrics.precision_at_k(distances, q, db, k)
        if got.shape == (len(q),):
            raise Wrong("you returned one precision per query; return their mean, a single number.")
        if got.shape != ():
            raise Wrong(f"return one number (the mean over queries), got shape {got.shape}.")
        farthest = np.argsort(-distances, axis=1)[:, :k]
        if not np.isclose(got, want) and np.isclose(got, np.mean(db[farthest] == q[:, None])):
            raise Wrong("you ranked by largest distance: the nearest items have the smallest distance "
                        "(np.argsort sorts in increasing order).")
        if not np.isclose(got, want) and np.isclose(got, metrics.precision_at_k(distances, q, db, k + 1)):
            raise Wrong(f"with k={k} you looked at k + 1 items; keep exactly the first k of the ranking.")
        expect_close(got, want, f"precision@{k}", rtol=1e-6)
    return "The same number as unsuplab.metrics.precision_at_k."


@exercise("Exercise 2 (Hamming distance between binary codes)")
def hamming(student_fn):
    """``student_fn(a_bits, b_bits)`` -> (len(a), len(b)) counts of differing bits."""
    rng = np.random.default_rng(2)
    a, b = rng.random((4, 16)) > 0.5, rng.random((7, 16)) > 0.5
    got = to_numpy(student_fn(a, b))
    want = retrieval.hamming_distances(a, b)
    if got.shape != want.shape:
        raise Wrong(f"for 4 query codes and 7 database codes return a (4, 7) matrix, got shape {got.shape}.")
    if np.array_equal(np.asarray(got, "int64"), 16 - want):
        raise Wrong("you counted the bits that agree; the Hamming distance counts the bits that differ.")
    expect_close(got, want, "your distance", rtol=0, atol=1e-6)
    return "Distances are small integers: many database items tie, which is why mAP counts ties together."
