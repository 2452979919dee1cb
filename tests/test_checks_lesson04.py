"""Lesson 04 check: a right KL-sparsity layer passes, each named slip gets its message, a blank one is 'not
attempted'."""

import keras
from checks_reference import twin
from keras import ops

from unsuplab.checks import lesson04 as check
from unsuplab.layers import KLSparsity


def _layer(penalty_fn=None, output=None, adds_loss=True, clip=True):
    """A KL-sparsity layer class; ``penalty_fn(rho, rho_hat, beta)`` replaces the right penalty when given."""

    class Layer(keras.layers.Layer):
        def __init__(self, rho=0.05, beta=1e-3, **kwargs):
            super().__init__(**kwargs)
            self.rho, self.beta = rho, beta

        def call(self, inputs):
            rho, beta = self.rho, self.beta
            rho_hat = ops.mean(inputs, axis=0)
            if clip:
                rho_hat = ops.clip(rho_hat, 1e-7, 1 - 1e-7)
            if penalty_fn is None:
                penalty = beta * ops.sum(rho * ops.log(rho / rho_hat) + (1 - rho) * ops.log((1 - rho) / (1 - rho_hat)))
            else:
                penalty = penalty_fn(rho, rho_hat, beta, inputs)
            if adds_loss:
                self.add_loss(penalty)
            return inputs if output is None else output(inputs, penalty)

    return Layer


def _kl(r, h):
    return r * ops.log(r / h) + (1 - r) * ops.log((1 - r) / (1 - h))


def _message(**kwargs):
    feedback = check.kl_sparsity_layer(_layer(**kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_right_answers_pass():
    assert check.kl_sparsity_layer(_layer())
    assert check.kl_sparsity_layer(twin(KLSparsity))  # the library's layer agrees with the closed form


def test_named_misconceptions():
    assert "add_loss" in _message(adds_loss=False)
    assert "unchanged" in _message(output=lambda inputs, penalty: penalty)
    assert "None" in _message(output=lambda inputs, penalty: None)
    assert "(1 - rho)" in _message(penalty_fn=lambda r, h, b, x: b * ops.sum(r * ops.log(r / h)))
    swapped = lambda r, h, b, x: b * ops.sum(h * ops.log(h / r) + (1 - h) * ops.log((1 - h) / (1 - r)))  # noqa: E731
    assert "swapped" in _message(penalty_fn=swapped)
    assert "SUM" in _message(penalty_fn=lambda r, h, b, x: b * ops.mean(_kl(r, h)))
    assert "beta" in _message(penalty_fn=lambda r, h, b, x: ops.sum(_kl(r, h)))
    over_units = lambda r, h, b, x: b * ops.sum(_kl(r, ops.clip(ops.mean(x, axis=1), 1e-7, 1 - 1e-7)))  # noqa: E731
    assert "BATCH" in _message(penalty_fn=over_units)
    assert "one number" in _message(penalty_fn=lambda r, h, b, x: b * _kl(r, h))
    assert "clip" in _message(clip=False)


def test_nan_and_unfinished():
    nan = check.kl_sparsity_layer(_layer(penalty_fn=lambda r, h, b, x: ops.sum(h) * float("nan")))
    assert nan.status == "wrong" and "NaN" in nan.message

    class Todo(keras.layers.Layer):
        def __init__(self, rho=0.05, beta=1e-3, **kwargs):
            super().__init__(**kwargs)

        def call(self, inputs):
            raise NotImplementedError()

    assert check.kl_sparsity_layer(Todo).status == "todo"
    keras.backend.clear_session()
