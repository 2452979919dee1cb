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
