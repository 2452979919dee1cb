"""Every clustering method of the course behind one shape: ``fit(x)`` trains, ``labels_`` and ``predict``.

=======================  ==========================================================================
clusterer                what ``fit`` does
=======================  ==========================================================================
KMeansClustering         k-means (scikit-learn) on the pixels, or on ``n_components`` PCA components
AutoencoderKMeans        trains an autoencoder (``model.fit``), then k-means on its codes
IICClustering            :func:`unsuplab.iic.fit_iic`: IIC's heads on pairs of views (Ji et al., 2019)
DECClustering            :func:`unsuplab.dec.fit_dec`: DEC or IDEC from a pretrained autoencoder
JULEClustering           :func:`unsuplab.jule.fit_jule`: agglomeration and a CNN in turn (Yang et al., 2016)
=======================  ==========================================================================

The shape (scikit-learn's names for the results, Keras' for the training)::

    method = clustering.DECClustering(autoencoder, n_clusters=10)    # the method and its settings
    history = method.fit(x, steps=1400, callbacks=[...], time_limit=300)
    method.labels_            # the cluster of every image of x (the papers cluster what they train on)
    method.predict(x_new)     # the cluster of new images
    method.cluster_probabilities(x_new)   # IIC and DEC: (N, n_clusters)

One vocabulary for ``fit``: ``epochs`` (IIC: passes of its schedule; the autoencoder: its epochs; JULE: CNN epochs per
period, and ``min_steps`` the fewest CNN batches a period) or ``steps`` (DEC: optimiser steps), ``batch_size``,
``callbacks`` (``keras.callbacks.Callback``; ``self.model`` is the model being trained), ``time_limit`` (seconds: one
:class:`~unsuplab.training.TimeLimit`), ``verbose``; each returns a ``keras.callbacks.History``
(:mod:`unsuplab.training`). The settings of the method (``n_clusters``, ``seed``, the optimiser...) go to the
constructor. ``fit_predict(x, ...)`` is ``fit`` then ``labels_``. The scores live in :mod:`unsuplab.metrics`; the
function :func:`kmeans` is k-means on any features.
"""

import keras
import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from .agglomeration import MIN_SIZE_RATIO
from .baselines import fit_pca, flat
from .training import callback_list, history_of
from .validation import positive_int

__all__ = ["kmeans", "kmeans_pixels", "pca_kmeans", "standardize", "KMeansClustering", "AutoencoderKMeans",
           "IICClustering", "DECClustering", "JULEClustering"]


# ----------------------------------------------------------------------------- k-means as a function

def kmeans(features, n_clusters, seed=0, n_init=10):
    """k-means (scikit-learn) on (N, features) vectors; returns the cluster of each row."""
    return _fit_kmeans(features, n_clusters, seed, n_init).labels_.astype("int64")


def _fit_kmeans(features, n_clusters, seed, n_init):
    features = flat(features)  # float32, as every k-means of the course
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
    if len(features) < n_clusters:
        raise ValueError(f"`features` has {len(features)} rows, fewer than `n_clusters` ({n_clusters}).")
    return KMeans(n_clusters, n_init=positive_int(n_init, "n_init"), random_state=seed).fit(features)


def kmeans_pixels(x, n_clusters, seed=0):
    """Baseline: k-means on raw pixels (``KMeansClustering(n_clusters).fit_predict(x)``)."""
    return KMeansClustering(n_clusters, seed=seed).fit_predict(x)


def pca_kmeans(x, n_clusters, n_components=50, seed=0):
    """Baseline: PCA to ``n_components`` then k-means."""
    return KMeansClustering(n_clusters, n_components=n_components, seed=seed).fit_predict(x)


def standardize(features):
    """Each column shifted to mean 0 and scaled to variance 1 (constant columns left at 0; ``StandardScaler``)."""
    return StandardScaler().fit_transform(flat(features).astype("float64"))


# ----------------------------------------------------------------------------- the shape

class Clusterer:
    """What every clusterer here shares: ``labels_`` after ``fit``, ``fit_predict``, and the check that ``fit`` ran."""

    labels_ = None

    def fit(self, x, **kwargs):
        raise NotImplementedError

    def fit_predict(self, x, **kwargs):
        """``fit(x, **kwargs)``, then the cluster of each image of ``x`` (``labels_``)."""
        self.fit(x, **kwargs)
        return self.labels_

    def _fitted(self):
        if self.labels_ is None:
            raise RuntimeError(f"{type(self).__name__} has not been fitted: call `fit(x)` first.")

    @staticmethod
    def _no_budget(name, given, instead):
        """Refuses a training argument this method has no use for, naming the one it counts in."""
        if given is not None:
            raise TypeError(f"this method has no `{name}`: {instead}.")


class _ModelClusterer(Clusterer):
    """A clusterer whose trained Keras model ``self.model`` assigns clusters itself (IIC, DEC)."""

    model = None

    def predict(self, x):
        """The cluster of each image: the model's ``assign``."""
        self._fitted()
        return self.model.assign(x)

    def cluster_probabilities(self, x):
        """(N, n_clusters): the probability of each cluster for each image."""
        self._fitted()
        return self._probabilities(x)

    def _probabilities(self, x):
        return self.model.cluster_probabilities(x)


class KMeansClustering(Clusterer):
    """k-means on the pixels, or on the first ``n_components`` principal components (PCA + k-means)."""

    def __init__(self, n_clusters, n_components=None, n_init=10, seed=0):
        self.n_clusters, self.n_components, self.n_init, self.seed = n_clusters, n_components, n_init, seed
        self.pca = self.kmeans = None

    def _features(self, x):
        return flat(x) if self.pca is None else self.pca.transform(flat(x))

    def fit(self, x, callbacks=None, time_limit=None, verbose=0):
        """PCA (if any) and k-means on ``x``; the history has one epoch, logs ``inertia``."""
        listed, _ = callback_list(callbacks, None, time_limit)
        listed.on_train_begin()
        self.pca = None if self.n_components is None else fit_pca(x, self.n_components, self.seed)
        self.kmeans = _fit_kmeans(self._features(x), self.n_clusters, self.seed, self.n_init)
        self.labels_ = self.kmeans.labels_.astype("int64")
        listed.on_epoch_end(0, {"inertia": float(self.kmeans.inertia_)})
        listed.on_train_end()
        return history_of(listed)

    def predict(self, x):
        """The nearest centroid of each image."""
        self._fitted()
        return self.kmeans.predict(flat(self._features(x))).astype("int64")


class AutoencoderKMeans(Clusterer):
    """Trains ``autoencoder`` (an :mod:`unsuplab.models` or :func:`unsuplab.dec.build_dec_autoencoder` model) to
    reconstruct ``x``, then k-means on its codes (standardised per unit when ``standardize``: k-means is not
    scale-invariant). ``optimizer`` and ``loss`` compile it when it is not compiled yet. Variational encoders
    returning several outputs use the first (the mean). Training draws from Keras' global seed, as ``model.fit``
    does (``keras.utils.set_random_seed`` before building the autoencoder); ``seed`` seeds k-means."""

    def __init__(self, autoencoder, n_clusters, optimizer="adam", loss="mse", standardize=False, n_init=20, seed=0):
        if not isinstance(autoencoder, keras.Model):
            raise TypeError(f"`autoencoder` must be a keras.Model with an encoder, got {type(autoencoder).__name__}.")
        self.autoencoder, self.n_clusters, self.optimizer, self.loss = autoencoder, n_clusters, optimizer, loss
        self.standardize, self.n_init, self.seed = standardize, n_init, seed
        self.scaler = self.kmeans = None

    def codes(self, x):
        """The autoencoder's codes of ``x``, flat (standardised with the statistics of the fitted x if asked)."""
        return self._scaled(self._raw_codes(x))

    def _raw_codes(self, x):
        if hasattr(self.autoencoder, "encode"):
            codes = self.autoencoder.encode(x)
        else:
            codes = self.autoencoder.encoder.predict(x, verbose=0)
        return flat(codes[0] if isinstance(codes, (list, tuple)) else codes)

    def _scaled(self, codes):
        return codes if self.scaler is None else flat(self.scaler.transform(codes.astype("float64")))

    def fit(self, x, epochs=20, batch_size=256, callbacks=None, time_limit=None, verbose=0):
        """``autoencoder.fit(x, x, ...)`` (its Keras history is returned), then k-means on the codes."""
        listed, _ = callback_list(callbacks, None, time_limit)  # checks the arguments
        if not self.autoencoder.compiled:
            self.autoencoder.compile(optimizer=self.optimizer, loss=self.loss)
        history = self.autoencoder.fit(x, x, epochs=positive_int(epochs, "epochs"), batch_size=batch_size,
                                       verbose=verbose, callbacks=listed.callbacks)
        codes = self._raw_codes(x)
        self.scaler = StandardScaler().fit(codes.astype("float64")) if self.standardize else None
        self.kmeans = _fit_kmeans(self._scaled(codes), self.n_clusters, self.seed, self.n_init)
        self.labels_ = self.kmeans.labels_.astype("int64")
        return history

    def predict(self, x):
        """The nearest k-means centroid of each image's code."""
        self._fitted()
        return self.kmeans.predict(self.codes(x)).astype("int64")


class IICClustering(_ModelClusterer):
    """IIC (Ji, Henriques and Vedaldi, 2019) on a model of :func:`unsuplab.iic.build_iic` (or the per-pixel
    :func:`~unsuplab.iic.build_iic_segmentation`, whose ``labels_`` are per pixel): ``fit`` is
    :func:`~unsuplab.iic.fit_iic` (one Adam per head at ``learning_rate``, the heads in ``schedule``), and the
    clusters come from the sub-head with the lowest loss on fresh pairs (``model.best_subhead``)."""

    def __init__(self, model, learning_rate=1e-4, schedule=("main", "main", "over"), select_size=2000, loss_fn=None,
                 seed=0):
        from .iic import IICClusterer

        if not isinstance(model, IICClusterer):
            raise TypeError(f"`model` must be an IIC model (unsuplab.iic.build_iic), got {type(model).__name__}.")
        self.model, self.learning_rate, self.schedule = model, learning_rate, schedule
        self.select_size, self.loss_fn, self.seed = select_size, loss_fn, seed

    def fit(self, x, epochs=10, batch_size=140, callbacks=None, time_limit=None, verbose=0):
        from .iic import fit_iic

        history = fit_iic(self.model, x, epochs=epochs, batch_size=batch_size, learning_rate=self.learning_rate,
                          schedule=self.schedule, callbacks=callbacks, time_limit=time_limit, verbose=verbose,
                          seed=self.seed, loss_fn=self.loss_fn, select_size=self.select_size)
        self.labels_ = self.model.assign(x)
        return history

    def _probabilities(self, x):  # the kept sub-head's
        return self.model.cluster_probabilities(x)[:, self.model.best_subhead]


class DECClustering(_ModelClusterer):
    """DEC (Xie, Girshick and Farhadi, 2016), or IDEC (Guo et al., 2017) with ``idec=True``, from a pretrained
    ``autoencoder`` (left as it is: DEC trains copies). ``fit`` is :func:`unsuplab.dec.fit_dec`; an epoch is one
    refresh of the target ``P``; ``clustering`` a layer of your own instead of DEC's. After ``fit``: ``model``
    (the trained :class:`~unsuplab.dec.DEC`), ``initial_labels_`` (the clusters at step 0, k-means on the codes)
    and ``converged_`` (stopped by ``tol``)."""

    def __init__(self, autoencoder, n_clusters, idec=False, gamma=0.1, clustering=None, update_interval=140,
                 tol=0.001, optimizer=None, n_init=20, seed=0):
        self.autoencoder, self.n_clusters, self.idec, self.gamma = autoencoder, n_clusters, idec, gamma
        self.clustering, self.update_interval, self.tol = clustering, update_interval, tol
        self.optimizer, self.n_init, self.seed = optimizer, n_init, seed
        self.initial_labels_, self.converged_ = None, False

    def fit(self, x, steps=20000, batch_size=256, callbacks=None, time_limit=None, verbose=0, initial_labels=None,
            epochs=None):
        """``initial_labels``: start from the mean code of these clusters instead of k-means (e.g. the AE +
        k-means baseline's labels, so that DEC starts exactly there)."""
        from .dec import fit_dec

        self._no_budget("epochs", epochs, "DEC counts optimiser `steps` (P is refreshed every `update_interval`)")
        history = fit_dec(self.autoencoder, x, self.n_clusters, idec=self.idec, gamma=self.gamma,
                          update_interval=self.update_interval, tol=self.tol, steps=steps, batch_size=batch_size,
                          optimizer=self.optimizer, n_init=self.n_init, seed=self.seed, callbacks=callbacks,
                          time_limit=time_limit, verbose=verbose, initial_labels=initial_labels,
                          clustering=self.clustering)
        self.model, self.initial_labels_, self.converged_ = history.model, history.initial_labels, history.converged
        self.labels_ = self.model.assign(x)
        return history


class JULEClustering(Clusterer):
    """JULE (Yang, Parikh and Batra, 2016): ``fit`` is :func:`unsuplab.jule.fit_jule` (its defaults: the
    authors'; ``augment``, ``min_size_ratio`` and ``min_steps`` are ours); ``epochs`` are the CNN epochs per period (0:
    agglomeration of the pixels alone), raised where they would give fewer than ``min_steps`` batches a period
    (fit_jule's ``min_steps_per_period``). After ``fit``:
    ``model`` (the trained network, or None) and ``history`` (the steps, ``history.step_labels``...).
    JULE is transductive; ``predict`` gives a new image the cluster whose mean unit-norm feature is nearest."""

    def __init__(self, n_clusters, encoder=None, ks=20, kc=5, eta=0.9, margin=0.2, gamma=1.0, optimizer=None,
                 augment=False, min_size_ratio=MIN_SIZE_RATIO, seed=0):
        self.n_clusters, self.encoder, self.ks, self.kc, self.eta = n_clusters, encoder, ks, kc, eta
        self.margin, self.gamma, self.optimizer, self.augment, self.seed = margin, gamma, optimizer, augment, seed
        self.min_size_ratio = min_size_ratio
        self.model = self.history = self.centres = self._fitted_x = None

    def _features(self, x):
        from .jule import _check_x, _unit_rows

        x = _check_x(x)
        return _unit_rows(x if self.model is None else self.model.predict(x, batch_size=256, verbose=0))

    def fit(self, x, epochs=20, min_steps=0, batch_size=100, callbacks=None, time_limit=None, verbose=0):
        from .jule import fit_jule

        self.history = fit_jule(x, self.n_clusters, encoder=self.encoder, ks=self.ks, kc=self.kc, eta=self.eta,
                                epochs_per_period=epochs, min_steps_per_period=min_steps, batch_size=batch_size,
                                margin=self.margin, gamma=self.gamma, optimizer=self.optimizer, augment=self.augment,
                                min_size_ratio=self.min_size_ratio, seed=self.seed, callbacks=callbacks,
                                time_limit=time_limit, verbose=verbose)
        self.model, self.labels_ = self.history.model, self.history.labels
        self.centres, self._fitted_x = None, x
        return self.history

    def predict(self, x):
        self._fitted()
        if self.centres is None:  # the mean feature of each cluster of the fitted images, once
            features = self._features(self._fitted_x)
            self.centres = np.stack([features[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters)])
        features = self._features(x)
        distances = ((features[:, None, :] - self.centres[None]) ** 2).sum(-1)
        return distances.argmin(axis=1).astype("int64")
