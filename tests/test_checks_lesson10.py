"""Lesson 10 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted', a NaN one is wrong."""

import keras
import numpy as np
from keras import layers

from unsuplab import degrade
from unsuplab.checks import lesson10
from unsuplab.models import build_colorizer


def todo(*args):
    raise NotImplementedError()


def _colorizer(input_shape, pools=1, skip="concat", strided=False, out_filters=2, out_activation="tanh",
               frozen_first=False, nan=False, fixed_size=False, dense=False, skip_at_half=False):
    """A small U-Net-style L -> ab model; each keyword plants one misconception (or a right variant)."""
    inputs = keras.Input(shape=(32, 32, 1) if fixed_size else input_shape)
    if dense:
        h = layers.Dense(8, activation="relu")(inputs)
        return keras.Model(inputs, layers.Dense(2, activation="tanh")(h))
    h = layers.Conv2D(8, 3, padding="same", activation="relu", trainable=not frozen_first)(inputs)
    encoder_maps = []
    for _ in range(pools):
        encoder_maps.append(h)
        if strided:
            h = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(h)
        else:
            h = layers.MaxPooling2D(2, padding="same")(h)
            h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    if pools == 0 and skip:  # two parallel branches joined: a merge, but nothing to skip around
        h = layers.Concatenate()([layers.Conv2D(8, 3, padding="same")(h), h])
    for encoder_map in reversed(encoder_maps):
        if skip and skip_at_half:  # joined before upsampling: the sizes differ
            h = layers.Concatenate()([h, encoder_map])
        h = layers.UpSampling2D(2)(h)
        if skip == "concat" and not skip_at_half:
            h = layers.Concatenate()([h, encoder_map])
        elif skip == "add":
            h = layers.Add()([h, encoder_map])
        elif skip == "ops":
            h = keras.ops.concatenate([h, encoder_map], axis=-1)
        h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    out = layers.Conv2D(out_filters, 3, padding="same", activation=out_activation)(h)
    if nan:
        out = layers.Rescaling(float("nan"))(out)
    return keras.Model(inputs, out)


def _message(**kwargs):
    feedback = lesson10.unet_colorizer(lambda shape: _colorizer(shape, **kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_unet_colorizer_right():
    assert lesson10.unet_colorizer(_colorizer)
    assert lesson10.unet_colorizer(lambda shape: _colorizer(shape, strided=True, skip="add"))
    assert lesson10.unet_colorizer(lambda shape: _colorizer(shape, pools=3, skip="ops"))  # keras.ops.concatenate
    assert lesson10.unet_colorizer(lambda shape: build_colorizer(filters=4))  # the library's, which skips with L


def test_unet_colorizer_accepts_a_nested_encoder():
    def nested(input_shape):
        inputs = keras.Input(shape=input_shape)
        e = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
        down = keras.Sequential([layers.MaxPooling2D(2), layers.Conv2D(8, 3, padding="same", activation="relu")])
        h = layers.UpSampling2D(2)(down(e))
        h = layers.Concatenate()([h, e])
        return keras.Model(inputs, layers.Conv2D(2, 3, padding="same", activation="tanh")(h))

    assert lesson10.unet_colorizer(nested)


def test_unet_colorizer_misconceptions():
    assert "no convolution layer" in _message(dense=True)
    assert "at most three" in _message(pools=4, skip=None)
    assert "at most three" in _message(pools=4)  # with skips, the Concatenate fails first
    assert "2 filters, one for a and one for b" in _message(out_filters=3)
    assert "2 filters, one for a and one for b" in _message(out_filters=1)
    assert "tanh" in _message(out_activation=None)
    assert "tanh" in _message(out_activation="relu")
    assert "never negative" in _message(out_activation="sigmoid")
    assert "NaN" in _message(nan=True)
    assert "gradient does not reach" in _message(frozen_first=True)
    no_skip = _message(skip=None)
    assert "no skip connection" in no_skip and "Concatenate" in no_skip
    assert "no skip connection" in _message(skip=None, strided=True)
    assert "never lowers the resolution" in _message(pools=0)
    assert "same height and width" in _message(skip_at_half=True)
    assert "(None, None, 1)" in _message(fixed_size=True)


def test_unet_colorizer_rejects_non_models_and_backend_code():
    assert "returns None" in lesson10.unet_colorizer(lambda shape: None).message
    assert "keras.Model" in lesson10.unet_colorizer(lambda shape: layers.Conv2D(2, 3)).message

    def uses_jax(input_shape):
        import jax.numpy as jnp  # noqa: F401  (the check reads the source; it never runs this)
        return _colorizer(input_shape)

    assert "one backend only" in lesson10.unet_colorizer(uses_jax).message


def test_unet_colorizer_waits_for_unfinished_and_never_passes_nan(capsys):
    assert lesson10.unet_colorizer(todo).status == "todo"
    assert lesson10.unet_colorizer(lambda shape: float("nan")).status == "wrong"
    assert "[ok]" not in capsys.readouterr().out


def test_gray_baseline_check_accepts_right_and_names_each_mistake():
    def right(x):
        y = 0.2125 * x[..., 0] + 0.7154 * x[..., 1] + 0.0721 * x[..., 2]
        return np.repeat(y[..., None], 3, axis=-1)

    assert lesson10.gray_baseline(right)
    assert lesson10.gray_baseline(lambda x: degrade.gray_to_rgb(degrade.to_gray(x)))
    assert lesson10.gray_baseline(todo).status == "todo"
    assert "repeat it 3 times" in lesson10.gray_baseline(degrade.to_gray).message
    plain_mean = lesson10.gray_baseline(lambda x: np.repeat(x.mean(-1, keepdims=True), 3, -1))
    assert plain_mean.status == "wrong" and "0.7154" in plain_mean.message
