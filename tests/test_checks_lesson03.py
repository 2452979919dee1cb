"""Lesson 03 check: a right unpooling passes, usual slips are named, a blank answer is 'not attempted'."""

import numpy as np
from keras import ops

from unsuplab.checks import lesson03 as check


def _unpool(values, switches, height, width):
    def up(t):
        return ops.repeat(ops.repeat(t, 2, axis=1), 2, axis=2)[:, :height, :width]

    here = ops.equal(up(switches), ops.reshape(ops.arange(height * width, dtype="int32"), (1, height, width, 1)))
    return ops.where(here, up(values), 0.0)


def _numpy_unpool(values, switches, height, width):
    values, switches = ops.convert_to_numpy(values), ops.convert_to_numpy(switches)
    out = np.zeros((values.shape[0], height * width, values.shape[-1]), values.dtype)
    n, _, _, c = np.indices(values.shape)
    out[n, switches, c] = values
    return out.reshape(values.shape[0], height, width, values.shape[-1])


def _upsample(values, switches, height, width):
    return ops.repeat(ops.repeat(values, 2, axis=1), 2, axis=2)[:, :height, :width]


def _no_crop(values, switches, height, width):
    h2, w2 = 2 * values.shape[1], 2 * values.shape[2]
    return ops.pad(_unpool(values, switches, height, width), [[0, 0], [0, h2 - height], [0, w2 - width], [0, 0]])


def _transposed(values, switches, height, width):
    swapped = (switches % width) * width + switches // width  # reads s as col * width + row
    return _numpy_unpool(values, swapped, height, width) if bool(ops.all(swapped < height * width)) else \
        _numpy_unpool(values, ops.minimum(swapped, height * width - 1), height, width)


def _todo(*args):
    raise NotImplementedError()


def test_toy_pooling_round_trip_keeps_every_maximum():
    x, pooled, switches, want = check.toy_pooling()
    assert want.shape == x.shape and np.count_nonzero(want) == pooled.size
    np.testing.assert_array_equal(np.sort(want[want != 0]), np.sort(pooled.ravel()))
    np.testing.assert_array_equal(want[want != 0], x[want != 0])  # each maximum back at its own pixel


def test_right_answers_pass(capsys):
    assert check.unpool(_unpool)
    assert check.unpool(_numpy_unpool)
    assert "[ok]" in capsys.readouterr().out


def test_wrong_answers_are_told_what_is_wrong():
    result = check.unpool(_upsample)
    assert result.status == "wrong" and "plain upsampling" in result.message
    result = check.unpool(_no_crop)
    assert result.status == "wrong" and "crop" in result.message
    result = check.unpool(_transposed)
    assert result.status == "wrong", result.message
    assert "wrong place" in result.message or "one non-zero" in result.message, result.message
    result = check.unpool(lambda v, s, h, w: 2 * _unpool(v, s, h, w))
    assert result.status == "wrong" and "unchanged" in result.message


def test_unfinished_answer_is_not_attempted():
    assert check.unpool(_todo).status == "todo"
