"""Lesson 01 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted'."""

import keras
import numpy as np
from keras import layers

from unsuplab import datasets
from unsuplab.checks import lesson01
from unsuplab.models import build_dense_autoencoder


def _todo(*args):
    raise NotImplementedError()


def _lecture(input_shape, code_size, code_activation=None, out_activation="sigmoid", loss="mse", reshape=True,
             compile=True, hidden_activation="relu", frozen_encoder=False, nan=False):
    x = keras.Input(shape=input_shape)
    h = layers.Flatten()(x)
    h = layers.Dense(128, activation=hidden_activation, trainable=not frozen_encoder)(h)
    z = layers.Dense(code_size, activation=code_activation)(h)
    h = layers.Dense(128, activation="relu")(z)
    out = layers.Dense(int(np.prod(input_shape)), activation=out_activation)(h)
    if nan:
        out = layers.Rescaling(float("nan"))(out)
    if reshape:
        out = layers.Reshape(input_shape)(out)
    model = keras.Model(x, out)
    if compile:
        model.compile(optimizer="adam", loss=loss)
    return model


def _message(**kwargs):
    feedback = lesson01.lecture_autoencoder(lambda shape, k: _lecture(shape, k, **kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_lecture_autoencoder_right():
    assert lesson01.lecture_autoencoder(_lecture)
    assert lesson01.lecture_autoencoder(
        lambda shape, k: _lecture(shape, k, loss=keras.losses.MeanSquaredError()))
    assert lesson01.lecture_autoencoder(lambda shape, k: _lecture(shape, k, code_activation="linear"))


def test_lecture_autoencoder_library_builder_passes_once_compiled():
    def library(shape, k):
        model = build_dense_autoencoder(shape, k, hidden=(128,), code_activation="linear")
        model.compile(optimizer="adam", loss="mse")
        return model

    assert lesson01.lecture_autoencoder(library)


def test_lecture_autoencoder_misconceptions():
    assert "Reshape" in _message(reshape=False)
    assert "activation=None" in _message(code_activation="relu")
    assert "sigmoid" in _message(out_activation=None)
    assert "relu" in _message(hidden_activation=None)
    assert "not compiled" in _message(compile=False)
    assert "binary cross-entropy" in _message(loss="binary_crossentropy")
    assert "gradient does not reach the encoder" in _message(frozen_encoder=True)
    assert "NaN" in _message(nan=True)


def test_lecture_autoencoder_wrong_shapes_and_types():
    def no_hidden(shape, k):
        x = keras.Input(shape=shape)
        z = layers.Dense(k)(layers.Flatten()(x))
        out = layers.Reshape(shape)(layers.Dense(784, activation="sigmoid")(z))
        return keras.Model(x, out)

    wrong = lesson01.lecture_autoencoder(no_hidden)
    assert not wrong and "[128, 32, 128, 784]" in wrong.message
    flat_input = lesson01.lecture_autoencoder(lambda shape, k: _lecture((784,), k))
    assert not flat_input and "shape (batch, 28, 28, 1)" in flat_input.message
    assert "returns None" in lesson01.lecture_autoencoder(lambda shape, k: None).message
    assert "keras.Model" in lesson01.lecture_autoencoder(lambda shape, k: "model").message
    assert lesson01.lecture_autoencoder(_todo).status == "todo"


def test_lecture_autoencoder_backend_specific_code():
    def with_tf(shape, k):
        import tensorflow as tf  # noqa: F401 (the check reads the source, it never runs this)
        return _lecture(shape, k)

    wrong = lesson01.lecture_autoencoder(with_tf)
    assert not wrong and "one backend only" in wrong.message
    keras.backend.clear_session()


def test_lesson01_mse_vs_code_size():
    from unsuplab import baselines

    d = datasets.load("digits")
    sizes = [2, 4]
    pca = [baselines.pca_reconstruct(d.x_train, d.x_test, k)[2] for k in sizes]
    assert lesson01.mse_vs_code_size(lambda s: {"AE": [0.05, 0.03], "PCA": pca}, d.x_train, d.x_test, sizes)
    on_train = [baselines.pca_reconstruct(d.x_train, d.x_train, k)[2] for k in sizes]
    wrong = lesson01.mse_vs_code_size(lambda s: {"AE": [0.05, 0.03], "PCA": on_train}, d.x_train, d.x_test, sizes)
    assert not wrong and "x_test" in wrong.message
    short = lesson01.mse_vs_code_size(lambda s: {"AE": [0.05], "PCA": pca}, d.x_train, d.x_test, sizes)
    assert not short and "one MSE per code size" in short.message
    nan = lesson01.mse_vs_code_size(lambda s: {"AE": [float("nan"), 0.03], "PCA": pca}, d.x_train, d.x_test, sizes)
    assert not nan
    assert lesson01.mse_vs_code_size(_todo, d.x_train, d.x_test, sizes).status == "todo"


def test_lesson01_linear_autoencoder():
    def right(k):
        return build_dense_autoencoder(code_size=k, hidden=(), code_activation=None, output_activation=None)

    assert lesson01.linear_autoencoder(right)
    relu = lesson01.linear_autoencoder(lambda k: build_dense_autoencoder(code_size=k, hidden=()))
    assert not relu and "not linear" in relu.message
    wide = lesson01.linear_autoencoder(
        lambda k: build_dense_autoencoder(code_size=5, hidden=(), code_activation=None, output_activation=None))
    assert not wide and "code_size=3" in wide.message
    assert lesson01.linear_autoencoder(lambda k: "model").status == "wrong"
    assert lesson01.linear_autoencoder(_todo).status == "todo"
    keras.backend.clear_session()
