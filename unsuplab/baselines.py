"""Classical baselines every lesson measures a network against.

PCA is the linear autoencoder: encode ``z = W^T (x - mu)``, decode ``x_hat = W z + mu``
with ``W`` the top principal directions (the optimum of a linear AE's squared
error spans the same subspace; Baldi and Hornik, 1989).
"""

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from .metrics import mse
from .validation import points, positive_int


def flat(x):
    """(N, ...) -> (N, features) float32."""
    x = np.asarray(x, dtype="float32")
    return x.reshape(len(x), -1)


def fit_pca(x_train, n_components, seed=0):
    """A fitted scikit-learn PCA on flattened training images."""
    n_components = positive_int(n_components, "n_components")
    x = flat(x_train)
    if n_components > min(x.shape):
        raise ValueError(f"`n_components` must be at most {min(x.shape)} for data of shape {x.shape}, "
                         f"got {n_components}.")
    return PCA(n_components=n_components, random_state=seed).fit(x)


def pca_reconstruct(x_train, x_test, n_components, seed=0):
    """PCA with ``n_components`` fitted on ``x_train``; returns (reconstructions of x_test, codes, test MSE)."""
    pca = fit_pca(x_train, n_components, seed)
    codes = pca.transform(flat(x_test))
    x_hat = pca.inverse_transform(codes).reshape(np.shape(x_test)).astype("float32")
    return x_hat, codes.astype("float32"), mse(x_hat, x_test)


def knn_distance(normal, queries=None, k=5):
    """The k-nearest-neighbour anomaly score: the mean Euclidean distance from each query to its ``k`` nearest
    normal samples (Ramaswamy, Rastogi and Shim, SIGMOD 2000, score by the k-th distance; the mean is steadier).

    ``normal`` and ``queries`` are arrays of samples (images are flattened). With ``queries=None`` the normal
    samples score themselves, each leaving itself out (scikit-learn's ``kneighbors()`` without ``X``): the
    normal scale that ``metrics.combine_scores`` divides by. Works on pixels or on any features (e.g. a
    self-supervised encoder's, L2-normalised).
    """
    normal = points(flat(normal), "normal", min_points=2)
    if queries is None:
        k = positive_int(k, "k", maximum=len(normal) - 1, why=" (the normal samples but one: each leaves itself out)")
        return NearestNeighbors(n_neighbors=k).fit(normal).kneighbors()[0].mean(axis=1)
    k = positive_int(k, "k", maximum=len(normal), why=" (the number of normal samples)")
    queries = points(flat(queries), "queries")
    if queries.shape[1] != normal.shape[1]:
        raise ValueError(f"`queries` must have {normal.shape[1]} features like `normal`, got {queries.shape[1]}.")
    return NearestNeighbors(n_neighbors=k).fit(normal).kneighbors(queries)[0].mean(axis=1)


def pca_autoencoder(mean, components):
    """PCA as a Keras model: ``Dense(k)`` encodes ``z = W^T x - W^T mu``, ``Dense(d)`` decodes ``W z + mu``.

    ``mean`` (d,) and ``components`` (k, d) are a fitted scikit-learn PCA's ``mean_`` and ``components_`` (so
    ``W = components.T``); flat (batch, d) vectors in, their rank-k reconstructions out. The weights are set, not
    learned: the optimum a linear autoencoder reaches by training (Baldi and Hornik, 1989).
    """
    import keras

    mean, components = np.asarray(mean, "float32"), np.asarray(components, "float32")
    if components.ndim != 2 or mean.shape != (components.shape[1],):
        raise ValueError(f"`components` must be (k, d) and `mean` (d,), got {components.shape} and {mean.shape}.")
    k, d = components.shape
    inputs = keras.Input((d,))
    encode = keras.layers.Dense(k, name="encode")
    decode = keras.layers.Dense(d, name="decode")
    model = keras.Model(inputs, decode(encode(inputs)), name="pca_autoencoder")
    encode.set_weights([components.T, -mean @ components.T])
    decode.set_weights([components, mean])
    return model


def subspace_cosines(a, b):
    """Cosines of the principal angles between the column spaces of ``a`` and ``b`` (1 = same direction).

    Both are (d, k) matrices with the same ``d``; the angles come from ``scipy.linalg.subspace_angles``
    (Björck and Golub, 1973; Knyazev and Argentati, 2002), largest cosine first.
    """
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0] or 0 in a.shape + b.shape:
        raise ValueError(f"`a` and `b` must be non-empty (d, k) matrices with the same d, got {a.shape} and {b.shape}.")
    return np.sort(np.cos(subspace_angles(a, b)))[::-1]
