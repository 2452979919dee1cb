"""Convolutional autoencoders: Conv + max-pooling encoder, and three decoders to compare.

* ``decoder="unpool"``: max-unpooling at the positions the matching pooling layer recorded
  (the "switches" of Zeiler and Fergus, 2014; SegNet, Badrinarayanan et al., 2017; stacked
  what-where AE, Zhao et al., 2016), then a convolution.
* ``decoder="upsample"``: nearest-neighbour upsampling, then a convolution.
* ``decoder="transpose"``: a stride-2 transposed convolution (Dumoulin and Visin, 2016).

All three have the same code (the last feature map, or a dense bottleneck of ``code_size``)
and the same number of convolutions. With ``"unpool"`` the decoder also receives the switches:
the "where" that the code (the "what") does not hold.
"""

import keras
from keras import layers

from ..layers import MaxPoolingWithArgmax2D, MaxUnpooling2D
from ..validation import positive_int
from .base import Autoencoder
from .blocks import check_activation, check_shape, check_units, crop_to, image_input, sizes

DECODERS = ("unpool", "upsample", "transpose")


@keras.saving.register_keras_serializable(package="unsuplab")
class SwitchAutoencoder(Autoencoder):
    """Autoencoder whose decoder also takes the pooling switches: ``x_hat = decoder([code, *switches])``.

    ``pooling_encoder`` maps ``x -> [code, switches_1, ...]``; ``.encoder`` is the view ``x -> code``
    (same layers, same weights) and ``.decoder`` takes ``[code, switches_1, ...]``.
    """

    _parts = ("pooling_encoder", "decoder")

    def __init__(self, pooling_encoder, decoder, **kwargs):
        encoder = keras.Model(pooling_encoder.input, pooling_encoder.outputs[0], name="encoder")
        super().__init__(encoder, decoder, **kwargs)
        self.pooling_encoder = pooling_encoder

    def call(self, inputs, training=None):
        return self.decoder(self.pooling_encoder(inputs, training=training), training=training)

    def encode_with_switches(self, x, batch_size=256):
        """``[code, switches_1, ...]`` of ``x`` as NumPy arrays."""
        return self.pooling_encoder.predict(x, batch_size=batch_size, verbose=0)


def build_conv_autoencoder(input_shape=(28, 28, 1), filters=(32, 64), code_size=None, decoder="unpool",
                           kernel_size=3, activation="relu", output_activation="sigmoid", pool_size=2,
                           name=None, corruption=None):
    """Conv autoencoder: ``[Conv(f) -> MaxPool] for f in filters``, then a mirrored decoder.

    Sizes pool with ceil, so odd sizes round-trip (28 -> 14 -> 7 -> 4 -> 7 -> 14 -> 28).
    ``code_size=None``: the code is the last feature map; an int adds a dense bottleneck.
    ``decoder`` is ``"unpool"`` (returns a :class:`SwitchAutoencoder`), ``"upsample"`` or ``"transpose"``.
    """
    input_shape = check_shape(input_shape, rank=3)
    filters = sizes(filters, "filters")
    check_activation(activation)
    check_activation(output_activation, "output_activation")
    if not filters:
        raise ValueError("`filters` must name at least one convolution block, got ().")
    if decoder not in DECODERS:
        raise ValueError(f"`decoder` must be one of {DECODERS}, got {decoder!r}.")
    pool_size = positive_int(pool_size, "pool_size", minimum=2)
    kernel_size = positive_int(kernel_size, "kernel_size")
    height, width, channels = input_shape
    need = pool_size ** len(filters)
    if height < need or width < need:
        raise ValueError(f"`input_shape` {input_shape} is too small for {len(filters)} pooling blocks of size "
                         f"{pool_size} (needs height and width >= {need}); use fewer `filters`.")
    if code_size is not None:
        code_size = check_units(code_size, "code_size")
    name = name or f"conv_autoencoder_{decoder}"

    # encoder
    x, h = image_input(input_shape, corruption)
    map_sizes, switches = [], []
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, kernel_size, padding="same", activation=activation, name=f"enc_conv_{i}")(h)
        map_sizes.append((h.shape[1], h.shape[2]))
        if decoder == "unpool":
            h, s = MaxPoolingWithArgmax2D(pool_size, name=f"pool_{i}")(h)
            switches.append(s)
        else:
            h = layers.MaxPooling2D(pool_size, padding="same", name=f"pool_{i}")(h)
    map_shape = tuple(h.shape[1:])
    code = h if code_size is None else layers.Dense(code_size, name="code")(layers.Flatten()(h))
    encoder_outputs = [code, *switches] if decoder == "unpool" else code
    encoder = keras.Model(x, encoder_outputs, name="pooling_encoder" if decoder == "unpool" else "encoder")

    # decoder: one upsampling step and one convolution per block, in reverse
    z = keras.Input(tuple(code.shape[1:]), name="code_in")
    switch_inputs = [keras.Input(tuple(s.shape[1:]), dtype="int32", name=f"switches_{i}")
                     for i, s in enumerate(switches)]
    h = z
    if code_size is not None:
        h = layers.Dense(map_shape[0] * map_shape[1] * map_shape[2], activation=activation, name="from_code")(h)
        h = layers.Reshape(map_shape)(h)
    out_filters = list(reversed(filters[:-1])) + [channels]
    for step, i in enumerate(reversed(range(len(filters)))):
        last = step == len(filters) - 1
        f, act = out_filters[step], (output_activation if last else activation)
        if decoder == "transpose":
            h = layers.Conv2DTranspose(f, kernel_size, strides=pool_size, padding="same", activation=act,
                                       name=f"dec_tconv_{i}")(h)
            h = crop_to(h, map_sizes[i])
            continue
        if decoder == "unpool":
            h = MaxUnpooling2D(pool_size, size=map_sizes[i], name=f"unpool_{i}")([h, switch_inputs[i]])
        else:
            h = crop_to(layers.UpSampling2D(pool_size, name=f"upsample_{i}")(h), map_sizes[i])
        h = layers.Conv2D(f, kernel_size, padding="same", activation=act, name=f"dec_conv_{i}")(h)
    decoder_model = keras.Model([z, *switch_inputs] if switches else z, h, name="decoder")
    if decoder == "unpool":
        return SwitchAutoencoder(encoder, decoder_model, name=name)
    return Autoencoder(encoder, decoder_model, name=name)
