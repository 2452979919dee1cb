"""Lesson 08 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted'."""

import keras
import numpy as np
from keras import layers

from unsuplab.checks import lesson08
from unsuplab.models import build_conv_autoencoder


def _todo(*args):
    raise NotImplementedError()


def _denoiser(input_shape, pools=2, out_activation="sigmoid", out_filters=None, frozen_first=False, nan=False,
              dense=False, transpose=False):
    x = keras.Input(shape=input_shape)
    if dense:
        h = layers.Flatten()(x)
        h = layers.Dense(64, activation="relu")(h)
        h = layers.Dense(int(np.prod(input_shape)), activation="sigmoid")(h)
        return keras.Model(x, layers.Reshape(input_shape)(h))
    h = x
    for i in range(pools):
        h = layers.Conv2D(8, 3, padding="same", activation="relu", trainable=not (frozen_first and i == 0))(h)
        h = layers.MaxPooling2D(2, padding="same")(h)
    for _ in range(pools):
        if transpose:
            h = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(h)
        else:
            h = layers.UpSampling2D(2)(h)
            h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    out = layers.Conv2D(out_filters or input_shape[-1], 3, padding="same", activation=out_activation)(h)
    if nan:
        out = layers.Rescaling(float("nan"))(out)
    return keras.Model(x, out)


def _message(**kwargs):
    feedback = lesson08.conv_denoiser(lambda shape: _denoiser(shape, **kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_conv_denoiser_right():
    assert lesson08.conv_denoiser(_denoiser)
    assert lesson08.conv_denoiser(lambda shape: _denoiser(shape, transpose=True))
    assert lesson08.conv_denoiser(lambda shape: _denoiser(shape, pools=0))  # no bottleneck is still a denoiser
    assert lesson08.conv_denoiser(lambda shape: build_conv_autoencoder(shape, filters=(32, 32), decoder="upsample"))


def test_conv_denoiser_misconceptions():
    keras.utils.set_random_seed(0)  # the messages must not depend on the weights earlier tests left drawn
    assert "no convolution layer" in _message(dense=True)
    assert "8, not 7" in _message(pools=3)
    assert "filter(s), one per image channel" in _message(out_filters=3)
    assert "sigmoid" in _message(out_activation=None)
    assert "sigmoid" in _message(out_activation="relu")
    assert "NaN" in _message(nan=True)
    assert "gradient does not reach" in _message(frozen_first=True)


def test_conv_denoiser_rejects_non_models_and_backend_code():
    assert "returns None" in lesson08.conv_denoiser(lambda shape: None).message
    assert "keras.Model" in lesson08.conv_denoiser(lambda shape: layers.Conv2D(1, 3)).message

    def uses_tf(input_shape):
        import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)
        return tf.keras.Sequential()

    assert "one backend only" in lesson08.conv_denoiser(uses_tf).message


def test_conv_denoiser_waits_for_unfinished():
    assert lesson08.conv_denoiser(_todo).status == "todo"


def _right_psnr(ref, est):
    mse = np.mean((ref - est) ** 2, axis=(1, 2, 3))
    return np.mean(10 * np.log10(1 / mse))


def test_psnr_check_accepts_right_rejects_wrong_and_waits_for_unfinished(capsys):
    def doubled(ref, est):
        return 20 * np.log10(1 / np.mean((ref - est) ** 2))

    assert lesson08.psnr(_right_psnr)
    assert lesson08.psnr(lambda r, e: 10 * np.log10(1 / np.mean((r - e) ** 2)))  # one MSE over all pixels
    wrong = lesson08.psnr(doubled)
    assert wrong.status == "wrong" and "20 * log10(1 / MSE)" in wrong.message
    assert lesson08.psnr(lambda r, e: np.mean((r - e) ** 2)).status == "wrong"
    per_image = lesson08.psnr(lambda r, e: 10 * np.log10(1 / np.mean((r - e) ** 2, axis=(1, 2, 3))))
    assert per_image.status == "wrong" and "mean" in per_image.message
    assert lesson08.psnr(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


def test_psnr_check_never_passes_nan_or_inf(capsys):
    # issue 19 item 5: the difference is not squared, so a log of a negative MSE gives NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        unsquared = lesson08.psnr(lambda r, e: np.mean(10 * np.log10(1 / np.mean(r - e, axis=(1, 2, 3)))))
    assert unsquared.status == "wrong"
    assert lesson08.psnr(lambda r, e: float("nan")).status == "wrong"
    assert lesson08.psnr(lambda r, e: float("inf")).status == "wrong"
    assert "[ok]" not in capsys.readouterr().out


def test_psnr_check_accepts_backend_tensors():
    assert lesson08.psnr(lambda r, e: keras.ops.convert_to_tensor(_right_psnr(r, e)))
