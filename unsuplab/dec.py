"""Deep Embedded Clustering (DEC; Xie, Girshick and Farhadi, ICML 2016) and Improved DEC (IDEC; Guo et al., IJCAI 2017).

* :func:`soft_assignment`: Student's t kernel between codes and centroids, eq. 1 of DEC (``alpha = 1``);
* :func:`target_distribution`: the sharpened target ``P``, eq. 3 of DEC;
* :class:`ClusteringLayer`: eq. 1 with the centroids ``mu_j`` as the layer's weights;
* :class:`DEC`: encoder + clustering layer (+ decoder for IDEC; any layer that keeps its centres in a weight
  ``centroids``, e.g. a student's own); ``compute_loss`` is ``KL(P || Q)``
  (eq. 2), plus the reconstruction error for IDEC: ``L = L_r + gamma * KL`` (IDEC eq. 4 to 6);
* :func:`fit_dec`: k-means (``n_init = 20``) on the codes of a pretrained autoencoder places the
  centroids; then ``P`` is recomputed on all data every ``update_interval`` steps, and training stops
  when fewer than ``tol`` of the labels changed between two refreshes (DEC sec. 3.1.3).

* :func:`build_dec_autoencoder`: DEC's d-500-500-2000-10 autoencoder, initialised by the recipe of the common
  Keras port (``"sgd"``) or the library's defaults (``"adam"``); :func:`recipe_optimizer` pretrains it before
  :func:`fit_dec`.

The pretrained autoencoder is copied, never changed: DEC and IDEC can start from the same one.
"""

import math

import keras
import numpy as np
from keras import layers, ops
from sklearn.cluster import KMeans

from .serialization import SavedInParts
from .training import callback_list, history_of
from .validation import float_samples, number_at_least, positive_int

__all__ = ["soft_assignment", "target_distribution", "kl_divergence", "ClusteringLayer", "DEC",
           "build_dec_autoencoder", "recipe_optimizer", "build_dec", "fit_dec"]


# ----------------------------------------------------------------------------- the equations

def soft_assignment(z, centroids, alpha=1.0):
    """``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)``, normalised over ``j`` (DEC eq. 1).

    ``z``: codes (batch, d); ``centroids``: (k, d). Returns (batch, k); every row sums to 1.
    Computed in log space, ``q_i = softmax_j(-(alpha + 1) / 2 * log1p(||z_i - mu_j||^2 / alpha))``, so a large
    ``alpha`` or a code far from every centroid still gives finite probabilities (the kernel itself underflows
    to 0 / 0 there).
    """
    for value, name in ((z, "z"), (centroids, "centroids")):  # arrays given by hand (tensors: see DEC._batched)
        if isinstance(value, (np.ndarray, list, tuple)) and not np.all(np.isfinite(np.asarray(value, "float64"))):
            raise ValueError(f"`{name}` contains NaN or infinite values; soft assignments need finite codes and "
                             "centroids.")
    z, centroids = ops.convert_to_tensor(z), ops.convert_to_tensor(centroids)
    if len(z.shape) != 2 or len(centroids.shape) != 2 or z.shape[-1] != centroids.shape[-1]:
        raise ValueError(f"`z` (batch, d) and `centroids` (k, d) must be 2-D with the same d, got shapes "
                         f"{tuple(z.shape)} and {tuple(centroids.shape)}.")
    if isinstance(alpha, (int, float)) and not alpha > 0:
        raise ValueError(f"`alpha` (degrees of freedom of the Student's t kernel) must be > 0, got {alpha}.")
    squared = ops.sum(ops.square(ops.expand_dims(z, 1) - ops.expand_dims(centroids, 0)), axis=-1)
    log_kernel = -(alpha + 1.0) / 2.0 * ops.log1p(squared / alpha)
    return ops.softmax(log_kernel, axis=1)


def target_distribution(q):
    """``p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j')`` with ``f_j = sum_i q_ij`` (DEC eq. 3).

    ``q``: soft assignments (N, k) of the whole data set (``f_j`` is a sum over all of it).
    Squaring sharpens confident assignments; dividing by ``f_j`` keeps large clusters from
    swallowing the rest. Returns a tensor (N, k) whose rows sum to 1.
    """
    q = ops.convert_to_tensor(q)
    if len(q.shape) != 2:
        raise ValueError(f"`q` must have shape (samples, clusters), got shape {tuple(q.shape)}.")
    weight = ops.square(q) / ops.sum(q, axis=0, keepdims=True)
    return weight / ops.sum(weight, axis=1, keepdims=True)


# ``KL(p_i || q_i) = sum_j p_ij log(p_ij / q_ij)`` for each row (DEC eq. 2), both clipped to [epsilon, 1]: Keras' own
kl_divergence = keras.losses.kl_divergence


# ----------------------------------------------------------------------------- the layer and the model

@keras.saving.register_keras_serializable(package="unsuplab")
class ClusteringLayer(layers.Layer):
    """Codes (batch, d) -> soft assignments q (batch, n_clusters), DEC eq. 1; ``centroids`` (n_clusters, d)."""

    def __init__(self, n_clusters, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
        self.alpha = number_at_least(alpha, "alpha", 0.0)
        if self.alpha == 0:
            raise ValueError("`alpha` (degrees of freedom of the Student's t kernel) must be > 0, got 0.")

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"ClusteringLayer takes codes of shape (batch, features), got {tuple(input_shape)}.")
        self.centroids = self.add_weight(shape=(self.n_clusters, int(input_shape[-1])),
                                         initializer="glorot_uniform", name="centroids")

    def call(self, z):
        return soft_assignment(z, ops.cast(self.centroids, z.dtype), self.alpha)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_clusters)

    def set_centroids(self, centroids):
        """Overwrite the centroids with an array (n_clusters, d), e.g. k-means centres."""
        centroids = np.asarray(centroids, dtype="float32")
        want = tuple(self.centroids.shape)
        if centroids.shape != want:
            raise ValueError(f"`centroids` must have shape {want}, got {centroids.shape}.")
        if not np.all(np.isfinite(centroids)):
            raise ValueError("`centroids` contains NaN or infinite values.")
        self.centroids.assign(centroids)

    def get_config(self):
        return {**super().get_config(), "n_clusters": self.n_clusters, "alpha": self.alpha}


def _code_size(encoder):
    shape = encoder.outputs[0].shape
    if len(shape) != 2:
        raise ValueError(f"`encoder` must output flat codes (batch, features), got output shape {tuple(shape)}; "
                         "add a Flatten layer to the encoder.")
    return int(shape[-1])


@keras.saving.register_keras_serializable(package="unsuplab")
class DEC(SavedInParts, keras.Model):
    """``q = clustering(encoder(x))``; with a ``decoder`` (IDEC) training also reconstructs ``x``.

    Train with ``compile(optimizer)`` and ``fit(x, p)``, ``p`` the target distribution of the batch:
    the loss (``compute_loss``, any backend) is ``mean_i KL(p_i || q_i)``, and with a decoder
    ``mean squared error + gamma * KL``. Metrics ``kl`` and (IDEC) ``reconstruction`` report the two terms.
    The encoder (and decoder) always run in inference mode: a denoising encoder's corruption and any
    dropout are off while clustering, as in DEC's fine-tuning phase; their weights still train.
    :func:`fit_dec` does the whole procedure. ``model(x)`` and ``predict`` give ``q``; :meth:`assign` the labels.
    """

    def __init__(self, encoder, clustering, decoder=None, gamma=0.1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model):
            raise TypeError(f"`encoder` must be a keras.Model, got {type(encoder).__name__}.")
        if not isinstance(clustering, keras.layers.Layer):
            raise TypeError(f"`clustering` must be a Keras layer (a ClusteringLayer or your own), got "
                            f"{type(clustering).__name__}.")
        if decoder is not None and not isinstance(decoder, keras.Model):
            raise TypeError(f"`decoder` must be a keras.Model or None, got {type(decoder).__name__}.")
        self.encoder, self.clustering, self.decoder = encoder, clustering, decoder
        self.gamma = _check_gamma(gamma)
        code_size = _code_size(encoder)
        if not clustering.built:
            clustering.build((None, code_size))
        self.n_clusters = _centroids(clustering, code_size).shape[0]
        self.input_shape_ = tuple(encoder.inputs[0].shape[1:])
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction") if decoder is not None else None
        self._reconstruction = None

    @property
    def idec(self):
        """True when the decoder is kept (IDEC)."""
        return self.decoder is not None

    def build(self, input_shape):
        """The encoder, decoder and clustering layer are built in ``__init__``."""
        self.built = True

    def call(self, inputs, training=None):
        # The encoder and decoder run in inference mode: no corruption or dropout while clustering
        # (DEC fine-tunes the clean encoder), BatchNorm with its moving statistics; weights still train.
        z = self.encoder(inputs, training=False)
        if self.decoder is not None and training:
            # Read by compute_loss in the same step. Not add_loss: the `reconstruction` metric reports this term
            # alone, and a metric updated in call is lost on JAX (its stateless call threads metric variables
            # through compute_loss only); encoder penalties still arrive through add_loss.
            self._reconstruction = self.decoder(z, training=False)
        return self.clustering(z)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``mean KL(P || Q)`` (DEC); ``mean squared error + gamma * mean KL(P || Q)`` (IDEC)."""
        if y is None:
            raise ValueError("DEC trains on a target: call `fit(x, p)` with `p = target_distribution(q)` of the "
                             "whole data set, or let `unsuplab.dec.fit_dec(autoencoder, x, n_clusters)` do the "
                             "whole procedure; `fit(x)` alone has nothing to learn from.")
        n = ops.shape(y_pred)[0]
        kl = ops.mean(kl_divergence(ops.cast(y, y_pred.dtype), y_pred))
        self.kl_tracker.update_state(kl, sample_weight=n)
        loss = kl
        if self.decoder is not None:
            if self._reconstruction is None:
                raise ValueError("IDEC computes its loss in training only (call the model with training=True).")
            x_hat, self._reconstruction = self._reconstruction, None
            error = ops.mean(ops.square(ops.cast(x, x_hat.dtype) - x_hat))
            self.reconstruction_tracker.update_state(error, sample_weight=n)
            loss = error + ops.cast(self.gamma, kl.dtype) * kl
        if self.losses:  # penalties added by layers of the encoder (e.g. a sparsity layer)
            loss = loss + ops.cast(super().compute_loss(x, None, y_pred, sample_weight, training), loss.dtype)
        return loss

    # ------------------------------------------------------------------ clustering

    def check_inputs(self, x, name="x"):
        """``x`` as a float32 array of the encoder's input shape, finite, with at least one sample."""
        return _check_data(x, self.input_shape_, name)

    def predict(self, x, *args, **kwargs):
        """``keras.Model.predict`` (the soft assignments q) after checking in-memory arrays."""
        if isinstance(x, (np.ndarray, list, tuple)):
            x = self.check_inputs(x)
        return super().predict(x, *args, **kwargs)

    def _batched(self, fn, x, batch_size):
        x, size = self.check_inputs(x), positive_int(batch_size, "batch_size")
        out = np.concatenate([ops.convert_to_numpy(fn(x[i:i + size])) for i in range(0, len(x), size)])
        bad = ~np.all(np.isfinite(out), axis=1)
        if bad.any():  # finite inputs (checked): the encoder's weights or the centroids went NaN or infinite
            raise ValueError(f"the encoder gives NaN or infinite codes (or the centroids hold them) for {bad.sum()} "
                             f"of {len(out)} samples, the first sample {int(np.argmax(bad))}: training diverged; "
                             "lower the learning rate or start again from the pretrained autoencoder.")
        return out

    def cluster_probabilities(self, x, batch_size=1024):
        """The soft assignments q (N, n_clusters) as a NumPy array (direct calls in batches, no Keras loop)."""
        return self._batched(lambda batch: self(batch, training=False), x, batch_size)

    def assign(self, x, batch_size=1024):
        """The cluster of each sample, ``argmax_j q_ij`` (N,), int64."""
        return np.argmax(self.cluster_probabilities(x, batch_size), axis=1).astype("int64")

    def encode(self, x, batch_size=1024):
        """The codes z (N, d) as a NumPy array."""
        return self._batched(lambda batch: self.encoder(batch, training=False), x, batch_size)

    @property
    def centroids(self):
        """The cluster centres mu (n_clusters, d) as a NumPy array."""
        return ops.convert_to_numpy(self.clustering.centroids)

    _parts = ("encoder", "clustering", "decoder")  # saved in the config (SavedInParts)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}


# ----------------------------------------------------------------------------- checks

def _centroids(clustering, code_size):
    """The layer's trainable weight ``centroids`` (n_clusters, code_size), or an error that says what is missing."""
    weight = getattr(clustering, "centroids", None)
    if not any(weight is w for w in clustering.trainable_weights):
        raise ValueError(f"`clustering` ({type(clustering).__name__}) must keep its cluster centres in a trainable "
                         "weight `self.centroids = self.add_weight(shape=(n_clusters, d), ...)`, made in build(): "
                         "DEC trains them and fit_dec sets them from k-means.")
    if len(weight.shape) != 2 or weight.shape[-1] != code_size:
        raise ValueError(f"`clustering` has centroids of shape {tuple(weight.shape)}, the encoder's codes have "
                         f"{code_size} numbers: expected (n_clusters, {code_size}).")
    return weight


def _set_centroids(clustering, centroids):
    """``clustering.set_centroids`` when it has one (ClusteringLayer checks the array), else assign the weight."""
    if hasattr(clustering, "set_centroids"):
        clustering.set_centroids(centroids)
    else:
        clustering.centroids.assign(np.asarray(centroids, "float32"))


def _check_gamma(gamma):
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.integer, np.floating)):
        raise TypeError(f"`gamma` (weight of the clustering loss in IDEC) must be a number > 0, got {gamma!r}.")
    if not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"`gamma` (weight of the clustering loss in IDEC) must be a finite number > 0, "
                         f"got {gamma}.")
    return float(gamma)


def _check_data(x, input_shape, name="x"):
    return float_samples(x, name, input_shape, "the encoder")


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number in [0, 1), got {value!r}.")
    if not np.isfinite(value) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a fraction in [0, 1) (e.g. 0.001: stop when under 0.1% of the "
                         f"labels change), got {value}.")
    return float(value)


def _copy(model):
    """A new model with the same architecture and weights (the pretrained one stays as it is)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


# ----------------------------------------------------------------------------- training

def _optimizer(optimizer, idec):
    if optimizer is None:  # the published settings (module docstring)
        return keras.optimizers.Adam(1e-3) if idec else keras.optimizers.SGD(0.01, momentum=0.9)
    try:
        return keras.optimizers.get(optimizer)
    except (ValueError, TypeError):
        raise ValueError(f"`optimizer` must be a Keras optimizer or its name, got {optimizer!r}.") from None


RECIPES = ("sgd", "adam")


def build_dec_autoencoder(input_shape=(28, 28, 1), code_size=10, hidden=(500, 500, 2000), recipe="sgd", noise=0.0,
                          seed=0, name="dec_autoencoder"):
    """DEC's autoencoder, d-500-500-2000-10 (ReLU, linear code, mirrored decoder; Xie et al. 2016), not compiled.

    ``recipe`` says how it is initialised (and, with :func:`recipe_optimizer`, trained end to end):

    * ``"sgd"``: the common Keras port of DEC (XifengGuo/DEC-keras): kernels drawn from
      ``VarianceScaling(1/3, fan_in, uniform)`` (seeded by ``seed``), zero biases, linear output;
      trained with SGD, learning rate 1 and momentum 0.9;
    * ``"adam"``: the library's defaults: Glorot initialisation, sigmoid output; trained with Adam 1e-3.

    ``noise`` > 0 zeroes that fraction of the pixels in training (masking noise: a denoising autoencoder, as
    the input dropout of DEC's layer-wise pretraining). Train it with
    ``compile(optimizer=recipe_optimizer(recipe), loss="mse")`` and ``fit(x, x, batch_size=256, ...)``
    (or :class:`unsuplab.clustering.AutoencoderKMeans`); :func:`fit_dec` then starts from it.
    Returns an :class:`unsuplab.models.Autoencoder`.
    """
    from .models import build_dense_autoencoder

    _check_recipe(recipe)
    noise = number_at_least(noise, "noise", 0.0)
    if noise >= 1:
        raise ValueError(f"`noise` (the fraction of pixels zeroed in training) must be below 1, got {noise}.")
    sgd = recipe == "sgd"
    corruption = {"kind": "mask_pixels", "amount": noise} if noise else None
    autoencoder = build_dense_autoencoder(input_shape, code_size, hidden, code_activation="linear",
                                          output_activation="linear" if sgd else "sigmoid", name=name,
                                          corruption=corruption)
    if sgd:
        init = keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed)
        for layer in autoencoder.encoder.layers + autoencoder.decoder.layers:
            if isinstance(layer, layers.Dense):
                layer.kernel.assign(init(layer.kernel.shape))
                layer.bias.assign(np.zeros(layer.bias.shape, "float32"))
    return autoencoder


def _check_recipe(recipe):
    if recipe not in RECIPES:
        raise ValueError(f"`recipe` must be one of {RECIPES}, got {recipe!r}.")
    return recipe


def recipe_optimizer(recipe="sgd", learning_rate=None):
    """The optimiser that pretrains :func:`build_dec_autoencoder`'s autoencoder of ``recipe``: SGD with momentum
    0.9 and learning rate 1 (``"sgd"``, DEC-keras), or Adam 1e-3 (``"adam"``); ``learning_rate`` overrides it."""
    _check_recipe(recipe)
    if learning_rate is not None:
        learning_rate = number_at_least(learning_rate, "learning_rate", 0.0)
        if learning_rate == 0:
            raise ValueError("`learning_rate` must be > 0, got 0.")
    if recipe == "sgd":
        return keras.optimizers.SGD(learning_rate or 1.0, momentum=0.9)
    return keras.optimizers.Adam(learning_rate or 1e-3)


def build_dec(autoencoder, n_clusters, idec=False, gamma=0.1, alpha=1.0, name=None, clustering=None):
    """A :class:`DEC` model on copies of ``autoencoder.encoder`` (and ``.decoder`` when ``idec``); not trained.

    ``clustering``: the layer to use instead of a new ``ClusteringLayer(n_clusters, alpha)`` (e.g. your own, with
    a trainable weight ``centroids`` of shape (n_clusters, d)); it is used as given, not copied.
    """
    encoder = getattr(autoencoder, "encoder", None)
    if not isinstance(encoder, keras.Model):
        raise TypeError("`autoencoder` must have an `.encoder` keras.Model (an unsuplab.models builder's "
                        f"model), got {type(autoencoder).__name__}.")
    decoder = getattr(autoencoder, "decoder", None)
    if idec and not isinstance(decoder, keras.Model):
        raise TypeError("IDEC keeps the decoder: `autoencoder` must have a `.decoder` keras.Model.")
    _code_size(encoder)
    if clustering is None:
        clustering = ClusteringLayer(n_clusters, alpha, name="clustering")
    model = DEC(_copy(encoder), clustering, _copy(decoder) if idec else None, gamma,
                name=name or ("idec" if idec else "dec"))
    if model.n_clusters != n_clusters:
        raise ValueError(f"`clustering` has {model.n_clusters} centroids, but `n_clusters` is {n_clusters}.")
    return model


def fit_dec(autoencoder, x, n_clusters, idec=False, gamma=0.1, update_interval=140, tol=0.001, steps=20000,
            batch_size=256, optimizer=None, n_init=20, seed=0, callbacks=None, time_limit=None, verbose=0,
            initial_labels=None, clustering=None):
    """Cluster ``x`` with DEC (``idec=False``) or IDEC from a pretrained ``autoencoder``; return the
    ``keras.callbacks.History`` of the refreshes of ``P`` (``history.model``: the trained :class:`DEC`).

    1. copy the encoder (IDEC: and decoder); k-means (``n_init`` restarts) on the codes gives the centroids;
    2. every ``update_interval`` steps: ``q`` on all of ``x``, ``P = target_distribution(q)``, the labels
       ``argmax q``; stop when the fraction of changed labels is below ``tol`` (after step 0) or after ``steps``;
    3. between refreshes, one optimizer step per batch of ``batch_size`` samples (reshuffled every pass)
       on ``KL(P || Q)``; IDEC on ``reconstruction + gamma * KL``.

    ``optimizer`` None: SGD(0.01, momentum 0.9) for DEC, Adam(0.001) for IDEC (the authors' MNIST
    settings). An epoch is one refresh (the first at step 0, before any training): ``callbacks`` (Keras
    callbacks, ``self.model`` the DEC model) see it in ``on_epoch_end(epoch, logs)`` (e.g. to draw Q and P) with
    logs ``step``, ``label_change`` (fraction of labels changed since the previous refresh; at step 0 since
    k-means), ``loss``, ``kl`` and (IDEC) ``reconstruction`` (means over the steps since the previous refresh;
    NaN at step 0). ``time_limit`` (seconds, :class:`~unsuplab.training.TimeLimit`) stops after the batch that
    passes it, with a last refresh. ``history.initial_labels``: the clusters at step 0 (where DEC starts);
    ``history.converged``: stopped by ``tol``.
    ``initial_labels`` (one cluster per sample, e.g. the AE + k-means baseline's): start from the mean code of
    each of those clusters instead of running k-means, so that DEC's start is exactly that baseline.
    ``clustering``: a layer to train instead of a new :class:`ClusteringLayer` (codes -> q, its centres in a
    trainable weight ``centroids``), e.g. lesson 16's own; it is trained in place.
    """
    # every check before any copying or training
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
    gamma = _check_gamma(gamma)
    update_interval = positive_int(update_interval, "update_interval")
    tol = _check_fraction(tol, "tol")
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    n_init = positive_int(n_init, "n_init")
    optimizer = _optimizer(optimizer, idec)
    encoder = getattr(autoencoder, "encoder", None)
    if isinstance(encoder, keras.Model):
        x = _check_data(x, tuple(encoder.inputs[0].shape[1:]))
        if hasattr(autoencoder, "check_inputs"):  # the autoencoder's own check (e.g. pixels in [0, 1])
            x = autoencoder.check_inputs(x)
        if n_clusters > len(x):
            raise ValueError(f"`n_clusters` ({n_clusters}) must be at most the number of samples in `x` "
                             f"({len(x)}).")
        batch_size = min(batch_size, len(x))
    model = build_dec(autoencoder, n_clusters, idec=idec, gamma=gamma, clustering=clustering)  # checks them
    if initial_labels is not None:
        initial_labels = np.asarray(initial_labels)
        if (initial_labels.shape != (len(x),) or initial_labels.dtype.kind not in "iu"
                or set(np.unique(initial_labels)) != set(range(n_clusters))):
            raise ValueError(f"`initial_labels` must hold one integer cluster in 0..{n_clusters - 1} per sample of "
                             f"`x` ({len(x)}), each cluster used; got shape {initial_labels.shape}, dtype "
                             f"{initial_labels.dtype}.")
    listed, _ = callback_list(callbacks, model, time_limit, steps=steps)

    keras.utils.set_random_seed(seed)
    codes = model.encode(x).astype("float64")
    if initial_labels is None:
        kmeans = KMeans(n_clusters, n_init=n_init, random_state=seed).fit(codes)
        centroids, initial_labels = kmeans.cluster_centers_, kmeans.labels_
    else:
        centroids = np.stack([codes[initial_labels == j].mean(axis=0) for j in range(n_clusters)])
    _set_centroids(model.clustering, centroids)
    model.compile(optimizer=optimizer)

    history = history_of(listed)
    history.initial_labels, history.converged = None, False
    previous = np.asarray(initial_labels, "int64")
    rng = np.random.default_rng(seed)
    order, position = rng.permutation(len(x)), 0
    batch_logs = []
    listed.on_train_begin()
    for step in range(steps + 1):
        stop = step == steps or model.stop_training
        if step % update_interval == 0 or stop:
            q = model.cluster_probabilities(x)
            p = ops.convert_to_numpy(target_distribution(q)).astype("float32")
            labels = np.argmax(q, axis=1)
            if history.initial_labels is None:
                history.initial_labels = labels.astype("int64")
            logs = {"step": step, "label_change": float(np.mean(labels != previous))}
            for key in ("loss", "kl", "reconstruction") if idec else ("loss", "kl"):
                values = [log[key] for log in batch_logs if key in log]
                logs[key] = float(np.mean(values)) if values else math.nan
            previous, batch_logs = labels, []
            if verbose:
                print(f"step {step}: {logs['label_change']:.4f} of the labels changed, loss {logs['loss']:.5f}")
            listed.on_epoch_end(len(history.epoch), logs)
            if step > 0 and logs["label_change"] < tol:
                history.converged = True
                break
            if stop or model.stop_training:
                break
        if position + batch_size > len(x):
            order, position = rng.permutation(len(x)), 0
        batch = order[position:position + batch_size]
        position += batch_size
        batch_logs.append({k: float(v) for k, v in model.train_on_batch(x[batch], p[batch], return_dict=True).items()})
        listed.on_train_batch_end(step, batch_logs[-1])
    listed.on_train_end()
    return history
