"""Autoencoder builders. Each returns an :class:`Autoencoder` with ``.encoder`` and ``.decoder``."""

from .base import Autoencoder
from .dense import build_dense_autoencoder

__all__ = ["Autoencoder", "build_dense_autoencoder"]
