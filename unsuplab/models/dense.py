"""Dense autoencoders: the lecture's 784-128-32-128-784 model and the deep one of Hinton and Salakhutdinov (2006)."""

import keras
from keras import layers

from .base import Autoencoder
from .blocks import check_activation, check_shape, check_units, dense_decoder, image_input, sizes


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
    input_shape = check_shape(input_shape)
    code_size = check_units(code_size, "code_size")
    hidden = sizes(hidden, "hidden")
    decoder_hidden = tuple(reversed(hidden)) if decoder_hidden is None else sizes(decoder_hidden, "decoder_hidden")
    for value, label in ((activation, "activation"), (code_activation, "code_activation"),
                         (output_activation, "output_activation")):
        check_activation(value, label)

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
