"""JULE: joint unsupervised learning of deep representations and image clusters (Yang, Parikh and Batra, CVPR 2016).

Agglomerative clustering in the forward pass, a CNN trained on the current clusters in the backward pass,
alternated over "periods". Defaults follow the authors' Torch code (github.com/jwyang/JULE.torch, ``train.lua``):

* The forward pass, graph agglomeration in NumPy and SciPy (:mod:`unsuplab.agglomeration`):
  :func:`~unsuplab.agglomeration.knn_affinity` (the K_s-nearest-neighbour graph ``W``),
  :func:`~unsuplab.agglomeration.initial_clusters` (nearest-neighbour chains),
  :func:`~unsuplab.agglomeration.graph_degree_linkage` (the cluster affinity of Zhang et al., 2012) and
  :func:`~unsuplab.agglomeration.merge_clusters` (greedy merging with the K_c criterion, JULE eq. 6).
* :func:`triplet_loss`: the weighted triplet loss (JULE eq. 11), ``max(0, gamma ||a - p||^2 - ||a - n||^2 + m)``
  with ``gamma = 1``, ``m = 0.2`` (``criterions/TripletEmbedding.lua``), over the triplets of a batch built from
  the pseudo-labels.
* :func:`build_jule_cnn`: the authors' MNIST network (``models_def/MNIST-full.lua``): conv 5x5-50, BN, ReLU,
  max-pool 2; conv 5x5-50, BN, ReLU; dense 160; L2 normalisation. Weights drawn from N(0, 0.01), biases 0.
* :func:`fit_jule`: period 0 clusters the raw pixels (L2-normalised) into the initial clusters; each later
  period trains the CNN ``epochs_per_period = 20`` epochs on the current clusters (SGD lr 0.01 with the "inv"
  policy ``lr (1 + 1e-4 t)^-0.75``, momentum 0.9, weight decay 5e-5, batches of 100), re-extracts the
  (L2-normalised) features, rebuilds ``W`` and merges ``ceil(eta * clusters)`` times (``eta = 0.9``, the
  unfolding rate; never below ``n_clusters``). Once ``n_clusters`` is reached, a final pass starts again from
  the initial clusters of the final features and merges down to ``n_clusters`` (JULE's last step,
  ``merge_label_final``).

Simplifications and departures from the authors' code (each a deliberate choice):

* Triplets: every triplet of a batch (batch-all: each ordered positive pair with every negative in the batch),
  averaged over the valid triplets; the authors take each unordered positive pair with 20 random negatives.
  Batch-all has no sampling noise and runs in ``keras.ops``; it weights a positive pair by its number of
  negatives in the batch, where the authors weight every pair alike (nearly the same while clusters are small
  against the batch).
* Cluster affinities are updated exactly after each merge of ``b`` into ``a``: the new column is the sum of the
  two columns, the new row the sum of the two rows plus the cross terms ``in_a out_b + in_b out_a`` computed from
  ``W`` around the smaller cluster (so a merge costs in proportion to the smaller cluster). The authors' regular
  mode recomputes the row (exact too); their default "fast" mode adds the rows and drops the cross terms.
  Cluster affinities live in sparse per-cluster dictionaries, never a dense clusters x clusters matrix.
* The K_c criterion ranks, for each cluster, all its neighbours; the Torch code keeps only the upper triangle of
  the affinity matrix and so ranks, for cluster ``j``, only clusters with a smaller index.
* The nearest-neighbour chains are not cut after 50 steps (the Torch code starts a new cluster there); MNIST's
  chains are far shorter.
* Isolated clusters (no positive affinity to any other) merge first with their nearest cluster by mean feature
  while more than 20 times the target number of clusters remain, as the authors'; where no pair of clusters has
  a positive affinity left (a kNN graph in several pieces), the smallest cluster merges with its nearest by mean
  feature (ours).
* No tiny final cluster (ours; issue 29): graph degree linkage has no size prior, and outliers far from every
  cluster (affinities near 0, e.g. 1e-5 against 1e-3 for the last merges of whole classes, not exactly 0) stay
  clusters of their own to the end: on 10,000 held-out MNIST digits the final pass left five clusters of two
  images. When the final pass would leave clusters under a tenth of the mean size (``min_size_ratio``, passed
  as ``min_size`` to :func:`~unsuplab.agglomeration.merge_clusters`), its merges are redone and the last ones,
  as many as the small clusters at that point, each join the smallest cluster to its most affine neighbour. The
  periods merge as the authors do (``min_size=0``): their clusters are only the CNN's next targets.
* Options, off by default (ours): ``augment=True`` trains the CNN on randomly turned and shifted images
  (:func:`augmentation`), ``min_size_ratio`` raises the smallest final cluster, and ``min_steps_per_period``
  gives a small data set as many CNN batches a period as a large one; on handwritten digits the three together
  make the low runs rare (fit_jule's docstring).
* Features are always scaled to unit L2 norm (the authors' ``renorm`` caps the norm at 1, which for MNIST pixels
  and the normalised CNN output is the same thing). They are extracted in inference mode (BatchNorm with its
  moving averages; the Torch code extracts in whatever mode the net was left, i.e. training mode).
* BatchNorm momentum 0.9 (Torch's 0.1); Keras' weight decay (``w -= lr * wd * w`` each step) stands for Torch's
  L2 term added to the gradient before momentum.
* ``time_limit`` (ours): stop training when the time is up and go straight to the final pass.

A user encoder (any Keras model with flat outputs, e.g. a Dense network for feature vectors) may replace the CNN:
it is copied (the original is left as it is) and followed by an L2 normalisation.
"""

import math
import time

import keras
import numpy as np
from keras import layers, ops

from .agglomeration import (  # noqa: F401  (_Merger: reached as jule._Merger by tests/test_jule.py)
    MIN_SIZE_RATIO,
    _Merger,
    graph_degree_linkage,
    initial_clusters,
    knn_affinity,
    merge_clusters,
)
from .training import callback_list, history_of
from .validation import flag, float_samples, number_at_least, positive_int

__all__ = ["triplet_loss", "TripletLoss", "InverseDecay", "build_jule_cnn", "augmentation", "fit_jule"]


# ----------------------------------------------------------------------------- the loss and the network

def triplet_loss(embeddings, labels, margin=0.2, gamma=1.0):
    """Weighted triplet loss over every triplet of the batch (JULE eq. 11), a scalar.

    Mean of ``max(0, gamma D_ij - D_ik + margin)`` over the triplets ``(i, j, k)`` with ``i != j`` of the same
    label and ``k`` of another, ``D`` the squared Euclidean distances between ``embeddings`` (batch, d).
    0 when the batch holds no such triplet.
    """
    embeddings = ops.convert_to_tensor(embeddings)
    if len(embeddings.shape) != 2:
        raise ValueError(f"`embeddings` must have shape (batch, features), got shape {tuple(embeddings.shape)}.")
    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
    squares = ops.sum(ops.square(embeddings), axis=1)
    distances = ops.maximum(squares[:, None] + squares[None, :] - 2.0 * ops.matmul(embeddings, ops.transpose(
        embeddings)), 0.0)
    same = ops.equal(labels[:, None], labels[None, :])
    positive = ops.logical_and(same, ops.logical_not(ops.cast(ops.eye(ops.shape(labels)[0]), "bool")))
    valid = ops.cast(ops.logical_and(positive[:, :, None], ops.logical_not(same)[:, None, :]), embeddings.dtype)
    hinge = ops.relu(gamma * distances[:, :, None] - distances[:, None, :] + margin)
    return ops.sum(hinge * valid) / ops.maximum(ops.sum(valid), 1.0)


@keras.saving.register_keras_serializable(package="unsuplab")
class TripletLoss(keras.losses.Loss):
    """:func:`triplet_loss` as a Keras loss: ``y_true`` the pseudo-labels (batch,), ``y_pred`` the embeddings."""

    def __init__(self, margin=0.2, gamma=1.0, name="triplet", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin = number_at_least(margin, "margin", 0.0)
        self.gamma = number_at_least(gamma, "gamma", 0.0)
        if self.gamma == 0:
            raise ValueError("`gamma` (weight of the positive distance) must be > 0, got 0.")

    def call(self, y_true, y_pred):
        return triplet_loss(y_pred, y_true, self.margin, self.gamma)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "gamma": self.gamma}


@keras.saving.register_keras_serializable(package="unsuplab")
class InverseDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Caffe's "inv" policy used by JULE: ``lr_t = lr (1 + decay t)^(-power)``, ``t`` the step."""

    def __init__(self, learning_rate=0.01, decay=1e-4, power=0.75):
        self.learning_rate = number_at_least(learning_rate, "learning_rate", 0.0)
        self.decay = number_at_least(decay, "decay", 0.0)
        self.power = number_at_least(power, "power", 0.0)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        return self.learning_rate * ops.power(1.0 + self.decay * step, -self.power)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "decay": self.decay, "power": self.power}


def build_jule_cnn(input_shape=(28, 28, 1), code_size=160, name="jule_cnn"):
    """The authors' MNIST CNN: [conv 5x5-50, BN, ReLU, max-pool 2], [conv 5x5-50, BN, ReLU], dense, L2-normalise.

    Weights from N(0, 0.01) and zero biases (``NetInit`` of ``train.lua``); BatchNorm momentum 0.9 (Torch's 0.1).
    Images of at least 14 x 14 pixels.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[:2]) < 14:
        raise ValueError(f"`input_shape` must be (height, width, channels) with sides of at least 14, "
                         f"got {input_shape}.")
    code_size = positive_int(code_size, "code_size")
    init = {"kernel_initializer": keras.initializers.RandomNormal(0.0, 0.01), "bias_initializer": "zeros"}
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(50, 5, **init), layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
        layers.MaxPooling2D(2, padding="same"),  # Torch's ceil mode
        layers.Conv2D(50, 5, **init), layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
        layers.Flatten(), layers.Dense(code_size, **init), layers.UnitNormalization(),
    ], name=name)


def _embedding_network(encoder, input_shape):
    """A copy of ``encoder`` followed by an L2 normalisation (the original is left as it is)."""
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"`encoder` must be a keras.Model or None, got {type(encoder).__name__}.")
    try:
        want = tuple(encoder.inputs[0].shape[1:])
        output = encoder.outputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        raise ValueError("`encoder` must be a built functional or Sequential model (with an Input).") from None
    if len(output) != 2:
        raise ValueError(f"`encoder` must output flat features (batch, features), got output shape "
                         f"{tuple(output)}; add a Flatten layer.")
    if want != tuple(input_shape):
        raise ValueError(f"`x` has samples of shape {tuple(input_shape)} but `encoder` takes {want}.")
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    inputs = keras.Input(want)
    return keras.Model(inputs, layers.UnitNormalization()(copy(inputs)), name="jule_embedding")


# ----------------------------------------------------------------------------- training

def _unit_rows(features):
    features = features.reshape(len(features), -1).astype("float64")
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def _check_x(x):
    return float_samples(x, "x")


def augmentation(seed=None, rotation=0.04, shift=0.08):
    """``fit_jule(augment=True)``'s training-time augmentation (ours; the authors train on the images as they are):
    a random rotation of up to ``rotation`` of a turn (0.04: 14 degrees) and a random shift of up to ``shift`` of
    the side (0.08: 2 pixels of 28), the gaps filled with 0. Active only in training: features are extracted from
    the images as they are."""
    return keras.Sequential([layers.RandomRotation(rotation, fill_mode="constant", seed=seed),
                             layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed)],
                            name="augmentation")


def fit_jule(x, n_clusters, encoder=None, ks=20, kc=5, eta=0.9, epochs_per_period=20, min_steps_per_period=0,
             batch_size=100, margin=0.2, gamma=1.0, optimizer=None, augment=False, min_size_ratio=MIN_SIZE_RATIO,
             seed=0, callbacks=None, time_limit=None, verbose=0):
    """Cluster ``x`` with JULE (recurrent, partially unrolled); return a ``keras.callbacks.History`` of its steps.

    ``x``: images (N, H, W, C) for the default CNN (:func:`build_jule_cnn`), or whatever ``encoder`` takes.
    ``ks``, ``kc``, ``eta``: the sample neighbours, the K_c criterion and the unfolding rate (module docstring).
    Each period trains ``epochs_per_period`` epochs on the current clusters (``0``: no network, agglomerative
    clustering of the pixels only), then merges ``ceil(eta * clusters)`` times, never below ``n_clusters``.
    ``min_steps_per_period`` (ours; 0: off): whole epochs more where ``epochs_per_period`` would give the CNN
    fewer batches a period than that, so a small data set trains as much as a large one.
    ``optimizer`` None: SGD(0.01, "inv" policy, momentum 0.9, weight decay 5e-5). ``augment=True`` trains the CNN
    on randomly turned and shifted images (:func:`augmentation`; images only; off in the authors' code): with 3
    CNN epochs a period, on all 5,000 mnist_small digits ACC 0.920 against 0.901 (6 seeds; 4 of them 0.95-0.96),
    but 0.807 on 2,000 of them, each run with a cluster of 23-29 digits, and level on 5,000 Fashion-MNIST images
    (0.600; benchmarks/results/clustering_*_augment_cpu.md). ``min_size_ratio``: the final pass leaves no cluster
    under this fraction of the mean cluster size (0.1, ours; 0: the authors' final pass; module docstring).
    Together, ``augment=True, min_size_ratio=1/3`` gave 0.974 on mnist_small, 0.966 on 2,000 of its digits and
    0.904 on the 8x8 digits with the authors' 20 epochs (6 seeds each); with 3 epochs 0.951 and 0.940, and on
    2,000 digits, where 3 epochs are 60 batches, 0.949 with ``min_steps_per_period=150`` (3 epochs on 5,000)
    against 0.811 without (docs/measurements.md). ``time_limit`` (seconds): stop training when the time is up (the
    final pass still runs).

    An epoch of the history is one clustering step: "initial" (chains on the pixels), each period ("merge") and
    "final"; ``callbacks`` (Keras callbacks, ``self.model`` the network) see each in ``on_epoch_end(epoch,
    logs)``. ``history.history`` keys, one value per step: ``stage``, ``clusters`` after it, ``merges``,
    ``epochs`` of CNN training before it and ``loss`` their mean triplet loss (NaN without training), ``seconds``
    since the start. Also ``history.labels`` (N,) int64 in 0..n_clusters-1, the clusters; ``history.step_labels``
    the clusters after each step; ``history.epoch_losses`` the loss of every CNN epoch; ``history.stopped_by_time``;
    ``history.model`` the trained network (inputs -> unit-norm features; None when ``epochs_per_period`` is 0).
    """
    # every check before any training
    x = _check_x(x)
    n_clusters = positive_int(n_clusters, "n_clusters")
    if n_clusters >= len(x):
        raise ValueError(f"`n_clusters` ({n_clusters}) must be smaller than the number of samples in `x` "
                         f"({len(x)}).")
    ks = positive_int(ks, "ks")
    if ks >= len(x):
        raise ValueError(f"`ks` ({ks}) must be smaller than the number of samples in `x` ({len(x)}).")
    kc = positive_int(kc, "kc")
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)):
        raise TypeError(f"`eta` (the unfolding rate) must be a number in (0, 1], got {eta!r}.")
    if not 0 < eta <= 1:
        raise ValueError(f"`eta` (the unfolding rate: merges per period / clusters) must be in (0, 1], got {eta}.")
    epochs_per_period = positive_int(epochs_per_period, "epochs_per_period", minimum=0)
    min_steps_per_period = positive_int(min_steps_per_period, "min_steps_per_period", minimum=0)
    min_size_ratio = number_at_least(min_size_ratio, "min_size_ratio", 0.0, maximum=1.0,
                                     why=" (the smallest final cluster over the mean cluster size)")
    if flag(augment, "augment") and x.ndim != 4:
        raise ValueError(f"`augment=True` turns and shifts images (samples, height, width, channels); `x` has shape "
                         f"{x.shape}.")
    batch_size = min(positive_int(batch_size, "batch_size", minimum=2), len(x))
    if epochs_per_period:  # at least min_steps_per_period batches, in whole epochs
        epochs_per_period = max(epochs_per_period, math.ceil(min_steps_per_period / math.ceil(len(x) / batch_size)))
    loss = TripletLoss(margin, gamma)
    seed = positive_int(seed, "seed", minimum=0)
    if optimizer is None:
        optimizer = keras.optimizers.SGD(InverseDecay(0.01, 1e-4, 0.75), momentum=0.9, weight_decay=5e-5)
    else:
        try:
            optimizer = keras.optimizers.get(optimizer)
        except (ValueError, TypeError):
            raise ValueError(f"`optimizer` must be a Keras optimizer or its name, got {optimizer!r}.") from None
    keras.utils.set_random_seed(seed)
    if epochs_per_period:
        if encoder is None:
            if x.ndim != 4:
                raise ValueError(f"`x` must be images (samples, height, width, channels) for the default CNN, "
                                 f"got shape {x.shape}; pass an `encoder` for other data.")
            network = build_jule_cnn(x.shape[1:])
        else:
            network = _embedding_network(encoder, x.shape[1:])
        inputs = keras.Input(x.shape[1:])
        seen = augmentation(seed)(inputs) if augment else inputs
        trainer = keras.Model(inputs, network(seen))  # compiled for training; `network` is saved uncompiled
        trainer.compile(optimizer=optimizer, loss=loss)
    else:
        network = None
    listed, limit = callback_list(callbacks, network, time_limit)
    history = history_of(listed)
    history.step_labels, history.epoch_losses, history.stopped_by_time = [], [], False

    start = time.monotonic()
    listed.on_train_begin()

    def add(stage, labels, merges, losses):
        history.step_labels.append(labels.copy())
        logs = {"stage": stage, "clusters": int(labels.max()) + 1, "merges": int(merges), "epochs": len(losses),
                "loss": float(np.mean(losses)) if losses else math.nan, "seconds": time.monotonic() - start}
        listed.on_epoch_end(len(history.epoch), logs)

    def say(text):
        if verbose:
            print(f"[{time.monotonic() - start:6.0f} s] {text}")

    def features():  # the pixels until the network has trained
        if network is None or not history.epoch_losses:
            return _unit_rows(x)
        return _unit_rows(network.predict(x, batch_size=256, verbose=0))

    labels = initial_clusters(knn_affinity(features(), ks))
    count = int(labels.max()) + 1
    if count < n_clusters:
        raise ValueError(f"the nearest-neighbour chains give {count} clusters, fewer than `n_clusters` "
                         f"({n_clusters}); JULE only merges: ask for fewer clusters or give more samples.")
    add("initial", labels, 0, [])
    say(f"initial clusters: {count}")
    losses = []

    def stopped():  # the time limit, or a callback's stop_training (even at the initial step): to the final pass
        if limit.hit or network.stop_training:
            history.stopped_by_time = limit.hit
            say("time is up: final pass" if limit.hit else "stopped by a callback: final pass")
        return limit.hit or network.stop_training

    while epochs_per_period and count > n_clusters and not stopped():
        fitted = trainer.fit(x, labels, batch_size=batch_size, epochs=epochs_per_period, shuffle=True,
                             verbose=0, callbacks=[limit])
        losses = [float(v) for v in fitted.history.get("loss", [])]
        history.epoch_losses.extend(losses)  # (an epoch cut short by the time limit counts as one)
        if stopped():
            break
        current = features()
        merges = min(math.ceil(eta * count), count - n_clusters)
        labels, _ = merge_clusters(knn_affinity(current, ks), labels, merges, kc, current, min_size=0)  # authors'
        count = int(labels.max()) + 1
        add("merge", labels, merges, losses)
        losses = []
        say(f"period {len(history.epoch) - 1}: loss {history.history['loss'][-1]:.4f}, {merges} merges -> "
            f"{count} clusters")

    # final pass (merge_label_final): chains on the final features, merged down to n_clusters
    current = features()
    graph = knn_affinity(current, ks)
    start_labels = initial_clusters(graph)
    if int(start_labels.max()) + 1 < n_clusters:  # too few chains: merge the recurrent clusters instead
        start_labels = labels
    merges = int(start_labels.max()) + 1 - n_clusters
    labels, _ = merge_clusters(graph, start_labels, merges, kc, current,
                               min_size=min_size_ratio * len(x) / n_clusters)  # no cluster under that share of the mean
    add("final", labels, merges, losses)  # losses: a period cut short by time_limit
    listed.on_train_end()
    history.labels = labels
    say(f"final: {merges + n_clusters} chains -> {n_clusters} clusters")
    return history
