"""Custom layers of the autoencoder family, in ``keras.ops`` only (TensorFlow, JAX, jit), all registered.

* :class:`MaxPoolingWithArgmax2D` / :class:`MaxUnpooling2D`: pooling that remembers where each
  maximum was (the "switches"), and unpooling that puts values back there (Zeiler and Fergus, 2014;
  SegNet, Badrinarayanan et al., 2017; stacked what-where AE, Zhao et al., 2016).
  Pure twins :func:`max_pool_with_argmax` and :func:`max_unpool` work on toy arrays.
* :class:`Corruption`: the denoising AE's noise, active only in training (Vincent et al., 2008);
  its NumPy twin for the ``fit(x_noisy, x)`` form is :func:`unsuplab.degrade.corrupt`.
* :class:`L1Sparsity`, :class:`KLSparsity`: pass-through activity penalties (Ng, CS294A notes).
* :class:`ContractiveDense`, :class:`ContractiveEstimate`: the contractive penalty (Rifai et al., 2011).
* :class:`Sampling`: the VAE's reparameterisation ``z = mu + sigma * eps`` and its KL term.
* :class:`StraightThroughBinarize`: 0/1 bits forward, identity gradient backward (semantic hashing).
* :class:`ReconstructionError`: one anomaly score per sample, the mean squared error of ``[x, x_hat]``
  (an autoencoder and this layer make a detector that is one model).

Switches hold, for each pooled value, the flat index ``row * width + col`` of its maximum in the
(unpadded) input, per image and channel, as int32, the same shape as the pooled values.
"""

import keras
import numpy as np
from keras import ops

from . import losses
from .degrade import check_corruption
from .validation import positive_int

register = keras.saving.register_keras_serializable(package="unsuplab")


# ----------------------------------------------------------------------------- pooling with switches

def _pool_size(pool_size):
    if isinstance(pool_size, (int, np.integer)) and not isinstance(pool_size, bool):
        pool_size = (pool_size, pool_size)
    pool_size = tuple(pool_size)
    if len(pool_size) != 2:
        raise ValueError(f"`pool_size` must be an int or a pair of ints, got {pool_size}.")
    return tuple(positive_int(p, "pool_size") for p in pool_size)


def _spatial(shape, name):
    if len(shape) != 4 or shape[1] is None or shape[2] is None:
        raise ValueError(f"`{name}` must be a 4-D (batch, height, width, channels) tensor with known "
                         f"height and width, got shape {tuple(shape)}.")
    return shape[1], shape[2], shape[3]


def _positions(h, w, dtype):
    """(1, h, w, 1) grid holding each pixel's flat index ``row * w + col``."""
    return ops.reshape(ops.arange(h * w, dtype=dtype), (1, h, w, 1))


def _repeat(x, ph, pw, h, w):
    """Nearest-neighbour upsampling by (ph, pw), cropped to (h, w)."""
    x = ops.repeat(ops.repeat(x, ph, axis=1), pw, axis=2)
    return x[:, :h, :w, :]


def max_pool_with_argmax(x, pool_size=2):
    """Max pooling that also returns where each maximum was: ``(pooled, switches)``.

    ``x`` is (batch, H, W, C). Odd sizes are padded at the bottom/right (output ``ceil(H / p)``),
    padding never wins. ``switches[n, i, j, c] = row * W + col`` of the maximum in ``x[n, :, :, c]``;
    ties go to the first position in the window (row-major). The pooling is the backend's own
    (its gradient reaches each window's maximum); the switches are the smallest position in each
    window where ``x`` equals the pooled value.
    """
    ph, pw = _pool_size(pool_size)
    x = ops.convert_to_tensor(x)
    h, w, c = _spatial(x.shape, "x")
    pad = [[0, 0], [0, -(-h // ph) * ph - h], [0, -(-w // pw) * pw - w], [0, 0]]
    padded = ops.pad(x, pad, constant_values=float("-inf")) if pad[1][1] or pad[2][1] else x
    pooled = ops.max_pool(padded, (ph, pw), strides=(ph, pw), padding="valid")
    at_max = ops.equal(x, _repeat(ops.stop_gradient(pooled), ph, pw, h, w))
    # float32 holds every position exactly below 2**24 pixels
    candidates = ops.where(at_max, _positions(h, w, "float32"), float(h * w))
    if pad[1][1] or pad[2][1]:
        candidates = ops.pad(candidates, pad, constant_values=float(h * w))
    first = -ops.max_pool(-candidates, (ph, pw), strides=(ph, pw), padding="valid")
    return pooled, ops.cast(first, "int32")


def max_unpool(values, switches, output_shape, pool_size=2):
    """Put each of ``values`` at the position its ``switches`` name, zeros elsewhere.

    ``values`` and ``switches`` are (batch, h, w, C) (switches from :func:`max_pool_with_argmax`
    with the same ``pool_size``); ``output_shape`` is the unpooled (H, W), (H, W, C) or
    (batch, H, W, C). Returns (batch, H, W, C). Gradients flow back through the same positions.
    """
    ph, pw = _pool_size(pool_size)
    values = ops.convert_to_tensor(values)
    switches = ops.cast(ops.convert_to_tensor(switches), "int32")
    ho, wo, c = _spatial(values.shape, "values")
    if tuple(switches.shape[1:]) != tuple(values.shape[1:]):
        raise ValueError(f"`switches` must have the shape of `values` {tuple(values.shape)}, "
                         f"got {tuple(switches.shape)}.")
    output_shape = tuple(output_shape)
    if len(output_shape) not in (2, 3, 4):
        raise ValueError(f"`output_shape` must be (H, W), (H, W, C) or (batch, H, W, C), got {output_shape}.")
    h, w = output_shape[-3:-1] if len(output_shape) > 2 else output_shape
    if -(-h // ph) != ho or -(-w // pw) != wo:
        raise ValueError(f"`output_shape` {(h, w)} does not pool to the values' size {(ho, wo)} "
                         f"with pool size {(ph, pw)}.")
    here = ops.equal(_repeat(switches, ph, pw, h, w), _positions(h, w, "int32"))
    return ops.where(here, _repeat(values, ph, pw, h, w), ops.zeros((), values.dtype))


@register
class MaxPoolingWithArgmax2D(keras.layers.Layer):
    """Max pooling returning ``(pooled, switches)``; see :func:`max_pool_with_argmax` (odd sizes: ceil)."""

    def __init__(self, pool_size=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pool_size(pool_size)

    def call(self, inputs):
        return max_pool_with_argmax(inputs, self.pool_size)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        shape = (b, -(-h // self.pool_size[0]), -(-w // self.pool_size[1]), c)
        return shape, shape

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape(inputs.shape)[0]
        return keras.KerasTensor(shape, dtype=inputs.dtype), keras.KerasTensor(shape, dtype="int32")

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size}


@register
class MaxUnpooling2D(keras.layers.Layer):
    """Max unpooling: ``MaxUnpooling2D(size=(H, W))([values, switches])`` or
    ``MaxUnpooling2D()([values, switches, like])``.

    The unpooled height and width come from ``like`` (any tensor of the original size) when given,
    else from ``size``, else ``pool_size`` times the input's. See :func:`max_unpool`.
    """

    def __init__(self, pool_size=2, size=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pool_size(pool_size)
        self.size = None if size is None else tuple(positive_int(s, "size") for s in size)
        if self.size is not None and len(self.size) != 2:
            raise ValueError(f"`size` must be (height, width), got {size}.")

    def _size(self, shapes):
        if len(shapes) == 3:
            return tuple(shapes[2][1:3])
        if self.size is not None:
            return self.size
        return shapes[0][1] * self.pool_size[0], shapes[0][2] * self.pool_size[1]

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError("MaxUnpooling2D must be called on [values, switches] or [values, switches, like].")
        return max_unpool(inputs[0], inputs[1], self._size([t.shape for t in inputs]), self.pool_size)

    def compute_output_shape(self, input_shape):
        h, w = self._size(input_shape)
        return (input_shape[0][0], h, w, input_shape[0][3])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "size": self.size}


# ----------------------------------------------------------------------------- corruption

@register
class Corruption(keras.layers.Layer):
    """Corrupt images in training only; identity at inference (denoising AE, Vincent et al., 2008).

    The same four kinds, arguments and distributions as :func:`unsuplab.degrade.corrupt` (the NumPy
    implementation, used for ``fit(x_noisy, x)``), drawn with ``keras.random`` inside the model.
    """

    def __init__(self, kind="gaussian", amount=0.5, square_size=10, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.kind, self.amount, self.square_size = check_corruption(kind, amount, square_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return self.corrupt(inputs)

    def corrupt(self, x):
        """The corrupted batch, whatever the training flag."""
        x = ops.convert_to_tensor(x, self.compute_dtype)
        shape, seed = ops.shape(x), self.seed_generator
        if self.kind == "gaussian":
            return ops.clip(x + keras.random.normal(shape, stddev=self.amount, dtype=x.dtype, seed=seed), 0.0, 1.0)
        if self.kind == "salt_pepper":
            hit = keras.random.uniform(shape, dtype=x.dtype, seed=seed) < self.amount
            salt = ops.cast(keras.random.uniform(shape, dtype=x.dtype, seed=seed) < 0.5, x.dtype)
            return ops.where(hit, salt, x)
        if self.kind == "mask_pixels":
            pixel_shape = (shape[0],) + tuple(x.shape[1:-1]) + (1,)
            keep = keras.random.uniform(pixel_shape, dtype=x.dtype, seed=seed) >= self.amount
            return x * ops.cast(keep, x.dtype)
        h, w = x.shape[1], x.shape[2]
        s = self.square_size
        if s > h or s > w:
            raise ValueError(f"`square_size` {s} is larger than the images ({h}x{w}).")
        top = keras.random.randint((shape[0], 1), 0, h - s + 1, seed=seed)
        left = keras.random.randint((shape[0], 1), 0, w - s + 1, seed=seed)
        rows, cols = ops.arange(h)[None, :], ops.arange(w)[None, :]
        in_rows = ops.logical_and(rows >= top, rows < top + s)  # (n, h)
        in_cols = ops.logical_and(cols >= left, cols < left + s)  # (n, w)
        inside = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])[..., None]
        return ops.where(inside, ops.zeros_like(x), x)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "amount": self.amount,
                "square_size": self.square_size, "seed": self.seed}


# ----------------------------------------------------------------------------- sparsity

@register
class L1Sparsity(keras.layers.Layer):
    """Identity that adds ``weight * mean_batch sum_j |h_j|`` to the model's loss (L1 activity penalty)."""

    def __init__(self, weight=1e-4, **kwargs):
        super().__init__(**kwargs)
        if not float(weight) >= 0:
            raise ValueError(f"`weight` must be >= 0, got {weight}.")
        self.weight = float(weight)

    def call(self, inputs):
        self.add_loss(self.weight * ops.mean(ops.sum(ops.abs(losses.flatten_features(inputs)), axis=-1)))
        return inputs

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@register
class KLSparsity(keras.layers.Layer):
    """Identity that adds ``beta * sum_j KL(rho || rho_hat_j)`` on sigmoid codes (Ng, CS294A notes).

    ``rho_hat_j`` is unit j's mean activation over the batch; see :func:`unsuplab.losses.kl_sparsity`.
    """

    def __init__(self, rho=0.05, beta=1e-2, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < float(rho) < 1.0:
            raise ValueError(f"`rho` must lie strictly between 0 and 1, got {rho}.")
        if not float(beta) >= 0:
            raise ValueError(f"`beta` must be >= 0, got {beta}.")
        self.rho, self.beta = float(rho), float(beta)

    def call(self, inputs):
        rho_hat = ops.mean(losses.flatten_features(inputs), axis=0)
        self.add_loss(self.beta * losses.kl_sparsity(self.rho, rho_hat))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "beta": self.beta}


# ----------------------------------------------------------------------------- contraction

@register
class ContractiveDense(keras.layers.Dense):
    """A sigmoid or ReLU ``Dense`` that adds ``weight * mean ||J||_F^2`` in closed form (Rifai et al., 2011, eq. 4)."""

    def __init__(self, units, activation="sigmoid", weight=1e-3, **kwargs):
        if activation not in losses.ACTIVATIONS_WITH_CLOSED_FORM:
            raise ValueError(f"`activation` must be one of {losses.ACTIVATIONS_WITH_CLOSED_FORM} for the closed form, "
                             f"got {activation!r}; use method='estimate' for other encoders.")
        super().__init__(units, activation=activation, **kwargs)
        if not float(weight) >= 0:
            raise ValueError(f"`weight` must be >= 0, got {weight}.")
        self.weight, self.activation_name = float(weight), activation

    def call(self, inputs, training=None):
        code = super().call(inputs)
        self.add_loss(self.weight * ops.mean(losses.contractive_closed_form(code, self.kernel, self.activation_name)))
        return code

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@register
class ContractiveEstimate(keras.layers.Wrapper):
    """Wrap an encoder: run it, and add ``weight * mean ||J||_F^2`` in training, estimated by
    :func:`unsuplab.losses.contractive_estimate` (any encoder; Rifai et al., 2011b).

    ``ContractiveEstimate(encoder)`` is a ``keras.layers.Wrapper``: the encoder is ``.layer`` (also
    ``.encoder``), saved in the config and rebuilt by ``Wrapper.from_config``.
    """

    def __init__(self, layer, weight=1e-3, sigma=losses.CONTRACTIVE_SIGMA, samples=1, seed=None, **kwargs):
        super().__init__(layer, **kwargs)
        if not float(weight) >= 0:
            raise ValueError(f"`weight` must be >= 0, got {weight}.")
        if not float(sigma) > 0:
            raise ValueError(f"`sigma` must be > 0, got {sigma}.")
        self.weight, self.sigma, self.seed = float(weight), float(sigma), seed
        self.samples = positive_int(samples, "samples")
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def encoder(self):
        return self.layer

    def call(self, inputs, training=None):
        if training:
            penalty = losses.contractive_estimate(self.layer, inputs, self.sigma, self.samples, self.seed_generator)
            self.add_loss(self.weight * ops.mean(penalty))
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "sigma": self.sigma, "samples": self.samples,
                "seed": self.seed}


# ----------------------------------------------------------------------------- VAE

@register
class Sampling(keras.layers.Layer):
    """``z = z_mean + exp(z_log_var / 2) * eps``, ``eps ~ N(0, I)`` (reparameterisation, Kingma and Welling, 2014).

    Called on ``[z_mean, z_log_var]``; adds ``beta * mean_batch KL(q(z|x) || N(0, I))`` to the loss
    (:func:`unsuplab.losses.gaussian_kl`; beta-VAE, Higgins et al., 2017). Samples in training and inference.
    """

    def __init__(self, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not float(beta) > 0:
            raise ValueError(f"`beta` must be > 0, got {beta}.")
        self.beta, self.seed = float(beta), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        self.add_loss(self.beta * ops.mean(losses.gaussian_kl(z_mean, z_log_var)))
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "seed": self.seed}


# ----------------------------------------------------------------------------- input checks

@register
class ImageShapeCheck(keras.layers.Layer):
    """Identity that rejects, when the model is called, images whose channels differ from ``channels`` or whose
    height/width do not divide by ``multiple`` (a clear error instead of a shape clash deep inside the model)."""

    def __init__(self, channels, multiple=1, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.multiple = positive_int(channels, "channels"), positive_int(multiple, "multiple")

    def _check(self, shape):
        if len(shape) != 4:
            raise ValueError(f"`{self.name}` needs images (batch, height, width, {self.channels}), got shape {shape}.")
        if shape[-1] is not None and shape[-1] != self.channels:
            raise ValueError(f"`{self.name}` needs images with {self.channels} channels, got shape {shape}.")
        for side in shape[1:3]:
            if side is not None and side % self.multiple:
                raise ValueError(f"`{self.name}` needs height and width that divide by {self.multiple} "
                                 f"({'even sizes' if self.multiple == 2 else 'multiples'}), got shape {shape}.")

    def build(self, input_shape):
        self._check(tuple(input_shape))

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "multiple": self.multiple}


# ----------------------------------------------------------------------------- binary codes

@register
class StraightThroughBinarize(keras.layers.Layer):
    """Bits forward, identity backward: ``x + stop_gradient(round(x) - x)`` on codes in [0, 1].

    The forward pass gives exact 0/1 bits (``round``, threshold 0.5, for sigmoid codes); the backward pass is
    the straight-through estimator (Bengio, Leonard and Courville, 2013): the gradient goes through as if the
    layer were the identity, so an autoencoder can train with binary codes (semantic hashing, Salakhutdinov
    and Hinton, 2009).
    """

    def call(self, inputs):
        return inputs + ops.stop_gradient(ops.round(inputs) - inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


# ----------------------------------------------------------------------------- anomaly scores

@register
class ReconstructionError(keras.layers.Layer):
    """Called on ``[x, x_hat]``: one score per sample, ``s(x) = ||x - x_hat||^2 / D``, the mean squared error over
    every axis but the batch (reconstruction error as anomaly score: Japkowicz, Myers and Gluck, 1995; Sakurada
    and Yairi, 2014).

    ``keras.Model(x, ReconstructionError()([x, autoencoder(x)]))`` is a detector in one model: images in, one
    score per image out, saved and loaded as one ``.keras`` file.
    """

    def call(self, inputs):
        x, x_hat = inputs
        error = ops.square(ops.subtract(x, x_hat))
        return ops.mean(error, axis=tuple(range(1, len(error.shape))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:1])
