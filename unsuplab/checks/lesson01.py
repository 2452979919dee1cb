"""Checks for lesson 01 (the dense autoencoder)."""

import numpy as np

from . import Wrong, exercise, to_numpy
from .. import baselines


@exercise("Exercise 1 (MSE against code size)")
def mse_vs_code_size(student_fn, x_train, x_test, code_sizes):
    """``student_fn(code_sizes)`` must return ``{"AE": [...], "PCA": [...]}``, one test MSE per size."""
    result = student_fn(code_sizes)
    if not isinstance(result, dict) or set(result) != {"AE", "PCA"}:
        raise Wrong('return a dict with exactly the keys "AE" and "PCA".')
    for key in ("AE", "PCA"):
        values = np.asarray(result[key], dtype="float64")
        if values.shape != (len(code_sizes),):
            raise Wrong(f'result["{key}"] needs one MSE per code size ({len(code_sizes)}), got {values.shape[0] if values.ndim else values}.')
        if not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(values > 0.25):
            raise Wrong(f'result["{key}"] = {values.round(4).tolist()}: a test MSE of images in [0, 1] lies in (0, 0.25).')
    for k, got in zip(code_sizes, result["PCA"]):
        want = baselines.pca_reconstruct(x_train, x_test, k)[2]
        if not np.isclose(got, want, rtol=1e-3):
            raise Wrong(f"PCA's test MSE at code size {k} should be {want:.5f}, you have {got:.5f}. "
                        "Fit PCA on x_train and measure on x_test.")
    if np.any(np.diff(result["PCA"]) > 1e-6):
        raise Wrong("PCA's error must fall as the code grows; sort your code sizes.")
    return "Both curves are measured on the test set."


@exercise("Exercise 2 (a linear autoencoder)")
def linear_autoencoder(student_fn):
    """``student_fn(code_size)`` must return an untrained Keras model 784 -> code_size -> 784 with no non-linearity."""
    import keras

    model = student_fn(3)
    if not isinstance(model, keras.Model):
        raise Wrong(f"return a keras.Model, got {type(model).__name__}.")
    rng = np.random.default_rng(0)
    # large inputs of both signs: near zero a sigmoid or a ReLU can look linear
    a, b = (20 * rng.normal(size=(2, 28, 28, 1))).astype("float32"), (20 * rng.normal(size=(2, 28, 28, 1))).astype("float32")
    try:
        fa, fb, fab = (to_numpy(model(v)) for v in (a, b, 0.3 * a + 0.7 * b))
    except Exception as exc:
        raise Wrong(f"the model must take images of shape (batch, 28, 28, 1): {exc}") from exc
    if fa.reshape(2, -1).shape[1] != 784:
        raise Wrong(f"the output must have 784 values per image, got shape {fa.shape}.")
    if not np.allclose(fab, 0.3 * fa + 0.7 * fb, atol=1e-4 * (1 + np.abs(fab).max())):
        raise Wrong("the model is not linear: f(0.3a + 0.7b) != 0.3 f(a) + 0.7 f(b). "
                    "Use activation=None (no ReLU, no sigmoid) in every layer.")
    widths = [w.shape[-1] for w in model.weights if len(w.shape) == 2]
    if 3 not in widths:
        raise Wrong(f"no layer has code_size=3 units (dense widths: {widths}).")
    return "A linear model with the requested bottleneck."
