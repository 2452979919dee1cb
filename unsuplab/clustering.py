"""The classical clustering baselines, and the clustering scores under their old names.

* baselines: k-means on pixels, PCA + k-means, autoencoder codes + k-means.
* scores: they live in :mod:`unsuplab.metrics` (``cluster_accuracy``, ``nmi``, ``ari``,
  ``many_to_one``, ``size_entropy``, ``collapsed``, ``cluster_scores``, ...); this module
  re-exports them so ``clustering.cluster_accuracy`` and ``clustering.scores`` keep working.
"""

from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from .baselines import fit_pca, flat
from .metrics import (  # noqa: F401 (re-exports)
    ari,
    best_matching,
    cluster_accuracy,
    cluster_scores,
    collapsed,
    contingency,
    many_to_one,
    matched_confusion,
    nmi,
    size_entropy,
)
from .validation import positive_int

scores = cluster_scores  # the old name, used by lesson 15 and benchmarks/iic.py


# ----------------------------------------------------------------------------- baselines

def kmeans(features, n_clusters, seed=0, n_init=10):
    """k-means (scikit-learn) on (N, features) vectors; returns the cluster of each row."""
    features = flat(features)
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
    if len(features) < n_clusters:
        raise ValueError(f"`features` has {len(features)} rows, fewer than `n_clusters` ({n_clusters}).")
    return KMeans(n_clusters, n_init=n_init, random_state=seed).fit_predict(features).astype("int64")


def kmeans_pixels(x, n_clusters, seed=0):
    """Baseline: k-means on raw pixels."""
    return kmeans(flat(x), n_clusters, seed)


def pca_kmeans(x, n_clusters, n_components=50, seed=0):
    """Baseline: PCA to ``n_components`` then k-means."""
    pca = fit_pca(x, n_components, seed)
    return kmeans(pca.transform(flat(x)), n_clusters, seed)


def standardize(features):
    """Each column shifted to mean 0 and scaled to variance 1 (constant columns left at 0; ``StandardScaler``)."""
    return StandardScaler().fit_transform(flat(features).astype("float64"))


def autoencoder_kmeans(autoencoder, x, n_clusters, epochs=20, batch_size=128, seed=0, verbose=0,
                       standardize_codes=True):
    """Baseline: train ``autoencoder`` (an ``unsuplab.models`` builder's model) on ``x``, k-means on its codes.

    Variational encoders returning several outputs use the first (the mean). Codes are
    standardised per dimension before k-means unless ``standardize_codes=False`` (k-means
    is not scale-invariant, and a few large code units would otherwise dominate the distances).
    """
    import keras

    keras.utils.set_random_seed(seed)
    if not autoencoder.compiled:
        autoencoder.compile(optimizer="adam", loss="mse")
    autoencoder.fit(x, x, epochs=positive_int(epochs, "epochs"), batch_size=batch_size, verbose=verbose)
    codes = autoencoder.encode(x) if hasattr(autoencoder, "encode") else autoencoder.encoder.predict(x, verbose=0)
    if isinstance(codes, (list, tuple)):
        codes = codes[0]
    codes = flat(codes)
    return kmeans(standardize(codes) if standardize_codes else codes, n_clusters, seed)
