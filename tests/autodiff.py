"""The backend's own autodiff and compiler, for tests that check gradients (TensorFlow and JAX)."""

import keras
import numpy as np
import pytest
from keras import ops


def _backend():
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        pytest.skip(f"no autodiff helper for backend {backend}")
    return backend


def gradient(fn, x, jacobian=False):
    """``d sum(fn(x)) / dx``; with ``jacobian=True`` the per-sample Jacobian (batch, out, in) of ``fn``."""
    if _backend() == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            total = ops.sum(y)
        return (tape.batch_jacobian(y, x) if jacobian else tape.gradient(total, x)).numpy()
    import jax

    if jacobian:
        return np.asarray(jax.vmap(jax.jacfwd(lambda v: fn(v[None])[0]))(x))
    return np.asarray(jax.grad(lambda v: ops.sum(fn(v)))(x))


def jit(fn):
    """``fn`` compiled by the backend (``tf.function(jit_compile=True)`` / ``jax.jit``)."""
    if _backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    import jax

    return jax.jit(fn)
