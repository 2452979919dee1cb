"""Lesson 17's check cell: a correct answer passes, typical mistakes are named, unfinished waits, NaN is wrong."""

import numpy as np
from checks_reference import twin
from keras import ops

from unsuplab.checks import lesson17
from unsuplab.iic import segmentation_joint


def right(p1, p2, T):
    k = p1.shape[-1]
    x = ops.pad(ops.transpose(ops.convert_to_tensor(p1), (3, 1, 2, 0)), ((0, 0), (T, T), (T, T), (0, 0)))
    kernel = ops.transpose(ops.convert_to_tensor(p2), (1, 2, 0, 3))
    P = ops.transpose(ops.conv(x, kernel, padding="valid"), (1, 2, 0, 3))
    P = P / ops.sum(P, axis=(2, 3), keepdims=True)
    assert P.shape[-1] == k
    return (P + ops.swapaxes(P, 2, 3)) / 2


def todo(p1, p2, T):
    raise NotImplementedError()


def test_right_answers_pass(capsys):
    assert lesson17.displacement_joint(right)
    assert lesson17.displacement_joint(twin(segmentation_joint))
    assert lesson17.displacement_joint(lesson17.loop_joint)  # a loop is right too (only slower)
    assert "[ok]" in capsys.readouterr().out


def test_loop_matches_library():
    rng = np.random.default_rng(0)
    p1, p2 = (rng.dirichlet(np.ones(3), (2, 4, 5)).astype("float32") for _ in range(2))
    np.testing.assert_allclose(lesson17.loop_joint(p1, p2, 2), ops.convert_to_numpy(segmentation_joint(p1, p2, 2)),
                               atol=1e-6)


def test_named_mistakes():
    def unsymmetrised(p1, p2, T):
        x = ops.pad(ops.transpose(p1, (3, 1, 2, 0)), ((0, 0), (T, T), (T, T), (0, 0)))
        P = ops.transpose(ops.conv(x, ops.transpose(p2, (1, 2, 0, 3))), (1, 2, 0, 3))
        return P / ops.sum(P, axis=(2, 3), keepdims=True)

    wrong = lesson17.displacement_joint(unsymmetrised)
    assert wrong.status == "wrong" and "symmetrise" in wrong.message

    def not_normalised(p1, p2, T):
        P = right(p1, p2, T)
        return P * 7.0

    wrong = lesson17.displacement_joint(not_normalised)
    assert wrong.status == "wrong" and "not normalised" in wrong.message

    wrong = lesson17.displacement_joint(lambda p1, p2, T: right(p1, p2, T) / (2 * T + 1) ** 2)
    assert wrong.status == "wrong" and "on its own" in wrong.message

    def padded_twice(p1, p2, T):  # wrong padding: 2T on each side gives a (4T+1)^2 window
        return right(p1, p2, 2 * T)[: 4 * T + 1, : 4 * T + 1] if T else right(p1, p2, T)

    wrong = lesson17.displacement_joint(padded_twice)
    assert wrong.status == "wrong" and "pad view 1 by T" in wrong.message

    def same_padding(p1, p2, T):  # padding="same" instead of padding by T: an h x w window
        x = ops.transpose(p1, (3, 1, 2, 0))
        P = ops.transpose(ops.conv(x, ops.transpose(p2, (1, 2, 0, 3)), padding="same"), (1, 2, 0, 3))
        return P / ops.sum(P, axis=(2, 3), keepdims=True)

    wrong = lesson17.displacement_joint(same_padding)
    assert wrong.status == "wrong" and "expected shape" in wrong.message

    def conv_layout(p1, p2, T):  # forgot to move the window axes first
        return ops.transpose(right(p1, p2, T), (2, 0, 1, 3))

    wrong = lesson17.displacement_joint(conv_layout)
    assert wrong.status == "wrong" and "layout" in wrong.message

    wrong = lesson17.displacement_joint(lambda p1, p2, T: right(p2, p1, T))  # views swapped: window reversed
    assert wrong.status == "wrong" and "reversed" in wrong.message

    wrong = lesson17.displacement_joint(lambda p1, p2, T: None)
    assert wrong.status == "wrong" and "None" in wrong.message


def test_unfinished_and_nan():
    assert lesson17.displacement_joint(todo).status == "todo"
    assert lesson17.displacement_joint(lambda p1, p2, T: right(p1, p2, T) * np.nan).status == "wrong"
    assert lesson17.displacement_joint(lambda p1, p2, T: float("nan")).status == "wrong"


def test_backend_specific_code_is_named():
    def with_tf(p1, p2, T):
        import tensorflow as tf  # noqa: F401

        return right(p1, p2, T)

    wrong = lesson17.displacement_joint(with_tf)
    assert wrong.status == "wrong" and "keras.ops" in wrong.message


def test_conv_layout_shape_error_gets_a_hint():
    """Issue 28: an answer that symmetrises the conv's output in its own layout died with a raw 'Incompatible
    shapes'; the check now says to move the window axes first."""
    def conv_layout(p1, p2, T):
        x = ops.pad(ops.transpose(p1, (3, 1, 2, 0)), ((0, 0), (T, T), (T, T), (0, 0)))
        P = ops.conv(x, ops.transpose(p2, (1, 2, 0, 3)))  # (k, 2T+1, 2T+1, k): not yet transposed
        P = P / ops.sum(P, axis=(2, 3), keepdims=True)
        return (P + ops.swapaxes(P, 2, 3)) / 2

    wrong = lesson17.displacement_joint(conv_layout)
    assert wrong.status == "wrong" and "ops.transpose(P, (1, 2, 0, 3))" in wrong.message, wrong.message
