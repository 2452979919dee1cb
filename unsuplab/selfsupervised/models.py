"""Self-supervised models that train with plain ``model.fit(x)``: SimCLR, MoCo v2 and rotation prediction.

All three share one small conv encoder (:func:`build_encoder`, 32-64-128 + global average pooling); after
pretraining, ``model.encode(x)`` gives the frozen features that :mod:`unsuplab.selfsupervised.probe` scores.
Each model computes its loss inside ``call`` when ``training`` is true and hands it to Keras with
``add_loss``, so there is no backend-specific ``train_step``; at inference ``model(x)`` is ``encoder(x)``.
"""

import keras
import numpy as np
from keras import layers, ops

from ..serialization import parts_config, parts_from_config
from ..validation import as_images, number_at_least, positive_int
from .augment import ContrastiveViews
from .losses import info_nce, nt_xent


def build_encoder(input_shape=(28, 28, 1), filters=(32, 64, 128), batch_norm=True, name="encoder"):
    """``[Conv 3x3 -> BatchNorm -> ReLU -> MaxPool 2x2]`` per entry of ``filters`` (no pool after the last),
    then global average pooling: a ``filters[-1]``-d feature vector per image."""
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"`input_shape` must be (height, width, channels), got {input_shape!r}.")
    filters = [positive_int(f, "filters") for f in filters]
    if not filters:
        raise ValueError("`filters` must name at least one convolution, got ().")
    inputs = keras.Input(tuple(input_shape), name="images")
    h = inputs
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, 3, padding="same", use_bias=not batch_norm, name=f"conv_{i}")(h)
        if batch_norm:
            h = layers.BatchNormalization(name=f"bn_{i}")(h)
        h = layers.ReLU(name=f"relu_{i}")(h)
        if i < len(filters) - 1:
            h = layers.MaxPooling2D(2, padding="same", name=f"pool_{i}")(h)
    return keras.Model(inputs, layers.GlobalAveragePooling2D(name="features")(h), name=name)


def build_projector(input_dim=128, hidden=128, output=64, name="projector"):
    """SimCLR's projection head g (Chen et al. 2020, sec. 2.1; MoCo v2 adopts it): Dense -> ReLU -> Dense."""
    inputs = keras.Input((positive_int(input_dim, "input_dim"),), name="features")
    h = layers.Dense(positive_int(hidden, "hidden"), activation="relu", name="hidden")(inputs)
    return keras.Model(inputs, layers.Dense(positive_int(output, "output"), name="projection")(h), name=name)


def ema_update(targets, sources, momentum):
    """MoCo's momentum update (He et al. 2020, eq. 2), one value per weight:
    ``theta_k <- m * theta_k + (1 - m) * theta_q``. Returns the new values (a list)."""
    return [momentum * t + (1.0 - momentum) * s for t, s in zip(targets, sources)]


def enqueue(queue, keys):
    """The queue after a batch: ``keys`` (n, d) go in at the front, the n oldest rows leave at the end (FIFO);
    the size K of ``queue`` (K, d) stays the same, so row 0 is always the newest key."""
    size = queue.shape[0]
    return ops.concatenate([ops.cast(keys, queue.dtype), queue], axis=0)[:size]


def rotate_batch(images):
    """``(4n, h, w, c)``: the batch rotated by 0, 90, 180 and 270 degrees (counter-clockwise), and the labels
    0, 1, 2, 3 (n of each) for rotation prediction (Gidaris et al., ICLR 2018). Images must be square."""
    quarter = ops.flip(ops.transpose(images, (0, 2, 1, 3)), axis=1)  # np.rot90 on each image
    half = ops.flip(ops.flip(images, axis=1), axis=2)
    three = ops.flip(ops.transpose(images, (0, 2, 1, 3)), axis=2)
    n = ops.shape(images)[0]
    labels = ops.repeat(ops.arange(4, dtype="int32"), n)
    return ops.concatenate([images, quarter, half, three], axis=0), labels


class _Pretext(keras.Model):
    """What the three models share: an encoder, frozen features, checked inputs, sub-model saving."""

    parts = ("encoder",)

    def build(self, input_shape):
        self.built = True  # every part is a built functional model or a weightless layer

    def fit(self, x=None, y=None, **kwargs):
        if x is not None and not isinstance(x, (keras.utils.PyDataset,)) and hasattr(x, "shape"):
            x = as_images(x, "x", height=self.encoder.input.shape[1], width=self.encoder.input.shape[2],
                          channels=self.encoder.input.shape[3])
        if y is not None:
            raise ValueError("`y` must be None: a self-supervised model makes its own targets; call fit(x).")
        return super().fit(x, **kwargs)

    def encode(self, x, batch_size=256, pooled=True):
        """Frozen features of the images ``x`` as a NumPy array (BatchNorm in inference mode): ``encoder(x)``, or
        with ``pooled=False`` the feature map that the encoder's final global pooling averages, flattened: it
        keeps *where* each feature fired, which a neighbour vote on centred digits needs."""
        x = as_images(x, "x", height=self.encoder.input.shape[1], width=self.encoder.input.shape[2],
                      channels=self.encoder.input.shape[3])
        network = self.encoder
        if not pooled:
            last = self.encoder.layers[-1]
            if not isinstance(last, (layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)):
                raise ValueError("`pooled=False` needs an encoder that ends in global pooling (build_encoder's "
                                 f"does); this one ends in {type(last).__name__}.")
            network = keras.Model(self.encoder.input, layers.Flatten()(last.input))
        return np.asarray(network.predict(x, batch_size=batch_size, verbose=0))

    def get_config(self):
        return {**super().get_config(), **parts_config(self, self.parts)}

    @classmethod
    def from_config(cls, config):
        parts, rest = parts_from_config(config, cls.parts)
        return cls(**parts, **rest)


@keras.saving.register_keras_serializable(package="unsuplab")
class SimCLR(_Pretext):
    """SimCLR (Chen et al., ICML 2020): two random views of each image, ``z = projector(encoder(view))``,
    NT-Xent between them over the batch (:func:`~unsuplab.selfsupervised.losses.nt_xent`). The 2N - 2 other
    views in the batch are the negatives, so the number of negatives grows with the batch size.
    ``loss_fn`` (same signature as ``nt_xent``) replaces the loss; it is not saved (lesson 20 trains the
    student's)."""

    parts = ("encoder", "projector", "views")

    def __init__(self, encoder, projector=None, views=None, temperature=0.2, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.projector = projector or build_projector(encoder.output.shape[-1])
        self.views = views or ContrastiveViews()
        self.temperature = number_at_least(temperature, "temperature", 1e-6)
        self.loss_fn = nt_xent

    def call(self, images, training=None):
        if not training:
            return self.encoder(images)
        n = ops.shape(images)[0]
        both = ops.concatenate([self.views(images, training=True), self.views(images, training=True)], axis=0)
        z = self.projector(self.encoder(both, training=True), training=True)
        self.add_loss(self.loss_fn(z[:n], z[n:], temperature=self.temperature))
        return z

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="unsuplab")
class MoCo(_Pretext):
    """MoCo v2 (He et al., CVPR 2020; Chen, Fan, Girshick, He 2020): a query network (encoder + MLP head,
    trained) and a key network, its exponential moving average, that encodes the second view; InfoNCE of each
    query against its key and a FIFO ``queue`` of the keys of earlier batches (the negatives).

    The key network is not a second model: it is the query network run with other weights,
    ``query.stateless_call(key weights, x)``, and its weights, the queue, are non-trainable variables of this
    model that ``call`` assigns while training. Keras carries such assignments out of the train step on every
    backend (as BatchNormalization's moving statistics), so no ``train_step`` and no Callback is needed, the
    update happens exactly once per optimiser step, and everything is saved in the ``.keras`` file. As in the
    authors' code the key weights move towards the query weights at the start of each step, then the keys of
    the batch are computed (no gradient), the loss is taken against the queue, and the keys are enqueued.
    ``update_fn`` (signature of :func:`ema_update`) and ``loss_fn`` (of ``info_nce``) may be replaced; they are
    not saved.
    """

    parts = ("encoder", "projector", "views")

    def __init__(self, encoder, projector=None, views=None, queue_size=4096, momentum=0.99, temperature=0.2,
                 **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.projector = projector or build_projector(encoder.output.shape[-1])
        self.views = views or ContrastiveViews()
        self.queue_size = positive_int(queue_size, "queue_size")
        self.momentum = number_at_least(momentum, "momentum", 0.0, maximum=1.0, why=" (the key encoder's EMA rate)")
        self.temperature = number_at_least(temperature, "temperature", 1e-6)
        self.update_fn, self.loss_fn = ema_update, info_nce
        self.query = keras.Model(self.encoder.input, self.projector(self.encoder.output), name="query")
        sources = self.query.trainable_variables + self.query.non_trainable_variables
        self.key_weights = [self.add_weight(shape=v.shape, initializer="zeros", trainable=False, name=f"key_{i}")
                            for i, v in enumerate(sources)]
        for key, source in zip(self.key_weights, sources):  # the key network starts as a copy (own buffers:
            key.assign(ops.convert_to_numpy(source))         # JAX must not see one array in two variables)
        dim = self.projector.output.shape[-1]
        self.queue = self.add_weight(shape=(self.queue_size, dim), trainable=False, name="queue",
                                     initializer=keras.initializers.RandomNormal(seed=0))

    def _key_network(self, images):
        split = len(self.query.trainable_variables)
        values = [v.value for v in self.key_weights]
        keys, _ = self.query.stateless_call(values[:split], values[split:], images, training=True)
        return ops.stop_gradient(keys)

    def call(self, images, training=None):
        if not training:
            return self.encoder(images)
        sources = self.query.trainable_variables + self.query.non_trainable_variables
        new = self.update_fn([v.value for v in self.key_weights], [v.value for v in sources], self.momentum)
        for variable, value in zip(self.key_weights, new):
            variable.assign(value)
        queries = self.query(self.views(images, training=True), training=True)
        keys = self._key_network(self.views(images, training=True))
        self.add_loss(self.loss_fn(queries, keys, self.queue.value, temperature=self.temperature))
        self.queue.assign(enqueue(self.queue.value, keys))
        return queries

    def get_config(self):
        return {**super().get_config(), "queue_size": self.queue_size, "momentum": self.momentum,
                "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="unsuplab")
class RotationNet(_Pretext):
    """Rotation prediction (Gidaris, Singh and Komodakis, ICLR 2018): every image is shown at 0, 90, 180 and
    270 degrees and a 4-way softmax head on the encoder names the rotation (cross-entropy). To do so the
    encoder must know which way up a digit or a garment is: what it is and where its parts are. ``views``
    (optional) perturbs the images before they are rotated."""

    parts = ("encoder", "head", "views")

    def __init__(self, encoder, head=None, views=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        if head is None:
            features = keras.Input((encoder.output.shape[-1],), name="features")
            head = keras.Model(features, layers.Dense(4, name="rotation_logits")(features), name="head")
        self.head, self.views = head, views

    def call(self, images, training=None):
        if not training:
            return self.encoder(images)
        if self.views is not None:
            images = self.views(images, training=True)
        rotated, labels = rotate_batch(images)
        logits = self.head(self.encoder(rotated, training=True), training=True)
        self.add_loss(ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)))
        return logits
