"""Contractive autoencoder: penalise the encoder's Jacobian, ``||J_f(x)||_F^2`` (Rifai et al., 2011)."""

import keras
from keras import layers

from ..layers import ContractiveDense, ContractiveEstimate
from .base import Autoencoder
from .blocks import check_activation, check_shape, check_units, check_weight, dense_decoder, image_input, sizes

METHODS = ("closed_form", "estimate")


def build_contractive_autoencoder(input_shape=(28, 28, 1), code_size=32, hidden=(), activation="relu",
                                  weight=1e-4, method="closed_form", sigma=0.05, samples=1,
                                  decoder_hidden=None, output_activation="sigmoid", name="contractive_autoencoder",
                                  corruption=None):
    """Autoencoder trained on ``mse + weight * ||J_f(x)||_F^2``.

    ``method="closed_form"``: one dense sigmoid or ReLU encoder layer (``hidden=()``), exact penalty
    (:class:`~unsuplab.layers.ContractiveDense`). ``method="estimate"``: any dense encoder, penalty
    estimated by noise of standard deviation ``sigma`` (:class:`~unsuplab.layers.ContractiveEstimate`).
    Default ReLU: with an MSE loss and Adam, a one-layer sigmoid code saturates at 1 on mnist_small
    (measured: test MSE stuck at the mean image's, penalty or not); ``activation="sigmoid"`` is Rifai's.
    """
    input_shape = check_shape(input_shape)
    code_size = check_units(code_size, "code_size")
    hidden = sizes(hidden, "hidden")
    decoder_hidden = tuple(reversed(hidden)) if decoder_hidden is None else sizes(decoder_hidden, "decoder_hidden")
    check_activation(activation)
    check_activation(output_activation, "output_activation")
    weight = check_weight(weight)
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    if method == "closed_form" and hidden:
        raise ValueError(f"`hidden` must be () with method='closed_form' (the closed form is for one dense layer), "
                         f"got {hidden}; use method='estimate' for deeper encoders.")

    x, h = image_input(input_shape, corruption)
    h = layers.Flatten(name="flatten")(h)
    if method == "closed_form":
        code = ContractiveDense(code_size, activation=activation, weight=weight, name="code")(h)
    else:
        flat = keras.Input(h.shape[1:], name="flat_image")
        g = flat
        for i, units in enumerate(hidden):
            g = layers.Dense(units, activation=activation, name=f"enc_{i}")(g)
        inner = keras.Model(flat, layers.Dense(code_size, activation=activation, name="code")(g), name="inner_encoder")
        code = ContractiveEstimate(inner, weight=weight, sigma=sigma, samples=samples, name="contractive")(h)
    encoder = keras.Model(x, code, name="encoder")
    decoder = dense_decoder(code_size, input_shape, decoder_hidden, "relu" if activation == "linear" else activation,
                            output_activation)
    return Autoencoder(encoder, decoder, name=name)
