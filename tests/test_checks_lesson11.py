import keras
import numpy as np
from skimage import transform

from unsuplab import degrade
from unsuplab.checks import lesson11


def todo(*args):
    raise NotImplementedError()


def test_pixel_shuffle_check_accepts_keras_ops_answer_and_names_each_mistake():
    def right(x, r):
        n, h, w, d = x.shape
        c = d // (r * r)
        y = keras.ops.reshape(x, (n, h, w, r, r, c))
        y = keras.ops.transpose(y, (0, 1, 3, 2, 4, 5))
        return keras.ops.reshape(y, (n, h * r, w * r, c))

    def plain_reshape(x, r):
        n, h, w, d = x.shape
        return keras.ops.reshape(x, (n, h * r, w * r, d // (r * r)))

    def channel_major(x, r):
        n, h, w, d = x.shape
        c = d // (r * r)
        y = np.reshape(x, (n, h, w, c, r, r)).transpose(0, 1, 4, 2, 5, 3)
        return y.reshape(n, h * r, w * r, c)

    assert lesson11.pixel_shuffle(right)
    assert lesson11.pixel_shuffle(todo).status == "todo"
    assert "plain reshape" in lesson11.pixel_shuffle(plain_reshape).message
    assert "PyTorch" in lesson11.pixel_shuffle(channel_major).message
    assert "should have shape" in lesson11.pixel_shuffle(lambda x, r: x).message


def test_reference_pixel_shuffle_matches_the_depth_to_space_definition():
    x = np.arange(1 * 1 * 1 * 12).reshape(1, 1, 1, 12)  # r = 2, C = 3
    out = lesson11._depth_to_space(x, 2)
    for i in range(2):
        for j in range(2):
            assert list(out[0, i, j]) == list(x[0, 0, 0, (i * 2 + j) * 3:(i * 2 + j + 1) * 3])


def test_bicubic_baseline_check_accepts_right_and_names_each_mistake():
    def right(x, factor):
        return degrade.bicubic_upsample(degrade.downsample(x, factor), factor)

    def bilinear(x, factor):
        low = degrade.downsample(x, factor)
        return np.stack([transform.resize(im, x.shape[1:], order=1, mode="reflect") for im in low])

    assert lesson11.bicubic_baseline(right)
    assert lesson11.bicubic_baseline(todo).status == "todo"
    assert "bilinear" in lesson11.bicubic_baseline(bilinear).message
    assert "original images" in lesson11.bicubic_baseline(lambda x, f: x).message
    assert "low-resolution" in lesson11.bicubic_baseline(degrade.downsample).message
