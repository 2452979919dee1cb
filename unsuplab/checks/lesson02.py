"""Checks for lesson 02 (deep autoencoder and dimensionality reduction)."""

import numpy as np

from .. import baselines, metrics
from . import Wrong, exercise, to_numpy


def _dense_widths(model):
    return [int(w.shape[-1]) for w in model.weights if len(w.shape) == 2]


def _expect_symmetric(student_fn, input_dim, sizes, code_size):
    """The model for one ``(input_dim, sizes, code_size)``: mirrored Dense widths, flat input, sigmoid output."""
    import keras

    model = student_fn(input_dim, sizes, code_size)
    if not isinstance(model, keras.Model):
        raise Wrong(f"return a keras.Model, got {type(model).__name__}.")
    want = list(sizes) + [code_size] + list(reversed(sizes)) + [input_dim]
    got = _dense_widths(model)
    if got == list(sizes) + [code_size] + list(sizes) + [input_dim] and got != want:
        raise Wrong(f"the decoder repeats the encoder's order {list(sizes)}; it must mirror it: "
                    f"{list(reversed(sizes))}. Dense widths wanted {want}, got {got}.")
    if got != want:
        raise Wrong(f"for sizes={sizes}, code_size={code_size} the Dense widths should be {want}, got {got}.")
    x = np.random.default_rng(0).random((4, input_dim)).astype("float32")
    try:
        out = to_numpy(model(x))
    except Exception as exc:
        raise Wrong(f"the model must take flat inputs of shape (batch, {input_dim}): {exc}") from exc
    if out.shape != (4, input_dim):
        raise Wrong(f"the output should have shape (4, {input_dim}), got {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise Wrong("the model's output contains NaN or infinity; check the weights and activations.")
    if out.min() < 0 or out.max() > 1:
        raise Wrong("the output must lie in [0, 1] like the pixels: use a sigmoid on the last layer.")


@exercise("Exercise 1 (a symmetric encoder/decoder)")
def build_symmetric(student_fn):
    """``student_fn(input_dim, sizes, code_size)`` must return a flat-input Keras model mirroring ``sizes``."""
    for input_dim, sizes, code_size in ((20, (16, 8), 3), (12, (10,), 2)):
        _expect_symmetric(student_fn, input_dim, sizes, code_size)
    return "Encoder and decoder mirror each other around the code."


def _expect_errors(student_fn, code_size, n_train, n_test, dim):
    """Test-set MSEs of a small Dense autoencoder (code ``code_size``) and of PCA on ``digits`` images whose
    test images are dimmed by ``dim`` (train and test errors then differ clearly)."""
    import keras

    from ..datasets import load

    data = load("digits", n_train=n_train, n_test=n_test)
    data = data._replace(x_test=dim * data.x_test)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(code_size),
                              keras.layers.Dense(64, activation="sigmoid"), keras.layers.Reshape((8, 8, 1))])
    result = student_fn(model, data.x_train, data.x_test, code_size)
    if not isinstance(result, dict) or set(result) != {"AE", "PCA"}:
        raise Wrong('return a dict with exactly the keys "AE" and "PCA".')
    want_ae = metrics.mse(to_numpy(model(data.x_test)), data.x_test)
    want_pca = baselines.pca_reconstruct(data.x_train, data.x_test, code_size)[2]
    got_ae, got_pca = float(result["AE"]), float(result["PCA"])
    train_ae = metrics.mse(to_numpy(model(data.x_train)), data.x_train)
    train_pca = baselines.pca_reconstruct(data.x_train, data.x_train, code_size)[2]
    if np.isclose(got_ae, train_ae, rtol=1e-3) and not np.isclose(got_ae, want_ae, rtol=1e-3):
        raise Wrong("your AE error is measured on x_train; measure on x_test, the images the model never saw.")
    if np.isclose(got_pca, train_pca, rtol=1e-3) and not np.isclose(got_pca, want_pca, rtol=1e-3):
        raise Wrong("your PCA error is measured on x_train; fit PCA on x_train, measure on x_test.")
    if not np.isclose(got_ae, want_ae, rtol=1e-3):
        raise Wrong(f"the AE's test MSE should be {want_ae:.5f}, you have {got_ae:.5f}: "
                    "the mean of (reconstruction - x_test)**2 over all pixels.")
    if not np.isclose(got_pca, want_pca, rtol=1e-3):
        raise Wrong(f"PCA's test MSE with {code_size} components should be {want_pca:.5f}, you have "
                    f"{got_pca:.5f} (use the code_size argument).")


@exercise("Exercise 2 (reconstruction error of both methods)")
def reconstruction_errors(student_fn):
    """``student_fn(model, x_train, x_test, code_size)`` -> ``{"AE": test MSE, "PCA": test MSE}``."""
    _expect_errors(student_fn, 4, 300, 100, 0.5)
    return "Both errors are test-set MSEs at the same code size."


@exercise("Exercise 1 (a symmetric encoder/decoder), hidden cases")
def hidden_build_symmetric(student_fn):
    """Three hidden layers, and none at all (the code layer alone between input and output)."""
    for input_dim, sizes, code_size in ((30, (24, 12, 6), 4), (5, (), 2)):
        _expect_symmetric(student_fn, input_dim, sizes, code_size)


@exercise("Exercise 2 (reconstruction error of both methods), hidden cases")
def hidden_reconstruction_errors(student_fn):
    """Another code size (7), other sample sizes and a brighter test set."""
    _expect_errors(student_fn, 7, 200, 60, 0.8)
