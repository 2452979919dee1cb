"""One evaluation protocol for any representation: frozen features -> a linear probe and k-NN, with 1%, 10% or
100% of the training labels (the linear evaluation of Chen et al. 2020 and He et al. 2020, on small data).

The features are standardised on the labelled training subset; the probe is scikit-learn's
``LogisticRegression``; k-NN votes among the ``k`` nearest labelled training features (cosine distance).
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..validation import labels as as_labels
from ..validation import positive_int

LABEL_FRACTIONS = (0.01, 0.1, 1.0)


def _features(f, name, length=None):
    f = np.asarray(f, dtype="float64")
    f = f.reshape(len(f), -1) if f.ndim > 2 else f
    if f.ndim != 2 or len(f) == 0:
        raise ValueError(f"`{name}` must be a (samples, features) array, got shape {f.shape}.")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    if length is not None and len(f) != length:
        raise ValueError(f"`{name}` has {len(f)} rows but its labels have {length}.")
    return f


def label_subset(y, fraction, seed=0):
    """Indices of a stratified ``fraction`` of the labels ``y`` (at least one per class), seeded, sorted."""
    y = as_labels(y, "y")
    if not 0 < fraction <= 1:
        raise ValueError(f"`fraction` must be in (0, 1], got {fraction}.")
    if fraction == 1:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(y == c))[:max(1, round(fraction * np.sum(y == c)))]
              for c in np.unique(y)]
    return np.sort(np.concatenate(chosen))


def _subset(f_train, y_train, f_test, y_test, fraction, seed):
    y_train = as_labels(y_train, "y_train")
    y_test = as_labels(y_test, "y_test")
    f_train = _features(f_train, "f_train", len(y_train))
    f_test = _features(f_test, "f_test", len(y_test))
    if f_train.shape[1] != f_test.shape[1]:
        raise ValueError(f"`f_train` and `f_test` must have the same number of features, got "
                         f"{f_train.shape[1]} and {f_test.shape[1]}.")
    keep = label_subset(y_train, fraction, seed)
    return f_train[keep], y_train[keep], f_test, y_test


def linear_probe(f_train, y_train, f_test, y_test, fraction=1.0, seed=0, c=1.0, max_iter=500):
    """Test accuracy of a logistic regression trained on a ``fraction`` of the standardised frozen features."""
    f_train, y_train, f_test, y_test = _subset(f_train, y_train, f_test, y_test, fraction, seed)
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    return float(np.mean(probe.fit(f_train, y_train).predict(f_test) == y_test))


def knn_accuracy(f_train, y_train, f_test, y_test, fraction=1.0, seed=0, k=5):
    """Test accuracy of ``k``-nearest-neighbour voting (cosine distance) among a ``fraction`` of the labels."""
    f_train, y_train, f_test, y_test = _subset(f_train, y_train, f_test, y_test, fraction, seed)
    k = min(positive_int(k, "k"), len(y_train))
    knn = KNeighborsClassifier(n_neighbors=k, metric="cosine")
    return float(np.mean(knn.fit(f_train, y_train).predict(f_test) == y_test))


def evaluate(f_train, y_train, f_test, y_test, fractions=LABEL_FRACTIONS, seed=0, k=5):
    """``{"linear": {fraction: accuracy}, "knn": {fraction: accuracy}}`` for each label fraction."""
    return {"linear": {f: linear_probe(f_train, y_train, f_test, y_test, f, seed) for f in fractions},
            "knn": {f: knn_accuracy(f_train, y_train, f_test, y_test, f, seed, k) for f in fractions}}
