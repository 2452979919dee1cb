"""A small search index over codes: Euclidean or cosine for real codes, Hamming for binary ones.

Binary codes are the idea of semantic hashing (Salakhutdinov and Hinton, 2009;
Krizhevsky and Hinton, 2011): threshold each code unit, then similar images
lie within a few bit flips, and the Hamming distance is a count of differing bits.

    >>> index = CodeIndex(binarize(db_codes), metric="hamming")
    >>> neighbours, distances = index.search(binarize(query_codes, index_thresholds), k=10)
"""

import numpy as np
from sklearn.metrics import pairwise_distances as sklearn_distances

METRICS = ("euclidean", "cosine", "hamming")


def _codes(codes, name, binary=False):
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"`{name}` must be a non-empty (n, code_size) array, got shape {codes.shape}.")
    if binary:
        if codes.dtype != bool and not np.isin(codes, (0, 1)).all():
            raise ValueError(f"`{name}` must hold 0/1 bits for the Hamming metric; binarize() them first.")
        return codes.astype(bool)
    if codes.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold numbers, got dtype {codes.dtype}.")
    codes = codes.astype("float64")
    if not np.all(np.isfinite(codes)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return codes


def binarize(codes, thresholds=None):
    """Codes -> bits, one threshold per unit (default: each unit's median, so every bit is on half the time).

    Returns ``(bits, thresholds)``; pass the database's ``thresholds`` when binarising queries.
    """
    codes = _codes(codes, "codes")
    if thresholds is None:
        thresholds = np.median(codes, axis=0)
    thresholds = np.asarray(thresholds, dtype="float64")
    if thresholds.shape != (codes.shape[1],):
        raise ValueError(f"`thresholds` must have shape ({codes.shape[1]},), got {thresholds.shape}.")
    return codes > thresholds, thresholds


def hamming_distances(a, b):
    """Number of differing bits between every row of ``a`` and every row of ``b``: (len(a), len(b))."""
    a, b = _codes(a, "a", binary=True), _codes(b, "b", binary=True)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"codes must have the same number of bits, got {a.shape[1]} and {b.shape[1]}.")
    a, b = a.astype("float32"), b.astype("float32")
    # |a xor b| = |a| + |b| - 2 a.b, exact in float32 for codes under 2**24 bits
    return (a.sum(1)[:, None] + b.sum(1)[None, :] - 2.0 * a @ b.T).round().astype("int64")


def pairwise_distances(queries, database, metric="euclidean"):
    """(len(queries), len(database)) distances under ``metric`` (euclidean, cosine or hamming).

    Euclidean and cosine come from ``sklearn.metrics.pairwise_distances``; Hamming stays a
    matrix product above (scikit-learn's "hamming" is the *fraction* of differing bits, in float).
    """
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {METRICS}, got {metric!r}.")
    if metric == "hamming":
        return hamming_distances(queries, database)
    q, d = _codes(queries, "queries"), _codes(database, "database")
    if q.shape[1] != d.shape[1]:
        raise ValueError(f"`queries` have {q.shape[1]} features but the database has {d.shape[1]}.")
    return sklearn_distances(q, d, metric=metric)


class CodeIndex:
    """Exhaustive nearest-neighbour search over database codes (fine up to ~10^5 items)."""

    def __init__(self, codes, metric="euclidean", labels=None):
        if metric not in METRICS:
            raise ValueError(f"`metric` must be one of {METRICS}, got {metric!r}.")
        self.metric = metric
        self.codes = _codes(codes, "codes", binary=metric == "hamming")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (len(self.codes),):
                raise ValueError(f"`labels` must have shape ({len(self.codes)},), got {labels.shape}.")
        self.labels = labels

    def __len__(self):
        return len(self.codes)

    def distances(self, queries):
        """Distances from each query to every database item."""
        return pairwise_distances(queries, self.codes, self.metric)

    def search(self, queries, k=10):
        """Indices and distances of the ``k`` nearest database items per query, nearest first (stable ties)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(self):
            raise ValueError(f"`k` must be an integer in [1, {len(self)}], got {k!r}.")
        dist = self.distances(queries)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(dist, order, axis=1)
