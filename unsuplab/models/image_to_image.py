"""Image-to-image networks for the applications: a colorizer (L -> ab) and a residual super-resolver.

Both are small fully convolutional encoder-decoders, so they accept any image size at prediction time.
They are plain functional ``keras.Model`` objects built from stock layers and save to ``.keras`` as is.
The inpainter (lesson 09) takes a fixed image size: a hole and the mask that marks it in, the filled image out.
"""

import keras
from keras import layers

from ..layers import ImageShapeCheck
from ..validation import positive_int
from .blocks import check_shape, crop_to, sizes


def build_colorizer(filters=16):
    """Lightness in, colour out: ``L -> ab`` in CIE Lab, both scaled to about [-1, 1].

    An encoder-decoder with one stride-2 stage and a skip that hands the input L back to the last layer,
    trained with MSE on ab (the regression form of Zhang, Isola and Efros, "Colorful image colorization",
    ECCV 2016; they classify quantised ab instead). Input (batch, H, W, 1) with even H and W (other
    inputs get a clear error from :class:`~unsuplab.layers.ImageShapeCheck`); output (batch, H, W, 2) through ``tanh``.
    """
    filters = positive_int(filters, "filters")
    lightness = keras.Input((None, None, 1), name="L")
    checked = ImageShapeCheck(1, multiple=2, name="L_check")(lightness)
    h = layers.Conv2D(filters, 3, padding="same", activation="relu")(checked)
    h = layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2D(2 * filters, 3, padding="same", activation="relu")(h)
    h = layers.UpSampling2D(2)(h)
    h = layers.Concatenate()([h, checked])
    h = layers.Conv2D(filters, 3, padding="same", activation="relu")(h)
    ab = layers.Conv2D(2, 3, padding="same", activation="tanh", name="ab")(h)
    return keras.Model(lightness, ab, name="colorizer")


def build_super_resolver(factor, filters=64, channels=3):
    """Residual super-resolution: ``x_hat = bicubic(x_low) + T(f(x_low))``.

    f is two convolutions on the low-resolution image (SRCNN, Dong et al., 2014, works in low resolution as in
    FSRCNN, Dong et al., 2016); T is a stride-``factor`` transposed convolution that enlarges the features into
    the missing detail. T starts at zero, so the untrained model *is* bicubic upsampling and training only adds
    what bicubic misses (the residual learning of VDSR, Kim et al., 2016). Inputs ``[low, bicubic]`` of shapes
    (batch, h, w, channels) and (batch, factor*h, factor*w, channels).
    """
    factor = positive_int(factor, "factor", minimum=2)
    filters = positive_int(filters, "filters", minimum=2)
    channels = positive_int(channels, "channels")
    low = keras.Input((None, None, channels), name="low_resolution")
    bicubic = keras.Input((None, None, channels), name="bicubic")
    h = layers.Conv2D(filters, 5, padding="same", activation="relu")(low)
    h = layers.Conv2D(filters // 2, 3, padding="same", activation="relu")(h)
    detail = layers.Conv2DTranspose(channels, 3 * factor, strides=factor, padding="same",
                                    kernel_initializer="zeros", name="enlarge")(h)
    return keras.Model([low, bicubic], layers.Add()([bicubic, detail]), name=f"super_resolver_x{factor}")


def build_inpainter(input_shape=(28, 28, 1), filters=(32, 64), context=(128, 128)):
    """Inpainting with a known hole: inputs ``[x_holed, mask]``, output ``(1 - mask) * x_holed + mask * g``.

    ``mask`` is 1 inside the hole and 0 elsewhere, shape (batch, H, W, 1) (the boolean mask of
    :func:`unsuplab.degrade.random_square_mask` as floats). The network g sees it as a channel next to the
    holed image, since a hole of zeros looks like black background otherwise (context encoders, Pathak et al.,
    CVPR 2016; partial convolutions, Liu et al., ECCV 2018, also tell the network where the hole is). g is
    :func:`~unsuplab.models.build_conv_autoencoder` with ``decoder="upsample"``: ``[Conv(f) -> MaxPool]`` for
    ``f`` in ``filters``; then the ``context`` convolutions at the lowest resolution, the first dilated by 2, so
    that the guess for the middle of a large hole sees the digit beyond the hole's border (dilated convolutions
    in the middle of the completion network: Iizuka, Simo-Serra and Ishikawa, SIGGRAPH 2017); then
    ``[UpSample -> Conv]`` back, sigmoid out. The composite passes the known pixels through exactly and takes g
    only inside the hole, so a loss on the whole image trains g on the hole alone.
    """
    input_shape = check_shape(input_shape, rank=3)
    filters = sizes(filters, "filters")
    context = sizes(context, "context")
    if not filters:
        raise ValueError("`filters` must name at least one convolution block, got ().")
    height, width, channels = input_shape
    if min(height, width) < 2 ** len(filters):
        raise ValueError(f"`input_shape` {input_shape} is too small for {len(filters)} pooling blocks (needs "
                         f"height and width >= {2 ** len(filters)}); use fewer `filters`.")
    image = keras.Input(input_shape, name="holed_image")
    mask = keras.Input((height, width, 1), name="mask")
    h = layers.Concatenate(name="image_and_mask")([image, mask])
    map_sizes = []
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"enc_conv_{i}")(h)
        map_sizes.append((h.shape[1], h.shape[2]))
        h = layers.MaxPooling2D(2, padding="same", name=f"pool_{i}")(h)
    for i, f in enumerate(context):
        h = layers.Conv2D(f, 3, padding="same", dilation_rate=2 if i == 0 else 1, activation="relu",
                          name=f"context_{i}")(h)
    out_filters = list(reversed(filters[:-1])) + [channels]
    for step, i in enumerate(reversed(range(len(filters)))):
        last = step == len(filters) - 1
        h = crop_to(layers.UpSampling2D(2, name=f"upsample_{i}")(h), map_sizes[i])
        h = layers.Conv2D(out_filters[step], 3, padding="same", activation="sigmoid" if last else "relu",
                          name="guess" if last else f"dec_conv_{i}")(h)
    filled = (1.0 - mask) * image + mask * h  # known pixels exactly as given, the network's guess in the hole
    return keras.Model([image, mask], filled, name="inpainter")
