"""Information visualisation that comes with a number: 2-D maps scored by their trustworthiness.

A 2-D picture of high-dimensional data always distorts it. ``compare_maps`` draws maps side by side (t-SNE,
van der Maaten and Hinton 2008, and PCA, both from scikit-learn) and puts in each title the map's
*trustworthiness* (Venna and Kaski 2001; ``sklearn.manifold.trustworthiness``) with respect to the space the map
came from: 1 when every point's ``k`` nearest neighbours on the map are also among its nearest neighbours in
that space, lower when the map invents neighbours. It scores local neighbourhoods only: how far apart two
clusters sit on a t-SNE map is not measured, and not meaningful.
"""

import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from threadpoolctl import threadpool_limits

from .validation import labels as validation_labels
from .validation import number_at_least, points, positive_int

METHODS = ("tsne", "pca")


def _as_points(x, name="x"):
    return points(x, name, "float32")


def _check_spread(x, name="x"):
    """Refuse points that are all the same (after the float32 cast): scikit-learn's t-SNE divides by their zero
    spread and crashes the kernel (exit 139) on them; a PCA map of them is one dot. A ValueError that says the
    codes collapsed helps a student more than a PCA fallback, which would draw that dot with a trust score."""
    if float(np.max(np.ptp(x, axis=0))) == 0.0:
        raise ValueError(f"`{name}`: all {len(x)} points are the same (to float32 precision), so there is nothing "
                         "to map; a collapsed encoder gives this (every input the same code). Check "
                         f"`{name}.std(axis=0)` and the training that produced the points.")


def _rescaled(x):
    """``x`` divided by its largest feature spread (standard deviation) when that is outside [1e-4, 1e4]: t-SNE's map
    does not depend on the scale, but float32 does (spreads of 1e-30 crashed scikit-learn, 1e30 gave all zeros)."""
    spread = float(np.max(np.std(x, axis=0, dtype="float64")))
    return x if 1e-4 <= spread <= 1e4 else (x.astype("float64") / spread).astype("float32")


def map_2d(x, method="tsne", *, perplexity=30.0, metric="euclidean", seed=0, threads=1):
    """The rows of ``x`` (n, d) placed in 2-D by ``method``: ``"tsne"`` or ``"pca"``; returns (n, 2).

    t-SNE is scikit-learn's ``TSNE(perplexity=30, init="pca", random_state=seed)`` with distances ``metric`` in
    the input space (van der Maaten and Hinton 2008; the PCA start makes the layout repeatable and keeps more of
    the global structure). ``perplexity`` is roughly the number of neighbours each point attends to, and it
    changes the picture: compare a few values (5-50). PCA is the projection on the top two principal directions.
    ``threads`` caps the OpenMP and BLAS threads: t-SNE's threads spin while they wait, and on 2 busy cores two of
    them took 7 times the CPU time of one (38 s against 5 s for 1,000 points), so one is the default.
    """
    x = _as_points(x)
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    threads = positive_int(threads, "threads")
    if method == "pca":
        if x.shape[0] < 2 or x.shape[1] < 2:
            raise ValueError(f"PCA to 2-D needs at least 2 points of at least 2 features, got shape {x.shape}.")
        _check_spread(x)
        return PCA(2, random_state=seed).fit_transform(x).astype("float32")
    perplexity = number_at_least(perplexity, "perplexity", 0.0)
    if not 0 < perplexity < x.shape[0]:
        raise ValueError(f"`perplexity` must be positive and smaller than the number of points ({x.shape[0]}), "
                         f"got {perplexity}.")
    _check_spread(x)
    tsne = TSNE(2, perplexity=perplexity, init="pca", metric=metric, random_state=seed)
    with threadpool_limits(threads):
        return tsne.fit_transform(_rescaled(x)).astype("float32")


def trust(x, z, n_neighbors=10, metric="euclidean"):
    """Trustworthiness of the map ``z`` of the points ``x`` with ``n_neighbors`` neighbours (Venna and Kaski 2001).

    ``T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i} (r(i, j) - k)``, where ``U_i`` holds the points
    among the ``k`` nearest neighbours of ``i`` on the map but not in ``x`` (``metric`` there; Euclidean on the
    map) and ``r(i, j)`` is the rank of ``j`` among the neighbours of ``i`` in ``x``. In [0, 1]; 1 is perfect.
    """
    x, z = _as_points(x), _as_points(z, "z")
    if len(x) != len(z):
        raise ValueError(f"`x` and `z` must have the same number of points, got {len(x)} and {len(z)}.")
    n_neighbors = positive_int(n_neighbors, "n_neighbors")
    if not 1 <= n_neighbors < len(x) / 2:
        raise ValueError(f"`n_neighbors` must be at least 1 and smaller than half the number of points "
                         f"({len(x)}), got {n_neighbors}.")
    return float(trustworthiness(x, z, n_neighbors=n_neighbors, metric=metric))


def balanced_sample(labels, n, seed=0):
    """Indices of ``n`` points, ``n // classes`` (or all there are) from each class of ``labels``, shuffled."""
    labels = validation_labels(labels, "labels")
    if len(labels) == 0:
        raise ValueError("`labels` is empty.")
    n = positive_int(n, "n")
    classes = np.unique(labels)
    if n < len(classes):
        raise ValueError(f"`n` ({n}) must be at least the number of classes ({len(classes)}).")
    rng = np.random.default_rng(seed)
    per_class = n // len(classes)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return rng.permutation(np.concatenate(picked))


@dataclass
class Maps:
    """What ``compare_maps`` returns: the 2-D maps, their trustworthiness, the seconds each took, the figure."""

    maps: dict
    scores: dict
    seconds: dict
    figure: object = field(repr=False)
    n_neighbors: int = 10


def _draw(ax, z, labels, class_names, annotate, size):
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=size, color="tab:blue")
    else:
        other = labels < 0
        if other.any():
            name = class_names.get(-1, "other") if isinstance(class_names, dict) else "other"
            ax.scatter(z[other, 0], z[other, 1], s=size / 2, color="0.8", label=name)
        for c in np.unique(labels[~other]):
            pts = z[labels == c]
            name = class_names[c] if class_names is not None else str(c)
            ax.scatter(pts[:, 0], pts[:, 1], s=size, label=name, color=plt.cm.tab10(int(c) % 10))
        ax.legend(markerscale=2, fontsize=7, loc="best", ncol=2)
    for i, text in (annotate or {}).items():
        ax.annotate(text, z[i], fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set_xticks([])
    ax.set_yticks([])


def compare_maps(spaces, labels=None, *, n_neighbors=10, perplexity=30.0, metric="euclidean", seed=0,
                 class_names=None, annotate=None, size=5, panel=4.5):
    """Map each space to 2-D, score each map, draw them side by side; returns ``Maps``.

    ``spaces`` maps a panel title to ``(x, method)``: the points (n, d) and ``"tsne"`` or ``"pca"``, e.g.
    ``{"t-SNE of the codes": (codes, "tsne"), "PCA of the pixels": (pixels, "pca")}``; every space holds the
    same n points in the same order. Each map's trustworthiness is measured against its own space with
    ``n_neighbors`` neighbours and ``metric`` (which t-SNE also uses). ``labels`` (n ints) colour the points,
    named by ``class_names``; a negative label is drawn small and grey ("other"). ``annotate`` maps a point's
    index to a text written next to it on every panel.
    """
    if not isinstance(spaces, dict) or not spaces or \
            not all(isinstance(v, (tuple, list)) and len(v) == 2 for v in spaces.values()):
        raise ValueError("`spaces` must be a non-empty dict {title: (points, method)}, e.g. "
                         "{'t-SNE of the codes': (codes, 'tsne')}.")
    sizes = {title: len(_as_points(x, f"spaces[{title!r}]")) for title, (x, _) in spaces.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"every space must hold the same points; got these numbers of points: {sizes}.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (next(iter(sizes.values())),) or labels.dtype.kind not in "iu":
            raise ValueError(f"`labels` must be one integer per point ({next(iter(sizes.values()))}), got shape "
                             f"{labels.shape} and dtype {labels.dtype}.")
    maps, scores, seconds = {}, {}, {}
    fig, axes = plt.subplots(1, len(spaces), figsize=(panel * len(spaces), panel), squeeze=False,
                             layout="constrained")
    for ax, (title, (x, method)) in zip(axes[0], spaces.items()):
        start = time.perf_counter()
        maps[title] = map_2d(x, method, perplexity=perplexity, metric=metric, seed=seed)
        seconds[title] = time.perf_counter() - start
        scores[title] = trust(x, maps[title], n_neighbors, metric)
        _draw(ax, maps[title], labels, class_names, annotate, size)
        ax.set_title(f"{title}\ntrustworthiness {scores[title]:.3f} (k={n_neighbors})", fontsize=10)
    return Maps(maps, scores, seconds, fig, n_neighbors)
