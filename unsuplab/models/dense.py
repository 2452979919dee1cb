"""Dense autoencoders: the lecture's 784-128-32-128-784 model and the deep one of Hinton and Salakhutdinov (2006)."""

import math

import keras
from keras import layers

from ..layers import Corruption
from ..validation import positive_int
from .base import Autoencoder


def _check_shape(input_shape, rank=None):
    """``input_shape`` as a tuple of positive ints (``rank`` of them when given), or a clear error."""
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    try:
        input_shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"`input_shape` must be a tuple of positive ints such as (28, 28, 1), got {input_shape!r}.") from None
    if not input_shape or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in input_shape):
        raise ValueError(f"`input_shape` must be a tuple of positive ints such as (28, 28, 1), got {input_shape}.")
    if rank is not None and len(input_shape) != rank:
        raise ValueError(f"`input_shape` must be (height, width, channels), such as (28, 28, 1), got {input_shape}.")
    return input_shape


def _sizes(values, name):
    if isinstance(values, int):
        values = (values,)
    return tuple(positive_int(v, name) for v in values)


def corruption_layer(corruption):
    """``None``, a kind name (``"gaussian"``...), a dict of :class:`~unsuplab.layers.Corruption` arguments, or the layer."""
    if corruption is None or isinstance(corruption, Corruption):
        return corruption
    if isinstance(corruption, str):
        return Corruption(corruption, name="corruption")
    if isinstance(corruption, dict):
        return Corruption(name="corruption", **corruption)
    raise TypeError(f"`corruption` must be None, a kind name, a dict or a Corruption layer, got {type(corruption).__name__}.")


def image_input(input_shape, corruption=None):
    """The encoder's input, and the tensor after the (training-only) corruption, if any."""
    x = keras.Input(input_shape, name="image")
    layer = corruption_layer(corruption)
    return x, (x if layer is None else layer(x))


def dense_decoder(code_size, input_shape, hidden, activation, output_activation):
    """``code -> hidden... -> pixels`` reshaped to ``input_shape``."""
    z = keras.Input((code_size,), name="code_in")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation=activation, name=f"dec_{i}")(h)
    out = layers.Dense(math.prod(input_shape), activation=output_activation, name="pixels")(h)
    out = layers.Reshape(input_shape, name="image_out")(out)
    return keras.Model(z, out, name="decoder")


def build_dense_autoencoder(input_shape=(28, 28, 1), code_size=32, hidden=(128,), activation="relu",
                            code_activation="relu", output_activation="sigmoid", decoder_hidden=None,
                            name="dense_autoencoder", corruption=None, code_layers=()):
    """Dense autoencoder ``x -> hidden... -> code -> hidden... -> x_hat`` (CS5045 lecture; 784-128-32-128-784).

    ``hidden`` are the encoder's hidden sizes; the decoder mirrors them unless
    ``decoder_hidden`` is given. Images are flattened on the way in and reshaped
    to ``input_shape`` on the way out. ``hidden=()`` with linear activations gives
    the linear autoencoder whose optimum spans PCA's subspace (Baldi and Hornik, 1989).
    ``corruption`` (a kind name, dict or :class:`~unsuplab.layers.Corruption`) corrupts the input
    in training only (denoising AE); ``code_layers`` are pass-through layers applied to the code
    (e.g. :class:`~unsuplab.layers.L1Sparsity`).
    """
    input_shape = _check_shape(input_shape)
    code_size = positive_int(code_size, "code_size")
    hidden = _sizes(hidden, "hidden")
    decoder_hidden = tuple(reversed(hidden)) if decoder_hidden is None else _sizes(decoder_hidden, "decoder_hidden")

    x, h = image_input(input_shape, corruption)
    h = layers.Flatten()(h)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation=activation, name=f"enc_{i}")(h)
    code = layers.Dense(code_size, activation=code_activation, name="code")(h)
    for layer in code_layers:
        code = layer(code)
    encoder = keras.Model(x, code, name="encoder")
    decoder = dense_decoder(code_size, input_shape, decoder_hidden, activation, output_activation)
    return Autoencoder(encoder, decoder, name=name)


def build_deep_autoencoder(input_shape=(28, 28, 1), hidden=(1000, 500, 250), code_size=30, decoder_hidden=None,
                           activation="relu", code_activation="linear", output_activation="sigmoid",
                           name="deep_autoencoder", corruption=None):
    """Deep dense autoencoder in the shape of Hinton and Salakhutdinov (2006): 784-1000-500-250-30, mirrored.

    Linear code layer as in the paper; trained end to end with Adam instead of RBM pre-training.
    ``decoder_hidden`` makes it asymmetric (e.g. ``(250,)`` for a shallow decoder).
    """
    return build_dense_autoencoder(input_shape, code_size, hidden, activation, code_activation, output_activation,
                                   decoder_hidden, name=name, corruption=corruption)
