"""Lesson 06 checks: the right closed form passes, each usual slip is named, a blank answer is 'not attempted'."""

import keras
import numpy as np
import pytest
from keras import ops

from unsuplab import losses
from unsuplab.checks import lesson06 as check


def _numpy_penalty(x, w, b):
    h = 1 / (1 + np.exp(-(x @ w + b)))
    return np.sum((h * (1 - h)) ** 2 * np.sum(w ** 2, axis=0), axis=1)


def _keras_penalty(x, w, b):
    h = ops.sigmoid(ops.matmul(x, w) + b)
    return ops.sum(ops.square(h * (1 - h)) * ops.sum(ops.square(w), axis=0), axis=-1)


def _todo(x, w, b):
    raise NotImplementedError()


def test_numerical_jacobian_of_a_linear_map_is_its_matrix():
    a = np.random.default_rng(0).normal(size=(3, 2))
    jac = check.numerical_jacobian(lambda v: v @ a, np.ones((4, 3)))
    assert jac.shape == (4, 2, 3)
    np.testing.assert_allclose(jac, np.broadcast_to(a.T, (4, 2, 3)), atol=1e-8)


def test_reference_agrees_with_the_library_closed_form():
    x, w, b, want = check.sigmoid_layer_problem()
    h = 1 / (1 + np.exp(-(x @ w + b)))
    got = ops.convert_to_numpy(losses.contractive_closed_form(h.astype("float32"), w.astype("float32"), "sigmoid"))
    np.testing.assert_allclose(got, want, rtol=1e-4)


@pytest.mark.parametrize("answer", [_numpy_penalty, _keras_penalty])
def test_right_answers_pass(answer, capsys):
    assert check.sigmoid_penalty(answer)
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, says", [
    (lambda x, w, b: np.sqrt(_numpy_penalty(x, w, b)), "its square"),
    (lambda x, w, b: _numpy_penalty(x, w, b).mean(), "batch mean"),
    (lambda x, w, b: np.sum((lambda h: h * (1 - h))(1 / (1 + np.exp(-(x @ w + b)))) * np.sum(w ** 2, 0), 1),
     "must be squared"),
    (lambda x, w, b: np.sum((lambda a: (a * (1 - a)) ** 2)(x @ w + b) * np.sum(w ** 2, 0), 1), "pre-activation"),
    (lambda x, w, b: np.sum((lambda h: h ** 2)(1 / (1 + np.exp(-(x @ w + b)))) * np.sum(w ** 2, 0), 1),
     "derivative is h(1 - h)"),
    (lambda x, w, b: 2 * _numpy_penalty(x, w, b), "expected"),
])
def test_wrong_answers_are_told_what_is_wrong(wrong, says):
    result = check.sigmoid_penalty(wrong)
    assert result.status == "wrong" and says in result.message, result.message


def test_unfinished_answer_is_not_attempted():
    assert check.sigmoid_penalty(_todo).status == "todo"


def test_keras_answer_runs_on_the_current_backend():
    x, w, b, want = check.sigmoid_layer_problem(seed=1)
    got = _keras_penalty(*(keras.ops.convert_to_tensor(v.astype("float32")) for v in (x, w, b)))
    np.testing.assert_allclose(ops.convert_to_numpy(got), want, rtol=1e-4)


# ----------------------------------------------------------------------------- Exercise 1: the penalty as a layer

def _relu_layer(penalty=None, add=1, output=None):
    """A ReLU Dense subclass whose call adds ``penalty(layer, code)`` ``add`` times (the right one by default)."""

    def right(layer, code):
        slope = ops.cast(code > 0, code.dtype)
        return layer.weight * ops.mean(ops.sum(slope * ops.sum(ops.square(layer.kernel), axis=0), axis=-1))

    class Layer(keras.layers.Dense):
        def __init__(self, units, weight=1e-3, **kwargs):
            super().__init__(units, activation="relu", **kwargs)
            self.weight = weight

        def call(self, inputs):
            code = super().call(inputs)
            for _ in range(add):
                self.add_loss((penalty or right)(self, code))
            return code if output is None else output(self, code)

    return Layer


def _slope(code):
    return ops.cast(code > 0, code.dtype)


def _norms(layer):
    return ops.sum(ops.square(layer.kernel), axis=0)


class RightLayer(keras.layers.Dense):
    def __init__(self, units, weight=1e-3, **kwargs):
        super().__init__(units, activation="relu", **kwargs)
        self.weight = weight

    def call(self, inputs):
        code = super().call(inputs)
        penalty = ops.sum(ops.cast(code > 0, code.dtype) * ops.sum(ops.square(self.kernel), axis=0), axis=-1)
        self.add_loss(self.weight * ops.mean(penalty))
        return code


class TodoLayer(keras.layers.Dense):
    def __init__(self, units, weight=1e-3, **kwargs):
        super().__init__(units, activation="relu", **kwargs)
        self.weight = weight

    def call(self, inputs):
        raise NotImplementedError()


class TensorFlowLayer(RightLayer):
    def call(self, inputs):
        code = super().call(inputs)
        return tf.identity(code)  # noqa: F821  (never runs: the check reads the source first)


def test_relu_problem_stays_off_the_kink_and_mixes_active_and_inactive_units():
    x, w, b, want = check.relu_layer_problem()
    a = x @ w + b
    assert np.abs(a).min() > 1e-2 and 0.2 < (a > 0).mean() < 0.8
    closed = np.sum((a > 0) * np.sum(w ** 2, axis=0), axis=1)
    np.testing.assert_allclose(want, closed, rtol=1e-6)


def test_layer_check_accepts_the_right_layer(capsys):
    assert check.contractive_layer(RightLayer)
    assert "[ok]" in capsys.readouterr().out
    assert check.contractive_layer(_relu_layer())


@pytest.mark.parametrize("layer, says", [
    (_relu_layer(add=0), "not added"),
    (_relu_layer(add=2), "add the penalty once"),
    (_relu_layer(lambda ly, c: ops.mean(ops.sum(_slope(c) * _norms(ly), axis=-1))), "without its weight"),
    (_relu_layer(lambda ly, c: ly.weight * ops.sum(_slope(c) * _norms(ly))), "summed the penalty over the batch"),
    (_relu_layer(lambda ly, c: ly.weight * ops.mean(ops.sqrt(ops.sum(_slope(c) * _norms(ly), axis=-1)))), "its square"),
    (_relu_layer(lambda ly, c: ly.weight * ops.sum(_norms(ly))), "slope is missing"),
    (_relu_layer(lambda ly, c: ly.weight * ops.mean(ops.sum(c * _norms(ly), axis=-1))), "not h_j"),
    (_relu_layer(lambda ly, c: ly.weight * ops.mean(ops.sum(_slope(c) * ops.sum(ops.abs(ly.kernel), axis=0), axis=-1))),
     "square the weights"),
    (_relu_layer(lambda ly, c: ly.weight * ops.mean(ops.sum(_slope(c), axis=-1)) * ops.sum(ops.square(ly.kernel))),
     "whole kernel"),
    (_relu_layer(lambda ly, c: ly.weight * ops.mean(ops.sum(_slope(c) * ops.sum(ops.square(
        ops.stop_gradient(ly.kernel)),
                                                                             axis=0), axis=-1))), "no gradient"),
    (_relu_layer(lambda ly, c: 3 * ly.weight * ops.mean(ops.sum(_slope(c) * _norms(ly), axis=-1))), "expected"),
    (_relu_layer(output=lambda ly, c: ops.sum(c, axis=-1, keepdims=True)), "should have shape"),
    (_relu_layer(output=lambda ly, c: None), "returns None"),
    (_relu_layer(lambda ly, c: ly.weight * ops.log(-ops.mean(ops.sum(_slope(c) * _norms(ly), axis=-1)))), "NaN"),
    (TensorFlowLayer, "only runs on one backend"),
])
def test_layer_check_names_each_mistake(layer, says):
    result = check.contractive_layer(layer)
    assert result.status == "wrong" and says in result.message, result.message


def test_layer_check_sees_a_numpy_penalty_that_cuts_the_gradient():
    def numpy_penalty(layer, code):
        kernel, h = ops.convert_to_numpy(layer.kernel), ops.convert_to_numpy(code)
        return float(layer.weight * np.mean(np.sum((h > 0) * np.sum(kernel ** 2, axis=0), axis=-1)))

    result = check.contractive_layer(_relu_layer(numpy_penalty))
    assert result.status == "wrong" and "gradient" in result.message, result.message


def test_layer_check_waits_for_an_unfinished_layer():
    assert check.contractive_layer(TodoLayer).status == "todo"
