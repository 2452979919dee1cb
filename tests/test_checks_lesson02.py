"""Lesson 02 checks: a right answer passes, a wrong one is told what is wrong, a blank one is 'not attempted'."""

import keras

from unsuplab import baselines
from unsuplab.checks import lesson02 as check


def _symmetric(input_dim, sizes, code_size, mirror=True):
    x = keras.Input((input_dim,))
    h = x
    for units in sizes:
        h = keras.layers.Dense(units, activation="relu")(h)
    h = keras.layers.Dense(code_size)(h)
    for units in (reversed(sizes) if mirror else sizes):
        h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(x, keras.layers.Dense(input_dim, activation="sigmoid")(h))


def _todo(*args):
    raise NotImplementedError()


def test_build_symmetric():
    assert check.build_symmetric(_symmetric)
    wrong = check.build_symmetric(lambda d, s, k: _symmetric(d, s, k, mirror=False))
    assert wrong.status == "wrong" and "mirror" in wrong.message
    assert check.build_symmetric(_todo).status == "todo"


def _errors(model, x_train, x_test, k, on=None):
    on = x_test if on is None else on
    return {"AE": baselines.mse(model.predict(on, verbose=0), on),
            "PCA": baselines.pca_reconstruct(x_train, x_test, k)[2]}


def test_reconstruction_errors():
    assert check.reconstruction_errors(_errors)
    wrong = check.reconstruction_errors(lambda m, a, b, k: _errors(m, a, b, k, on=a))
    assert wrong.status == "wrong" and "x_train" in wrong.message
    assert check.reconstruction_errors(_todo).status == "todo"
