"""Graph agglomeration of JULE (Yang, Parikh and Batra, CVPR 2016), in NumPy and SciPy alone (no Keras).

The forward pass of :mod:`unsuplab.jule`, after the authors' Torch code (github.com/jwyang/JULE.torch):

* :func:`knn_affinity`: each sample links to its ``ks = 20`` nearest neighbours,
  ``W_ij = exp(-d_ij^2 / sigma^2)`` with ``sigma^2`` the mean squared distance to those neighbours
  (``affinity/affinity.lua``; the graph of Zhang et al., ECCV 2012). ``W`` is directed (``j`` among the neighbours
  of ``i``) and stored as a ``scipy.sparse`` matrix, ``ks`` entries a row: no N x N array anywhere.
* :func:`initial_clusters`: each sample points to its nearest neighbour; the samples whose nearest-neighbour
  chains end at the same pair of mutual nearest neighbours form one cluster, i.e. the connected components of the
  1-nearest-neighbour graph (``agg_clustering.init``).
* :func:`graph_degree_linkage`: the cluster affinity of Zhang et al. (2012) used by JULE,
  ``A(a, b) = 1_a' W_ab W_ba 1_a / |a|^2 + 1_b' W_ba W_ab 1_b / |b|^2``.
* :func:`merge_clusters`: greedy merging with the K_c criterion (JULE eq. 6): cluster ``i`` scores
  ``A(i, n_1) + sum_{k=2..K_c} (A(i, n_1) - A(i, n_k)) / (K_c - 1)`` with ``n_k`` its k-th most affine cluster;
  the best-scoring cluster merges with ``n_1``. Used while more than 100 clusters remain, then plain ``A(i, n_1)``
  (``agg_clustering.search_clusters``). Isolated clusters (no positive affinity to any other) first merge with
  their nearest cluster by mean feature while more than 20 times the target number remain
  (``affinity.compute4cluster``).

Departures from the authors' code are listed in :mod:`unsuplab.jule`'s docstring (exact affinity updates, the
K_c ranking over all neighbours, uncut chains, the mean-feature fallback, no tiny final cluster).
"""

import heapq

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import NearestNeighbors

from .validation import number_at_least, positive_int

__all__ = ["knn_affinity", "initial_clusters", "graph_degree_linkage", "merge_clusters"]

LARGE = 100  # the K_c criterion is used while more clusters than this remain (agg_clustering.search_clusters)
MIN_SIZE_RATIO = 0.1  # merge_clusters' smallest cluster left, as a share of the mean target size (ours)
ISOLATED_RATIO = 20  # isolated clusters merge first while more than this times the target remain (compute4cluster)


def _check_features(features, name="features"):
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"`{name}` must have shape (samples, features), got shape {features.shape}.")
    if features.dtype.kind not in "fiu" or not np.all(np.isfinite(features)):
        raise ValueError(f"`{name}` must hold finite numbers (no NaN or infinite values).")
    return features.astype("float64", copy=False)


def _check_affinity(affinity):
    if not sparse.issparse(affinity):
        raise TypeError(f"`affinity` must be a scipy.sparse matrix (from knn_affinity), got "
                        f"{type(affinity).__name__}.")
    if affinity.shape[0] != affinity.shape[1]:
        raise ValueError(f"`affinity` must be square (samples x samples), got shape {affinity.shape}.")
    return sparse.csr_matrix(affinity, dtype="float64")


def _compact(labels, n):
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"`labels` must have shape ({n},), one label per sample, got shape {labels.shape}.")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"`labels` must hold integers, got dtype {labels.dtype}.")
    return np.unique(labels, return_inverse=True)[1].reshape(-1).astype("int64")


def knn_affinity(features, ks=20):
    """The directed K_s-nearest-neighbour graph ``W`` (N x N, ``scipy.sparse`` CSR, ``ks`` entries a row).

    ``W_ij = exp(-||f_i - f_j||^2 / sigma^2)`` for the ``ks`` nearest neighbours ``j`` of ``i`` (never ``i``
    itself), ``sigma^2`` the mean of those squared distances (the authors' bandwidth); other entries are 0.
    ``W`` is not symmetrised: ``W_ij`` and ``W_ji`` are both stored (and equal) only for mutual neighbours.
    """
    features = _check_features(features)
    n = len(features)
    ks = positive_int(ks, "ks")
    if ks >= n:
        raise ValueError(f"`ks` ({ks}) must be smaller than the number of samples ({n}).")
    distances, indices = NearestNeighbors(n_neighbors=ks).fit(features).kneighbors()  # no X: never itself
    squared = np.square(distances)
    sigma2 = float(squared.mean())
    weights = np.exp(-squared / (sigma2 if sigma2 > 0 else 1.0))
    rows = np.repeat(np.arange(n), ks)
    return sparse.csr_matrix((weights.ravel(), (rows, indices.ravel())), shape=(n, n))


def initial_clusters(affinity):
    """Nearest-neighbour-chain clusters: labels (N,) int64, numbered 0..C-1.

    Each sample points to its nearest neighbour (the largest ``W_ij`` of its row); following the pointers, every
    chain ends in a pair of mutual nearest neighbours, and the samples whose chains end at the same pair form one
    cluster: the connected components of the 1-nearest-neighbour graph (``agg_clustering.init`` of JULE).
    """
    affinity = _check_affinity(affinity)
    n = affinity.shape[0]
    if np.any(np.diff(affinity.indptr) == 0):
        raise ValueError("every row of `affinity` needs at least one neighbour.")
    nearest = np.asarray(affinity.argmax(axis=1)).reshape(-1)
    graph = sparse.csr_matrix((np.ones(n), (np.arange(n), nearest)), shape=(n, n))
    return connected_components(graph, directed=True, connection="weak")[1].astype("int64")


def _indicator(labels, n_clusters):
    n = len(labels)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, n_clusters))


def _degree_products(affinity, labels, n_clusters):
    """``U[a, b] = 1_a' W_ab W_ba 1_a = sum_{v in b} in_a(v) out_a(v)``, sparse (clusters x clusters), 0 diagonal.

    ``in_a(v) = sum_{u in a} W_uv`` and ``out_a(v) = sum_{u in a} W_vu``: the affinity of ``a`` to ``b`` counts the
    paths ``a -> v -> a`` through the samples ``v`` of ``b`` (Zhang et al. 2012, eq. 5).
    """
    member = _indicator(labels, n_clusters)
    into, out = (affinity.T @ member).tocsr(), (affinity @ member).tocsr()
    products = (member.T @ into.multiply(out).tocsr()).T.tocsr()  # products[a, b]: sum over v in b
    products.setdiag(0)
    products.eliminate_zeros()
    return products


def graph_degree_linkage(affinity, labels):
    """The cluster affinity of graph degree linkage (Zhang et al. 2012), symmetric sparse (clusters x clusters).

    ``A(a, b) = 1_a' W_ab W_ba 1_a / |a|^2 + 1_b' W_ba W_ab 1_b / |b|^2`` (JULE eq. 4 to 6); clusters are the
    labels' distinct values in increasing order. The diagonal is 0.
    """
    affinity = _check_affinity(affinity)
    labels = _compact(labels, affinity.shape[0])
    sizes = np.bincount(labels).astype("float64")
    scaled = sparse.diags(1.0 / sizes ** 2) @ _degree_products(affinity, labels, len(sizes))
    return (scaled + scaled.T).tocsr()


class _Merger:
    """Greedy agglomeration on the GDL affinity with exact updates; state in per-cluster dictionaries."""

    def __init__(self, affinity, labels, kc, features, target=1, min_size=0.0):
        self.w_rows, self.w_cols = affinity, affinity.tocsc()
        self.labels, self.kc, self.features = labels.copy(), kc, features
        self.n, self.target, self.min_size = len(labels), target, min_size
        sizes = np.bincount(labels)
        self.size = sizes.astype("float64")
        self.dead = np.zeros(len(sizes), bool)
        self.small = int(np.count_nonzero(self.size < min_size))  # clusters under min_size
        order = np.argsort(labels, kind="stable")
        self.members = np.split(order, np.cumsum(sizes)[:-1])
        if features is not None:  # feature sums per cluster: the means of the isolated-cluster rule
            self.sums = np.zeros((len(sizes), features.shape[1]))
            np.add.at(self.sums, labels, features)
        products = _degree_products(affinity, labels, len(sizes))
        scaled = sparse.diags(1.0 / self.size ** 2) @ products
        linkage = (scaled + scaled.T).tocsr()
        self.products = [dict(zip(products.indices[s:e].tolist(), products.data[s:e].tolist()))
                         for s, e in zip(products.indptr[:-1], products.indptr[1:])]
        self.linkage = [dict(zip(linkage.indices[s:e].tolist(), linkage.data[s:e].tolist()))
                        for s, e in zip(linkage.indptr[:-1], linkage.indptr[1:])]
        self.alive = len(sizes)
        self.version = [0] * len(sizes)
        self.partner = [-1] * len(sizes)
        self.isolated = {c for c, links in enumerate(self.linkage) if not links}
        self._rebuild()

    def _use_kc(self):
        return self.kc > 1 and self.alive > LARGE

    def _score(self, c):
        """JULE eq. 6 for cluster ``c`` (missing neighbours count as affinity 0) and its best neighbour."""
        links = self.linkage[c]
        if not links:
            return 0.0, -1
        best = max(links, key=links.get)
        first = links[best]
        if not self._use_kc():
            return first, best
        values = sorted(links.values(), reverse=True)[1:self.kc]
        return first + ((self.kc - 1) * first - sum(values)) / (self.kc - 1), best

    def _push(self, c):
        score, self.partner[c] = self._score(c)
        self.version[c] += 1
        heapq.heappush(self.heap, (-score, c, self.version[c]))

    def _rebuild(self):
        self.heap, self.kc_on = [], self._use_kc()
        for c, links in enumerate(self.linkage):
            if links is not None:
                self._push(c)

    def _pop(self):
        while self.heap:
            score, c, version = heapq.heappop(self.heap)
            if self.linkage[c] is not None and version == self.version[c]:
                return -score, c
        raise RuntimeError("no cluster left to merge")  # not reached: merge_clusters keeps >= 1 cluster

    def _nearest(self, c):
        """The cluster whose mean feature is closest to ``c``'s (``affinity.compute4cluster``'s cluster kNN)."""
        ids = np.array([i for i, links in enumerate(self.linkage) if links is not None and i != c])
        means = self.sums[ids] / self.size[ids, None]
        return int(ids[np.argmin(np.sum(np.square(means - self.sums[c] / self.size[c]), axis=1))])

    def _isolated_first(self):
        """An isolated cluster (no positive affinity to any other) to merge first, or None: the authors merge each
        with its nearest cluster by mean feature while more than ``ISOLATED_RATIO`` times the target number of
        clusters remain (``affinity.compute4cluster``). Needs ``features``."""
        if self.features is None or not self.isolated or self.alive <= ISOLATED_RATIO * self.target:
            return None
        return min(self.isolated, key=lambda c: (self.size[c], c))

    def _best_partner(self, c):
        """``c``'s most affine cluster; with no positive affinity, its nearest by mean feature (or the smallest)."""
        if self.linkage[c]:
            return max(self.linkage[c], key=self.linkage[c].get)
        if self.features is not None:
            return self._nearest(c)
        return int(np.argmin(np.where(self.dead | (np.arange(len(self.dead)) == c), np.inf, self.size)))

    def _fallback_pair(self):
        """With no positive affinity left: the smallest cluster and its nearest by mean feature (without
        ``features``, the two smallest clusters)."""
        ids = np.array([c for c, links in enumerate(self.linkage) if links is not None])
        smallest = ids[np.argsort(self.size[ids], kind="stable")[:2]]
        if self.features is None:
            return int(smallest[0]), int(smallest[1])
        return int(smallest[0]), self._nearest(int(smallest[0]))

    @staticmethod
    def _gather(matrix, rows):
        """The (column index, value) pairs of ``rows`` of a CSR (or, for columns, CSC) matrix: no scipy slicing."""
        starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
        lengths = ends - starts
        where = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return matrix.indices[where], matrix.data[where]

    def _sums_from(self, matrix, samples, cluster):
        """For each of ``samples``: the sum of its row of ``matrix`` (CSR; CSC: column) over ``cluster``'s members."""
        lengths = matrix.indptr[samples + 1] - matrix.indptr[samples]
        others, weights = self._gather(matrix, samples)
        inside = self.labels[others] == cluster
        owner = np.repeat(np.arange(len(samples)), lengths)
        return np.bincount(owner[inside], weights=weights[inside], minlength=len(samples))

    def _merged_row(self, a, b):
        """``U[a + b, i]`` for every other cluster ``i``, exactly, at a cost set by the smaller cluster ``b``.

        ``U[a + b, i] = U[a, i] + U[b, i] + sum_{v in i} (in_a(v) out_b(v) + in_b(v) out_a(v))``: the cross terms
        are non-zero only next to ``b``. Call before relabelling ``b``'s members.
        """
        targets, into = self._gather(self.w_rows, self.members[b])   # b -> v
        sources, out = self._gather(self.w_cols, self.members[b])    # v -> b
        samples, inverse = np.unique(np.concatenate([targets, sources]), return_inverse=True)
        inverse = inverse.reshape(-1)
        into_b = np.bincount(inverse[:len(targets)], weights=into, minlength=len(samples))
        out_b = np.bincount(inverse[len(targets):], weights=out, minlength=len(samples))
        into_a = self._sums_from(self.w_cols, samples, a)  # column v of W over a's members: a -> v
        out_a = self._sums_from(self.w_rows, samples, a)   # row v of W over a's members: v -> a
        cross = into_a * out_b + into_b * out_a
        where = np.flatnonzero(cross)
        ids, inverse = np.unique(self.labels[samples[where]], return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=cross[where], minlength=len(ids))
        row = dict(self.products[a])
        for i, value in self.products[b].items():
            row[i] = row.get(i, 0.0) + value
        for i, value in zip(ids.tolist(), sums.tolist()):
            row[i] = row.get(i, 0.0) + value
        row.pop(a, None)
        row.pop(b, None)
        return row

    def merge_once(self, small_first=False):
        """One merge: an isolated cluster (:meth:`_isolated_first`); with ``small_first``, the smallest cluster
        under ``min_size`` and its most affine neighbour; else the best K_c score (no positive affinity left:
        :meth:`_fallback_pair`). Returns ``(kept, absorbed, affinity or score)``."""
        lonely = self._isolated_first()
        if lonely is not None:
            score, a, b = 0.0, lonely, self._nearest(lonely)
        elif small_first and self.small:
            a = int(np.argmin(np.where(self.dead, np.inf, self.size)))
            b = self._best_partner(a)
            score = self.linkage[a].get(b, 0.0)
        else:
            score, a = self._pop()
            b = self.partner[a]
            if score <= 0 or b < 0:
                heapq.heappush(self.heap, (-score, a, self.version[a]))
                a, b = self._fallback_pair()
        if self.size[a] < self.size[b]:  # the larger cluster keeps its id
            a, b = b, a
        row = self._merged_row(a, b)
        self.labels[self.members[b]] = a
        self.members[a] = np.concatenate([self.members[a], self.members[b]])
        self.small -= int(self.size[a] < self.min_size) + int(self.size[b] < self.min_size)
        self.size[a] += self.size[b]
        self.small += int(self.size[a] < self.min_size)
        self.dead[b] = True
        if self.features is not None:
            self.sums[a] += self.sums[b]
        neighbours = (self.linkage[a].keys() | self.linkage[b].keys() | row.keys()) - {a, b}
        links = {}
        for i in neighbours:
            products = self.products[i]
            column = products.pop(a, 0.0) + products.pop(b, 0.0)  # U[i, a + b] = U[i, a] + U[i, b]: exact
            if column:
                products[a] = column
            value = row.get(i, 0.0) / self.size[a] ** 2 + column / self.size[i] ** 2
            other = self.linkage[i]
            other.pop(b, None)
            if value > 0:
                other[a] = links[i] = value
            else:
                other.pop(a, None)
        self.products[a], self.linkage[a] = row, links
        self.products[b] = self.linkage[b] = self.members[b] = None
        self.alive -= 1
        self.isolated.discard(b)
        for c in neighbours | {a}:  # (a neighbour keeps a positive affinity, to a; a itself may have none)
            (self.isolated.discard if self.linkage[c] else self.isolated.add)(c)
        self.version[b] += 1
        if self.kc_on != self._use_kc():
            self._rebuild()
        else:
            for c in neighbours | {a}:
                self._push(c)
        return a, b, score


def merge_clusters(affinity, labels, n_merges, kc=5, features=None, min_size=None):
    """Merge clusters ``n_merges`` times by graph degree linkage with the K_c criterion; return ``(labels, merges)``.

    ``affinity``: the sample graph ``W`` (:func:`knn_affinity`); ``labels``: the current clusters (any integers).
    Each step merges the cluster with the best K_c score (module docstring; plain best affinity once 100 or
    fewer clusters remain, or with ``kc = 1``) with its most affine neighbour, then updates the affinities.
    Clusters with no positive affinity to any other merge first with their nearest by mean ``features`` while
    more than 20 times the target ``clusters - n_merges`` remain (the authors' rule). If the merges would leave
    clusters under ``min_size`` samples (None: a tenth of the mean target size, ``N / (10 * target)``; 0: off),
    they are redone, and the last ones (as many as the small clusters then) each take the smallest cluster with
    its most affine neighbour, so that none is left (ours). With no positive affinity left, the smallest cluster
    merges with its nearest by mean ``features`` (the two smallest without ``features``). Returns the new labels
    (N,) numbered 0..C-1 in the order of the input clusters, and ``merges``: ``[(kept, absorbed, score), ...]`` in
    the input's numbering (clusters numbered by sorted label).
    """
    affinity = _check_affinity(affinity)
    labels = _compact(labels, affinity.shape[0])
    n_clusters = int(labels.max()) + 1
    n_merges = positive_int(n_merges, "n_merges", minimum=0)
    if n_merges >= n_clusters:
        raise ValueError(f"`n_merges` ({n_merges}) must be smaller than the number of clusters ({n_clusters}).")
    kc = positive_int(kc, "kc")
    if features is not None:
        features = _check_features(features)
        if len(features) != len(labels):
            raise ValueError(f"`features` has {len(features)} rows but there are {len(labels)} samples.")
    if n_merges == 0:
        return labels, []
    target = n_clusters - n_merges
    min_size = MIN_SIZE_RATIO * len(labels) / target if min_size is None else number_at_least(min_size, "min_size", 0.0)
    merger = _Merger(affinity, labels, kc, features, target, min_size)
    small, merges = [merger.small], []  # small[m]: clusters under min_size after m merges
    for _ in range(n_merges):
        merges.append(merger.merge_once())
        small.append(merger.small)
    if small[-1]:  # again, the small clusters first from the last step where the merges left could take them all
        start = max((m for m in range(n_merges + 1) if small[m] <= n_merges - m), default=0)
        merger = _Merger(affinity, labels, kc, features, target, min_size)
        merges = [merger.merge_once(small_first=m >= start) for m in range(n_merges)]
    return _compact(merger.labels, len(labels)), merges
