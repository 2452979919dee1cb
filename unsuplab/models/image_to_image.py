"""Image-to-image networks for the applications: a colorizer (L -> ab) and a residual super-resolver.

Both are small fully convolutional encoder-decoders, so they accept any image size at prediction time.
They are plain functional ``keras.Model`` objects built from stock layers and save to ``.keras`` as is.
"""

import keras
from keras import layers

from ..layers import ImageShapeCheck
from ..validation import positive_int


def build_colorizer(width=16):
    """Lightness in, colour out: ``L -> ab`` in CIE Lab, both scaled to about [-1, 1].

    An encoder-decoder with one stride-2 stage and a skip that hands the input L back to the last layer,
    trained with MSE on ab (the regression form of Zhang, Isola and Efros, "Colorful image colorization",
    ECCV 2016; they classify quantised ab instead). Input (batch, H, W, 1) with even H and W (other
    inputs get a clear error from :class:`~unsuplab.layers.ImageShapeCheck`); output (batch, H, W, 2) through ``tanh``.
    """
    width = positive_int(width, "width")
    lightness = keras.Input((None, None, 1), name="L")
    checked = ImageShapeCheck(1, multiple=2, name="L_check")(lightness)
    h = layers.Conv2D(width, 3, padding="same", activation="relu")(checked)
    h = layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2D(2 * width, 3, padding="same", activation="relu")(h)
    h = layers.UpSampling2D(2)(h)
    h = layers.Concatenate()([h, checked])
    h = layers.Conv2D(width, 3, padding="same", activation="relu")(h)
    ab = layers.Conv2D(2, 3, padding="same", activation="tanh", name="ab")(h)
    return keras.Model(lightness, ab, name="colorizer")


def build_super_resolver(factor, width=64, channels=3):
    """Residual super-resolution: ``x_hat = bicubic(x_low) + T(f(x_low))``.

    f is two convolutions on the low-resolution image (SRCNN, Dong et al., 2014, works in low resolution as in
    FSRCNN, Dong et al., 2016); T is a stride-``factor`` transposed convolution that enlarges the features into
    the missing detail. T starts at zero, so the untrained model *is* bicubic upsampling and training only adds
    what bicubic misses (the residual learning of VDSR, Kim et al., 2016). Inputs ``[low, bicubic]`` of shapes
    (batch, h, w, channels) and (batch, factor*h, factor*w, channels).
    """
    factor = positive_int(factor, "factor", minimum=2)
    width = positive_int(width, "width", minimum=2)
    channels = positive_int(channels, "channels")
    low = keras.Input((None, None, channels), name="low_resolution")
    bicubic = keras.Input((None, None, channels), name="bicubic")
    h = layers.Conv2D(width, 5, padding="same", activation="relu")(low)
    h = layers.Conv2D(width // 2, 3, padding="same", activation="relu")(h)
    detail = layers.Conv2DTranspose(channels, 3 * factor, strides=factor, padding="same",
                                    kernel_initializer="zeros", name="enlarge")(h)
    return keras.Model([low, bicubic], layers.Add()([bicubic, detail]), name=f"super_resolver_x{factor}")
