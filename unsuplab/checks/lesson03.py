"""Checks for lesson 03 (convolutional autoencoder, pooling and unpooling)."""

import numpy as np

from ..layers import max_pool_with_argmax, max_unpool
from . import Wrong, exercise, expect_shape, to_numpy


def toy_pooling(seed=0, shape=(2, 4, 6, 3)):
    """A toy batch, its 2x2 max pooling and switches, and the correct unpooling (NumPy arrays)."""
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape).astype("float32")  # no ties
    pooled, switches = max_pool_with_argmax(x, 2)
    want = max_unpool(pooled, switches, shape[1:3], 2)
    return x, to_numpy(pooled), to_numpy(switches), to_numpy(want)


def _call(student_fn, pooled, switches, height, width):
    import keras

    out = student_fn(keras.ops.convert_to_tensor(pooled), keras.ops.convert_to_tensor(switches), height, width)
    return to_numpy(out)


@exercise("Exercise 1 (unpooling from switches)")
def unpool(student_fn):
    """``student_fn(values, switches, height, width)`` -> (batch, height, width, channels), values at their switches."""
    for shape in ((2, 4, 6, 3), (1, 5, 5, 2)):
        x, pooled, switches, want = toy_pooling(shape=shape)
        height, width = shape[1:3]
        got = _call(student_fn, pooled, switches, height, width)
        odd = height % 2 or width % 2
        if odd and got.shape != want.shape:
            raise Wrong(f"for odd sizes ({height}x{width} pools to {pooled.shape[1]}x{pooled.shape[2]}) the output "
                        f"must still be {height}x{width}: crop the extra row/column. Got shape {got.shape}.")
        got = expect_shape(got, want.shape, f"the unpooled {height}x{width} batch").astype("float64")
        if np.allclose(got, want):
            continue
        upsampled = np.repeat(np.repeat(pooled, 2, axis=1), 2, axis=2)[:, :height, :width]
        if np.allclose(got, upsampled):
            raise Wrong("each value fills its whole 2x2 window: that is plain upsampling. Unpooling puts it only "
                        "at the position its switch names and zeros everywhere else.")
        if np.count_nonzero(got) != np.count_nonzero(want):
            raise Wrong(f"the output should have exactly one non-zero per pooled value ({np.count_nonzero(want)} "
                        f"here), yours has {np.count_nonzero(got)}.")
        if np.allclose(np.sort(got.ravel()), np.sort(want.ravel())):
            raise Wrong("the right values are there but some sit in the wrong place: a switch s is the flat index "
                        "row * width + col in the unpooled image (row = s // width, col = s % width), per image "
                        "and channel.")
        raise Wrong("the values are not the pooled ones: each pooled value must appear once, unchanged, "
                    "at its switch position.")
    return "Every value sits where its maximum was, zeros elsewhere, for even and odd sizes."


@exercise("Exercise 1 (unpooling from switches), hidden cases")
def hidden_unpool(student_fn):
    """Other shapes: a tall odd image with one channel, and a batch of 3 with 5 channels."""
    for shape in ((1, 7, 4, 1), (3, 6, 8, 5)):
        _, pooled, switches, want = toy_pooling(seed=4, shape=shape)
        got = expect_shape(_call(student_fn, pooled, switches, *shape[1:3]), want.shape,
                           f"the unpooled {shape[1]}x{shape[2]} batch")
        if not np.allclose(got, want):
            raise Wrong(f"for a batch of shape {shape} the values are not all at their switches.")
