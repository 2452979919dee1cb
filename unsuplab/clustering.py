"""Evaluating a clustering against labels, and the classical clustering baselines.

* ``cluster_accuracy``: accuracy after the best one-to-one matching of clusters to classes
  (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``), as in IIC's Table 1.
* ``nmi`` / ``ari``: scikit-learn's normalised mutual information and adjusted Rand index.
* ``many_to_one``: each cluster mapped to the majority class of a small labelled subset
  (IIC's semi-supervised overclustering, Ji et al., 2019, sec. 4.2).
* ``size_entropy``: entropy of the cluster sizes over ``ln k`` (1 = balanced, 0 = one cluster);
  ``collapsed`` flags a collapse to a few clusters.
* baselines: k-means on pixels, PCA + k-means, autoencoder codes + k-means.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from .baselines import fit_pca, flat
from .validation import labels as as_labels, positive_int


def _pair(assigned, y):
    y = as_labels(y, "y")
    assigned = as_labels(assigned, "assigned", length=len(y))
    if np.any(assigned < 0) or np.any(y < 0):
        raise ValueError("`assigned` and `y` must hold non-negative integers.")
    return assigned, y


def contingency(assigned, y):
    """Counts (n_clusters, n_classes): ``C[i, j]`` images of class ``j`` in cluster ``i``."""
    assigned, y = _pair(assigned, y)
    table = np.zeros((assigned.max() + 1, y.max() + 1), "int64")
    np.add.at(table, (assigned, y), 1)
    return table


def best_matching(assigned, y):
    """The one-to-one map cluster -> class that maximises the matched count (Hungarian)."""
    table = contingency(assigned, y)
    rows, cols = linear_sum_assignment(-table)
    return dict(zip(rows.tolist(), cols.tolist()))


def cluster_accuracy(assigned, y):
    """Accuracy after the best one-to-one matching of clusters to classes (unmatched clusters count as wrong)."""
    table = contingency(assigned, y)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / table.sum())


def matched_confusion(assigned, y):
    """Confusion matrix (classes x classes) after relabelling clusters by ``best_matching``; extra clusters dropped."""
    assigned, y = _pair(assigned, y)
    mapping = best_matching(assigned, y)
    k = y.max() + 1
    table = np.zeros((k, k), "int64")
    for a, t in zip(assigned, y):
        if a in mapping:
            table[t, mapping[a]] += 1
    return table


def nmi(assigned, y):
    """Normalised mutual information (scikit-learn, arithmetic mean normalisation)."""
    return float(normalized_mutual_info_score(*_pair(assigned, y)[::-1]))


def ari(assigned, y):
    """Adjusted Rand index (scikit-learn)."""
    return float(adjusted_rand_score(*_pair(assigned, y)[::-1]))


def many_to_one(assigned_labelled, y_labelled, assigned, n_clusters=None):
    """Map each cluster to the majority class among the labelled images it holds, then label ``assigned``.

    Clusters that hold no labelled image take the overall majority class.
    """
    assigned_labelled, y_labelled = _pair(assigned_labelled, y_labelled)
    assigned = as_labels(assigned, "assigned")
    k = int(max(assigned.max(), assigned_labelled.max()) + 1) if n_clusters is None else n_clusters
    table = np.zeros((k, y_labelled.max() + 1), "int64")
    np.add.at(table, (assigned_labelled, y_labelled), 1)
    fallback = np.bincount(y_labelled).argmax()
    mapping = np.where(table.sum(1) > 0, table.argmax(1), fallback)
    return mapping[assigned]


def size_entropy(assigned, n_clusters):
    """Entropy of the cluster sizes divided by ``ln n_clusters``: 1 for equal sizes, 0 for one cluster."""
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
    assigned = as_labels(assigned, "assigned")
    if assigned.size and assigned.max() >= n_clusters:
        raise ValueError(f"`assigned` holds cluster {assigned.max()}, but `n_clusters` is {n_clusters}.")
    p = np.bincount(assigned, minlength=n_clusters) / max(len(assigned), 1)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / np.log(n_clusters))


def collapsed(assigned, n_clusters, threshold=0.9):
    """True when the cluster sizes are far from balanced (``size_entropy < threshold``) or a cluster is empty."""
    sizes = np.bincount(as_labels(assigned, "assigned"), minlength=n_clusters)
    return bool(size_entropy(assigned, n_clusters) < threshold or np.any(sizes == 0))


def scores(assigned, y, n_clusters=None):
    """ACC, NMI, ARI, size entropy and the collapse flag in one dict."""
    n_clusters = n_clusters or int(max(as_labels(assigned, "assigned").max(), as_labels(y).max()) + 1)
    return {"acc": cluster_accuracy(assigned, y), "nmi": nmi(assigned, y), "ari": ari(assigned, y),
            "size_entropy": size_entropy(assigned, n_clusters), "collapsed": collapsed(assigned, n_clusters)}


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
    """Each column shifted to mean 0 and scaled to variance 1 (constant columns left at 0)."""
    features = flat(features).astype("float64")
    std = features.std(0)
    return (features - features.mean(0)) / np.where(std > 0, std, 1.0)


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
