"""Dense autoencoders: the lecture's 784-128-32-128-784 model and its generalisations."""

import math

import keras
from keras import layers

from ..validation import positive_int
from .base import Autoencoder


def _check_shape(input_shape):
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    input_shape = tuple(input_shape)
    if not input_shape or any((not isinstance(d, int)) or d < 1 for d in input_shape):
        raise ValueError(f"`input_shape` must be a tuple of positive ints such as (28, 28, 1), got {input_shape}.")
    return input_shape


def build_dense_autoencoder(input_shape=(28, 28, 1), code_size=32, hidden=(128,), activation="relu",
                            code_activation="relu", output_activation="sigmoid", decoder_hidden=None,
                            name="dense_autoencoder"):
    """Dense autoencoder ``x -> hidden... -> code -> hidden... -> x_hat`` (CS5045 lecture; 784-128-32-128-784).

    ``hidden`` are the encoder's hidden sizes; the decoder mirrors them unless
    ``decoder_hidden`` is given. Images are flattened on the way in and reshaped
    to ``input_shape`` on the way out. ``hidden=()`` with linear activations gives
    the linear autoencoder whose optimum spans PCA's subspace (Baldi and Hornik, 1989).
    """
    input_shape = _check_shape(input_shape)
    code_size = positive_int(code_size, "code_size")
    hidden = tuple(positive_int(h, "hidden") for h in hidden)
    decoder_hidden = tuple(reversed(hidden)) if decoder_hidden is None else \
        tuple(positive_int(h, "decoder_hidden") for h in decoder_hidden)
    n_in = math.prod(input_shape)

    x = keras.Input(input_shape, name="image")
    h = layers.Flatten()(x)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation=activation, name=f"enc_{i}")(h)
    code = layers.Dense(code_size, activation=code_activation, name="code")(h)
    encoder = keras.Model(x, code, name="encoder")

    z = keras.Input((code_size,), name="code_in")
    h = z
    for i, units in enumerate(decoder_hidden):
        h = layers.Dense(units, activation=activation, name=f"dec_{i}")(h)
    out = layers.Dense(n_in, activation=output_activation, name="pixels")(h)
    out = layers.Reshape(input_shape, name="image_out")(out)
    decoder = keras.Model(z, out, name="decoder")
    return Autoencoder(encoder, decoder, name=name)
