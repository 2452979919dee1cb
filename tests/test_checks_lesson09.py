"""Lesson 09 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted'."""

import keras
import numpy as np
from keras import layers

from unsuplab.checks import lesson09
from unsuplab.models import build_inpainter


def todo(*args):
    raise NotImplementedError()


def _square(x, row, col, size):
    mask = np.zeros(x.shape, bool)
    mask[:, row:row + size, col:col + size] = True
    return np.where(mask, 0.0, x).astype("float32"), mask


def test_blank_square_check_accepts_right_and_names_each_mistake():
    assert lesson09.blank_square(_square)
    assert lesson09.blank_square(todo).status == "todo"

    def swapped(x, row, col, size):
        return _square(x, col, row, size)

    def inverted(x, row, col, size):
        x_masked, mask = _square(x, row, col, size)
        return x_masked, ~mask

    def off_by_one(x, row, col, size):
        return _square(x, row, col, size + 1)

    def in_place(x, row, col, size):
        x[:, row:row + size, col:col + size] = 0
        return x, _square(x, row, col, size)[1]

    def float_mask(x, row, col, size):
        x_masked, mask = _square(x, row, col, size)
        return x_masked, mask.astype("float32")

    for fn, words in ((swapped, "(col, row)"), (inverted, "inverted"), (off_by_one, "a 4x4 square has 16"),
                      (in_place, "changed `x` itself"), (float_mask, "boolean")):
        result = lesson09.blank_square(fn)
        assert result.status == "wrong" and words in result.message, (fn.__name__, result.message)


def _inpainter(input_shape, composite="right", see_mask=True, out_activation="sigmoid", frozen_first=False,
               nan=False, conv=True, inputs=2):
    image, mask = keras.Input(shape=input_shape), keras.Input(shape=input_shape)
    h = layers.Concatenate()([image, mask]) if see_mask else image
    if not conv:
        h = layers.Flatten()(h)
        h = layers.Dense(int(np.prod(input_shape)), activation="sigmoid")(h)
        guess = layers.Reshape(input_shape)(h)
    else:
        h = layers.Conv2D(8, 3, padding="same", activation="relu", trainable=not frozen_first)(h)
        h = layers.MaxPooling2D(2, padding="same")(h)
        h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
        h = layers.UpSampling2D(2)(h)
        guess = layers.Conv2D(input_shape[-1], 3, padding="same", activation=out_activation)(h)
    if nan:
        guess = layers.Rescaling(float("nan"))(guess)
    outputs = {"right": (1 - mask) * image + mask * guess,
               "where": keras.ops.where(mask > 0.5, guess, image),
               "inverted": mask * image + (1 - mask) * guess,
               "none": guess,
               "zeros": (1 - mask) * image + 0 * guess,
               "constant": (1 - mask) * image + mask * 0.5 + 0 * guess}[composite]
    return keras.Model([image, mask] if inputs == 2 else image, outputs)


def _message(**kwargs):
    feedback = lesson09.inpainter(lambda shape: _inpainter(shape, **kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_inpainter_right():
    assert lesson09.inpainter(_inpainter)
    assert lesson09.inpainter(lambda shape: _inpainter(shape, composite="where"))  # keras.ops is fine too
    assert lesson09.inpainter(lambda shape: build_inpainter(shape, filters=(8, 16)))  # the library's


def test_inpainter_misconceptions():
    keras.utils.set_random_seed(0)  # the messages must not depend on the weights earlier tests left drawn
    assert "inverted" in _message(composite="inverted")
    assert "pixels outside the hole changed" in _message(composite="none")
    assert "still holds the input's zeros" in _message(composite="zeros")
    assert "whatever the image" in _message(composite="constant")
    assert "ignores the mask" in _message(see_mask=False)
    assert "sigmoid" in _message(out_activation=None)
    assert "sigmoid" in _message(out_activation="relu")
    assert "two, the holed image and the mask" in _message(inputs=1, see_mask=False, composite="none")
    assert "no convolution layer" in _message(conv=False)
    assert "gradient does not reach" in _message(frozen_first=True)


def test_inpainter_never_passes_nan():
    assert "NaN" in _message(nan=True)


def test_inpainter_rejects_non_models_and_backend_code():
    assert "returns None" in lesson09.inpainter(lambda shape: None).message
    assert "keras.Model" in lesson09.inpainter(lambda shape: layers.Conv2D(1, 3)).message

    def uses_tf(input_shape):
        import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)
        return tf.keras.Sequential()

    assert "one backend only" in lesson09.inpainter(uses_tf).message


def test_inpainter_waits_for_unfinished():
    assert lesson09.inpainter(todo).status == "todo"
