"""Building blocks shared by the builders: argument checks, the (corrupted) image input, a dense
decoder, cropping after upsampling, and the one input check every model entry point uses."""

import math

import keras
import numpy as np
from keras import layers

from ..layers import Corruption
from ..validation import as_images, positive_int


def check_shape(input_shape, rank=None):
    """``input_shape`` as a tuple of positive ints (``rank`` of them when given), or a clear error."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    try:
        input_shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"`input_shape` must be a tuple of positive ints such as (28, 28, 1), "
                        f"got {input_shape!r}.") from None
    if not input_shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                              for d in input_shape):
        raise ValueError(f"`input_shape` must be a tuple of positive ints such as (28, 28, 1), got {input_shape}.")
    if rank is not None and len(input_shape) != rank:
        raise ValueError(f"`input_shape` must be (height, width, channels), such as (28, 28, 1), got {input_shape}.")
    return tuple(int(d) for d in input_shape)


MAX_UNITS = 2 ** 20  # a layer wider than this does not fit a course machine


def sizes(values, name):
    """A layer-size argument (an int or a sequence of ints) as a tuple of positive ints, or a clear error."""
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = (values,)
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"`{name}` must be an int or a tuple of ints such as (128,), got {values!r}.")
    return tuple(check_units(v, name) for v in values)


def check_units(value, name):
    """A layer width: a positive int no larger than :data:`MAX_UNITS`."""
    value = positive_int(value, name)
    if value > MAX_UNITS:
        raise ValueError(f"`{name}` must be at most {MAX_UNITS} units, got {value}.")
    return value


def check_activation(activation, name="activation"):
    """``activation`` if Keras knows it (a name or a callable), else a clear error naming ``name``."""
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(f"`{name}` must be a Keras activation name such as 'relu' or 'sigmoid', "
                         f"got {activation!r}.") from None
    return activation


def check_weight(weight, name="weight"):
    """A penalty weight: a finite number >= 0."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number >= 0, got {weight!r}.")
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {weight}.")
    return float(weight)


def corruption_layer(corruption, name="corruption"):
    """``None``, a kind name (``"gaussian"``...), a dict of :class:`~unsuplab.layers.Corruption` arguments,
    the layer itself, or a list of these and of Keras' random image layers (``keras.layers.RandomTranslation``...),
    applied in order. Returns a list of layers."""
    if corruption is None:
        return []
    if isinstance(corruption, (list, tuple)):
        return [layer for i, item in enumerate(corruption)
                for layer in corruption_layer(item, name if i == 0 else f"{name}_{i}")]
    if isinstance(corruption, keras.layers.Layer):
        return [corruption]
    if isinstance(corruption, str):
        return [Corruption(corruption, name=name)]
    if isinstance(corruption, dict):
        return [Corruption(name=name, **corruption)]
    raise TypeError(f"`corruption` must be None, a kind name, a dict, a Keras layer or a list of these, "
                    f"got {type(corruption).__name__}.")


def image_input(input_shape, corruption=None):
    """The encoder's input, and the tensor after the (training-only) corruptions, if any."""
    x = keras.Input(input_shape, name="image")
    h = x
    for layer in corruption_layer(corruption):
        h = layer(h)
    return x, h


def dense_decoder(code_size, input_shape, hidden, activation, output_activation):
    """``code -> hidden... -> pixels`` reshaped to ``input_shape``."""
    z = keras.Input((code_size,), name="code_in")
    h = z
    for i, width in enumerate(hidden):
        h = layers.Dense(width, activation=activation, name=f"dec_{i}")(h)
    out = layers.Dense(math.prod(input_shape), activation=output_activation, name="pixels")(h)
    out = layers.Reshape(input_shape, name="image_out")(out)
    return keras.Model(z, out, name="decoder")


def crop_to(h, size):
    """Crop the bottom/right of ``h`` down to spatial ``size`` when upsampling overshot (7 -> 8 -> 7)."""
    extra = (h.shape[1] - size[0], h.shape[2] - size[1])
    return layers.Cropping2D(((0, extra[0]), (0, extra[1])))(h) if any(extra) else h


def is_in_memory(x):
    """True for arrays and lists of images (checked here); datasets and generators are left to Keras."""
    return isinstance(x, (np.ndarray, list, tuple)) or (hasattr(x, "shape") and hasattr(x, "dtype"))


def check_images(x, model_input, name="x", value_range=(0.0, 1.0)):
    """``x`` as float32 images shaped like ``model_input`` (a Keras input tensor), or a clear error naming ``name``.

    Rejects integer dtypes (uint8 pixels), a missing batch axis, an empty batch, NaN/inf, values outside
    ``value_range`` (``None`` skips it; pixels in 0-255 fail here) and any other image shape.
    """
    want = tuple(model_input.shape[1:])
    x = as_images(x, name, rank=len(want) + 1, value_range=value_range)
    if any(w is not None and w != got for w, got in zip(want, x.shape[1:])):
        raise ValueError(f"`{name}` must have shape (batch, {', '.join(map(str, want))}) for this model, "
                         f"got {x.shape}.")
    return x
