"""The IIC network (Ji et al., 2019, sec. 3.2-3.3 and 4.1): a small VGG-like trunk and softmax heads.

* trunk: blocks of conv (no bias) -> BatchNorm with batch statistics -> ReLU, 2x2 max-pool
  after every block but the last (the authors' MNIST net is 64-128-256-512 with 5x5 kernels);
* main head: ``n_subheads`` softmax sub-heads with ``k = n_clusters`` outputs each;
* overclustering head: the same with ``k = n_overclusters`` (3-5x more), trained in alternation;
* every sub-head is its own slice of one Dense layer, so each has its own initialisation.

BatchNorm: like the reference, normalisation always uses the statistics of the batch
in hand, also when predicting (running averages after few steps give one cluster), so
predict in batches of a few hundred images (``IICClusterer.cluster_probabilities`` does).
"""

import keras
import numpy as np
from keras import layers, ops

from ..serialization import parts_config, parts_from_config
from ..validation import as_images, number_at_least, positive_int
from .loss import iic_loss, joint_distribution
from .transforms import PairViews


@keras.saving.register_keras_serializable(package="unsuplab")
class BatchStatNormalization(layers.Layer):
    """BatchNorm that always normalises with the current batch's mean and variance (Ioffe and Szegedy, 2015)."""

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(shape=(c,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(c,), initializer="zeros", name="beta")

    def call(self, x):
        axes = list(range(len(x.shape) - 1))
        mean, var = ops.moments(x, axes=axes, keepdims=True)
        return (x - mean) * ops.rsqrt(var + self.epsilon) * self.gamma + self.beta

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def build_trunk(input_shape, filters=(32, 64, 128), kernel_size=3, name="trunk"):
    """VGG-like feature extractor: conv-BN-ReLU blocks, max-pool after all but the last, flattened."""
    x = keras.Input(input_shape, name="view")
    h = x
    for i, c in enumerate(filters):
        h = layers.Conv2D(positive_int(c, "filters"), kernel_size, padding="same", use_bias=False,
                          name=f"conv_{i}")(h)
        h = BatchStatNormalization(name=f"bn_{i}")(h)
        h = layers.ReLU(name=f"relu_{i}")(h)
        if i < len(filters) - 1:
            h = layers.MaxPooling2D(2, name=f"pool_{i}")(h)
    return keras.Model(x, layers.Flatten(name="features")(h), name=name)


def build_head(n_features, k, n_subheads, name):
    """``n_subheads`` independent softmax classifiers with ``k`` outputs: (batch, n_subheads, k)."""
    f = keras.Input((n_features,), name=f"{name}_in")
    logits = layers.Dense(n_subheads * k, name=f"{name}_logits")(f)
    probs = layers.Softmax(axis=-1, name=f"{name}_softmax")(layers.Reshape((n_subheads, k))(logits))
    return keras.Model(f, probs, name=name)


def subhead_losses(y_pred, n_images, repeats, marginal_weight=1.0, loss_fn=iic_loss):
    """IIC loss of each sub-head from stacked outputs ``[Phi(x) (n); Phi(g(x)) (repeats * n)]``, shape (h,).

    ``loss_fn(p, q, marginal_weight=...)`` is the objective (default :func:`~unsuplab.iic.loss.iic_loss`)."""
    p = ops.tile(y_pred[:n_images], (repeats, 1, 1))
    q = y_pred[n_images:]
    return ops.stack([ops.convert_to_tensor(loss_fn(p[:, j], q[:, j], marginal_weight=marginal_weight))
                      for j in range(y_pred.shape[1])])


@keras.saving.register_keras_serializable(package="unsuplab")
class IICTrainer(keras.Model):
    """Trains the shared trunk and one head on pairs ``(x, g(x))``: the loss is the sum over
    sub-heads of ``-I(z, z')`` (eq. 1-3), computed in ``compute_loss`` (backend-agnostic);
    ``marginal_weight`` as in :func:`~unsuplab.iic.loss.iic_loss`. ``loss_fn`` replaces the
    objective (same signature as ``iic_loss``; lesson 15 trains the student's); it is not saved."""

    def __init__(self, trunk, head, views, marginal_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.trunk, self.head, self.views = trunk, head, views
        self.marginal_weight = float(marginal_weight)
        self.loss_fn = iic_loss
        self.n_subheads = head.output.shape[1]
        self.subhead_trackers = [keras.metrics.Mean(name=f"loss_{j}") for j in range(self.n_subheads)]

    def head_losses(self, x, y_pred):
        """IIC loss of each sub-head (h,) for the images ``x`` and this trainer's outputs ``y_pred``
        (subclasses with another objective, e.g. per-pixel segmentation, override this)."""
        return subhead_losses(y_pred, ops.shape(x)[0], self.views.repeats, self.marginal_weight, self.loss_fn)

    def build(self, input_shape):
        """The trunk and head are functional models (built); only the view maker needs the image shape."""
        if not self.views.built:
            self.views.build(input_shape)
        self.built = True

    def call(self, images, training=None):
        x, gx = self.views(images, training=training)
        return self.head(self.trunk(ops.concatenate([x, gx], axis=0), training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        n = ops.shape(x)[0]
        losses = self.head_losses(x, y_pred)
        for tracker, value in zip(self.subhead_trackers, ops.unstack(losses)):
            tracker.update_state(value, sample_weight=n)  # weighted by batch size, like Keras' loss tracker
        return ops.sum(losses)

    def get_config(self):
        return {**super().get_config(), **parts_config(self, ("trunk", "head", "views")),
                "marginal_weight": self.marginal_weight}

    @classmethod
    def from_config(cls, config):
        parts, rest = parts_from_config(config, ("trunk", "head", "views"))
        return cls(**parts, **rest)


class _Untracked:
    """A plain holder Keras does not track (the trainers share, not own, the clusterer's layers)."""

    def __init__(self):
        self.items = {}


@keras.saving.register_keras_serializable(package="unsuplab")
class IICClusterer(keras.Model):
    """Trunk + main head (+ overclustering head) + view maker. ``model(x)`` gives the main head's
    cluster probabilities on the centre view, (batch, n_subheads, n_clusters). ``marginal_weight``
    goes to the loss of both heads (see :func:`~unsuplab.iic.loss.iic_loss`)."""

    per_pixel = False  # True when every pixel is a sample (then a batch may hold fewer images than clusters)

    def __init__(self, trunk, main_head, views, over_head=None, marginal_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.trunk, self.main_head, self.views, self.over_head = trunk, main_head, views, over_head
        self.marginal_weight = number_at_least(marginal_weight, "marginal_weight", 1.0)  # 1: the paper
        self.n_subheads, self.n_clusters = main_head.output.shape[1], main_head.output.shape[-1]
        self.n_overclusters = None if over_head is None else over_head.output.shape[-1]
        self.input_side = trunk.input.shape[1]
        self.image_shape = None  # (height, width, channels) of the images, set by build
        self.best_subhead = 0
        self.selection_losses = None  # (n_subheads,) IIC loss of each main sub-head on fresh pairs, set by fit_iic
        self._trainers = _Untracked()  # built lazily; not part of this model's saved state

    def build(self, input_shape):
        """The trunk and heads are functional models (built); only the view maker needs the image shape."""
        self.image_shape = tuple(int(d) for d in input_shape[1:])
        if not self.views.built:
            self.views.build(input_shape)
        self.built = True

    def call(self, images, training=None):
        return self.main_head(self.trunk(self.views.evaluation_view(images), training=training), training=training)

    def fit(self, *args, **kwargs):
        """Not how IIC trains: raises, naming :func:`~unsuplab.iic.train.fit_iic`.

        The clusterer has no loss of its own: each head trains on pairs of views through its own trainer, in
        the schedule main, main, over. A plain ``fit`` would train nothing (loss 0 on JAX, "No loss to compute"
        on TensorFlow), so it refuses and says what to call instead.
        """
        raise TypeError(f"{type(self).__name__} does not train with `model.fit`: call "
                        "`unsuplab.iic.fit_iic(model, x, epochs=10, batch_size=140)` (from unsuplab.iic import "
                        "fit_iic), which trains the main and overclustering heads in alternation on pairs of views "
                        "and returns its keras.callbacks.History; or "
                        "unsuplab.clustering.IICClustering(model).fit(x), the clustering methods' common shape.")

    train_on_batch = fit

    def head(self, which):
        if which == "main":
            return self.main_head
        if which == "over" and self.over_head is not None:
            return self.over_head
        raise ValueError(f"`head` must be 'main'{' or ' + repr('over') if self.over_head is not None else ''}, "
                         f"got {which!r}.")

    def trainer(self, which):
        """The :class:`IICTrainer` of head ``which`` ('main' or 'over'); it shares this model's layers."""
        store = self._trainers.items
        if which not in store:
            store[which] = IICTrainer(self.trunk, self.head(which), self.views, self.marginal_weight,
                                      name=f"iic_{which}")
        return store[which]

    def check_images(self, x, name="x"):
        x = as_images(x, name)
        if x.shape[-1] != self.trunk.input.shape[-1] and not self.views.use_sobel:
            raise ValueError(f"`{name}` must have {self.trunk.input.shape[-1]} channels, got shape {x.shape}.")
        if min(x.shape[1:3]) < self.views.out_size:
            raise ValueError(f"`{name}` images must be at least {self.views.out_size} pixels on a side, "
                             f"got shape {x.shape}.")
        if self.image_shape is not None and tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"`{name}` images must have the shape the model was built for, {self.image_shape} "
                             f"(the crops are fractions of the side), got {tuple(x.shape[1:])}; build a new "
                             "model with `build_iic(input_shape=...)` for another size.")
        return x

    def check_training_images(self, x, name="x"):
        """The images ``fit_iic`` trains on: :meth:`check_images` (the per-pixel model also checks its crop)."""
        return self.check_images(x, name)

    def check_subhead(self, subhead):
        """``subhead`` as an int in [0, n_subheads), or ``best_subhead`` when None."""
        if subhead is None:
            return self.best_subhead
        if isinstance(subhead, bool) or not isinstance(subhead, (int, np.integer)) or \
                not 0 <= subhead < self.n_subheads:
            raise ValueError(f"`subhead` must be an integer in [0, {self.n_subheads}) (this model has "
                             f"{self.n_subheads} sub-heads) or None for the best one, got {subhead!r}.")
        return int(subhead)

    def on_centre_views(self, network, x, batch_size):
        """``network`` applied to the centre views of ``x`` in near-equal batches (batch-statistics BN)."""
        x = self.check_images(x)
        n = len(x)
        batches = max(1, -(-n // positive_int(batch_size, "batch_size")))
        size = -(-n // batches)
        return np.concatenate([ops.convert_to_numpy(network(self.views.evaluation_view(x[i:i + size])))
                               for i in range(0, n, size)])

    def features(self, x, batch_size=1000):
        """The trunk's features (N, n_features) of the centre views: the representation a probe reads."""
        return self.on_centre_views(self.trunk, x, batch_size)

    def cluster_probabilities(self, x, head="main", batch_size=1000):
        """Probabilities (N, n_subheads, k) on the centre view."""
        net = self.head(head)
        return self.on_centre_views(lambda views: net(self.trunk(views)), x, batch_size)

    def assign(self, x, head="main", subhead=None, batch_size=1000):
        """Hard cluster of each image from one sub-head (default: the lowest-loss one found by ``fit_iic``)."""
        j = self.check_subhead(subhead)
        probs = self.cluster_probabilities(x, head, batch_size)
        return probs[:, j].argmax(-1)

    def joint_matrix(self, x, head="main", subhead=None):
        """The symmetric joint ``P`` (k, k) of one sub-head on one fresh batch of random pairs made from ``x``
        (all of ``x`` is one batch: the batch-statistics normalisation sees exactly these images)."""
        x = self.check_images(x)
        j = self.check_subhead(subhead)
        y_pred = self.trainer(head)(x, training=True)  # training: random pairs, not the centre view
        p = ops.tile(y_pred[: len(x)], (self.views.repeats, 1, 1))
        return ops.convert_to_numpy(joint_distribution(p[:, j], y_pred[len(x):, j]))

    def pair_losses(self, x, head="main", batch_size=700):
        """Mean IIC loss of each sub-head on fresh random pairs made from ``x`` (no labels): shape (n_subheads,)."""
        x = self.check_images(x)
        trainer = self.trainer(head)
        size = positive_int(batch_size, "batch_size")
        totals = []
        for i in range(0, len(x), size):
            chunk = x[i:i + size]
            if len(chunk) < max(2 * self.head(head).output.shape[-1], 32) and totals and not self.per_pixel:
                break
            totals.append(ops.convert_to_numpy(trainer.head_losses(chunk, trainer(chunk, training=True))))
        return np.mean(totals, axis=0)

    _parts = ("trunk", "main_head", "views", "over_head")

    def get_config(self):
        return {**super().get_config(), **parts_config(self, self._parts), "best_subhead": int(self.best_subhead),
                "marginal_weight": self.marginal_weight}

    @classmethod
    def from_config(cls, config):
        parts, rest = parts_from_config(config, cls._parts)
        best = rest.pop("best_subhead", 0)
        model = cls(**parts, **rest)
        model.best_subhead = best
        return model


def check_heads(n_clusters, n_overclusters, n_subheads):
    """The head sizes checked: k >= 2, overclustering None (5 k), 0 (none) or > k, sub-heads >= 1."""
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2)
    if n_overclusters is None:
        n_overclusters = 5 * n_clusters
    if n_overclusters != 0:
        n_overclusters = positive_int(n_overclusters, "n_overclusters", minimum=n_clusters + 1)
    n_subheads = positive_int(n_subheads, "n_subheads")
    return n_clusters, n_overclusters, n_subheads


def build_iic(input_shape=(28, 28, 1), n_clusters=10, n_overclusters=None, n_subheads=5, filters=(32, 64, 128),
              kernel_size=3, out_size=24, repeats=5, marginal_weight=1.0, seed=None, name="iic", **view_options):
    """Build an :class:`IICClusterer` (Ji et al., 2019).

    ``n_overclusters`` defaults to 5x ``n_clusters`` (the paper uses 3-5x); 0 drops the
    auxiliary head. ``marginal_weight`` > 1 weighs balanced clusters more (see
    :func:`~unsuplab.iic.loss.iic_loss`; 1 is the paper). ``view_options`` go to
    :class:`PairViews` (crops, rotation, jitter, ``colour``, ``use_sobel``).
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3 or \
            any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in input_shape):
        raise ValueError(f"`input_shape` must be (height, width, channels) of positive ints, got {input_shape}.")
    input_shape = tuple(int(d) for d in input_shape)
    n_clusters, n_overclusters, n_subheads = check_heads(n_clusters, n_overclusters, n_subheads)
    out_size = positive_int(out_size, "out_size", minimum=4)
    if out_size > min(input_shape[:2]):
        raise ValueError(f"`out_size` must be at most the image side {min(input_shape[:2])}, got {out_size}.")
    if not isinstance(filters, (tuple, list)) or len(filters) < 1:
        raise ValueError(f"`filters` must be a non-empty tuple of conv widths, one per block (e.g. (32, 64, 128)), "
                         f"got {filters!r}.")
    filters = tuple(positive_int(c, "filters") for c in filters)
    if out_size // 2 ** (len(filters) - 1) < 1:
        raise ValueError(f"`out_size` {out_size} is too small for {len(filters) - 1} poolings.")
    views = PairViews(out_size=out_size, repeats=repeats, seed=seed, name="views", **view_options)
    view_channels = 2 if views.use_sobel else input_shape[-1]
    trunk = build_trunk((out_size, out_size, view_channels), filters, kernel_size)
    n_features = trunk.output.shape[-1]
    main = build_head(n_features, n_clusters, n_subheads, "main_head")
    over = build_head(n_features, n_overclusters, n_subheads, "over_head") if n_overclusters else None
    model = IICClusterer(trunk, main, views, over, marginal_weight, name=name)
    model(keras.ops.zeros((2,) + tuple(input_shape)))  # build
    return model
