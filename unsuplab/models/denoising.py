"""Denoising autoencoder (Vincent et al., 2008): corrupt the input in training, reconstruct the clean one.

Two forms: a :class:`~unsuplab.layers.Corruption` layer in front of the encoder (this builder,
or ``corruption=`` on any builder), trained with ``fit(x, x)``; or corrupt once with
:func:`unsuplab.degrade.corrupt` and train any autoencoder with ``fit(x_noisy, x)``.
"""

from ..layers import Corruption
from .dense import build_dense_autoencoder


def build_denoising_autoencoder(builder=build_dense_autoencoder, kind="gaussian", amount=0.5, square_size=10,
                                seed=None, name="denoising_autoencoder", **builder_kwargs):
    """``builder(corruption=Corruption(kind, amount, square_size), **builder_kwargs)``.

    ``builder`` is any of the ``build_*`` functions (dense by default); the corruption is active only
    when ``training=True``, so ``encode``/``reconstruct`` see clean inputs.
    """
    if not callable(builder):
        raise TypeError(f"`builder` must be a build_* function such as build_conv_autoencoder, got {builder!r}.")
    if "corruption" in builder_kwargs:
        raise ValueError("pass `kind`/`amount`/`square_size` instead of `corruption`.")
    layer = Corruption(kind, amount, square_size, seed=seed, name="corruption")
    return builder(corruption=layer, name=name, **builder_kwargs)
