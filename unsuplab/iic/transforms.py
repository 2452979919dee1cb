"""Content-keeping random perturbations ``g`` for IIC's pairs ``(x, g(x))`` (Ji et al., 2019, sec. 3.3).

Everything runs batched in ``keras.ops``: one ``keras.ops.image.affine_transform``
warps the whole batch with a random matrix per image (random crop of a
fraction of the side, rescale to the output size, rotation, shear, optional
horizontal flip), then brightness/contrast (and for colour, saturation) jitter.
This is 30-100x faster than chaining Keras' random preprocessing layers.

An affine row ``[a0, a1, a2, b0, b1, b2, 0, 0]`` maps an output pixel ``(x, y)`` to
the input point ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``; we build it as
``input = centre + shift + s R(theta) H(shear) (output - output_centre)``, with
``s = crop side / output side``, warp on the input's grid and keep the top-left
``output_size`` square.
"""

import math

import keras
from keras import ops

from ..validation import positive_int


def _check_size(images, out_size):
    h, w = images.shape[1], images.shape[2]
    if h is None or w is None:
        raise ValueError("`images` need a known height and width.")
    if out_size > min(h, w):
        raise ValueError(f"`out_size` must be at most the image side {min(h, w)}, got {out_size}.")
    return h, w


def affine_rows(n, in_hw, out_size, crop, rotation=0.0, shear=0.0, flip=False, shift=True, seed=None,
                random=True):
    """(n, 8) affine rows for ``affine_transform``: random crops and warps of an ``in_hw`` image.

    ``crop`` is a fraction of the input side (a number, or a ``(low, high)`` range drawn
    per image); ``rotation`` and ``shear`` are maxima in degrees; the crop centre moves
    at random inside the image when ``shift``; ``flip`` mirrors half the images.
    ``seed`` has Keras' meaning (an int, a ``SeedGenerator``, or ``None``: unseeded, not
    reproducible). ``random=False`` gives the deterministic centre view instead: every range at
    its midpoint, no shift, no flip (what :func:`centre_view` uses).
    """
    h, w = in_hw
    side = float(min(h, w))
    lo, hi = (crop, crop) if isinstance(crop, (int, float)) else crop

    def uniform(low, high):
        if low == high or not random:
            return ops.full((n,), (low + high) / 2.0)
        return keras.random.uniform((n,), low, high, seed=seed)

    crop_side = uniform(lo * side, hi * side)
    scale = crop_side / float(out_size)
    theta = uniform(-rotation, rotation) * (math.pi / 180.0)
    sh = ops.tan(uniform(-shear, shear) * (math.pi / 180.0))
    if shift and random:
        room = (side - crop_side) / 2.0
        dx, dy = uniform(-1.0, 1.0) * room, uniform(-1.0, 1.0) * room
    else:
        dx = dy = ops.zeros((n,))
    mirror = ops.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0) if (flip and random) else ops.ones((n,))
    cos, sin = ops.cos(theta), ops.sin(theta)
    # M = s R H F, with H = [[1, sh], [0, 1]] and F = diag(mirror, 1)
    m00, m01 = scale * cos * mirror, scale * (cos * sh - sin)
    m10, m11 = scale * sin * mirror, scale * (sin * sh + cos)
    oc = (out_size - 1) / 2.0
    cx, cy = (w - 1) / 2.0 + dx, (h - 1) / 2.0 + dy
    a2 = cx - (m00 + m01) * oc
    b2 = cy - (m10 + m11) * oc
    zero = ops.zeros((n,))
    return ops.stack([m00, m01, a2, m10, m11, b2, zero, zero], axis=1)


def warp(images, rows, out_size):
    """Apply per-image affine ``rows`` (n, 8) to ``images`` (n, H, W, C); keep the top-left ``out_size`` square."""
    out = ops.image.affine_transform(images, rows, interpolation="bilinear", fill_mode="constant",
                                     fill_value=0.0, data_format="channels_last")
    return out[:, :out_size, :out_size, :]


def centre_view(images, out_size, crop=20 / 28):
    """The evaluation view: a centre crop of ``crop`` times the side, resized to ``out_size`` (no randomness)."""
    images = ops.convert_to_tensor(images, "float32")
    h, w = _check_size(images, out_size)
    rows = affine_rows(ops.shape(images)[0], (h, w), out_size, crop, random=False)
    return warp(images, rows, out_size)


def jitter(images, seed, brightness=0.4, contrast=0.4, saturation=0.0):
    """Random brightness (additive, up to ``brightness``/2), contrast (factor in 1 +- ``contrast``)
    and, for colour images, saturation (mix with grey); clipped to [0, 1]."""
    n = ops.shape(images)[0]
    shape = (n, 1, 1, 1)
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    c = keras.random.uniform(shape, 1.0 - contrast, 1.0 + contrast, seed=seed)
    b = keras.random.uniform(shape, -brightness / 2.0, brightness / 2.0, seed=seed)
    images = (images - mean) * c + mean + b
    if saturation and images.shape[-1] == 3:
        grey = ops.mean(images, axis=-1, keepdims=True)
        s = keras.random.uniform(shape, 1.0 - saturation, 1.0 + saturation, seed=seed)
        images = grey + (images - grey) * s
    return ops.clip(images, 0.0, 1.0)


def sobel(images):
    """Sobel gradients (x, y) of the grey image, 2 channels (the paper's colour-image preprocessing)."""
    grey = ops.mean(images, axis=-1, keepdims=True)
    gx = ops.convert_to_tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernel = ops.stack([gx, ops.transpose(gx)], axis=-1)[:, :, None, :]  # (3, 3, 1, 2)
    return ops.conv(grey, kernel, padding="same")


@keras.saving.register_keras_serializable(package="unsuplab")
class PairViews(keras.layers.Layer):
    """Makes IIC's views of a batch: ``x`` (one mild random crop per image) and ``g(x)``
    (``repeats`` strong perturbations per image, the paper's sample repeats).

    Returns ``(views_x, views_gx)`` with shapes (n, s, s, C) and (repeats * n, s, s, C);
    ``views_gx[j * n + i]`` is a perturbation of image ``i``. Like Keras' ``Random*`` layers it is
    random only when ``training`` is true (``fit`` passes it; call ``views(x, training=True)`` to
    draw pairs by hand); at inference both outputs are the deterministic :meth:`evaluation_view`,
    the second repeated ``repeats`` times, so shapes do not depend on the mode. Defaults follow the authors'
    MNIST setting: ``x`` a crop of 20/28 resized, ``g(x)`` crops of 16/28 to 24/28,
    rotation up to 25 degrees, contrast/brightness 0.4; ``colour=True`` adds flips and
    saturation jitter, ``use_sobel=True`` replaces pixels by Sobel gradients.
    """

    def __init__(self, out_size=24, repeats=5, crop_x=(0.7, 0.75), crop_g=(0.57, 0.86), rotation=25.0,
                 shear=10.0, brightness=0.4, contrast=0.4, saturation=0.4, colour=False, use_sobel=False,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.out_size = positive_int(out_size, "out_size", minimum=4)
        self.repeats = positive_int(repeats, "repeats")
        self.crop_x, self.crop_g = tuple(crop_x), tuple(crop_g)
        for name, (lo, hi) in (("crop_x", self.crop_x), ("crop_g", self.crop_g)):
            if not 0 < lo <= hi <= 1:
                raise ValueError(f"`{name}` must be a (low, high) fraction of the side with 0 < low <= high <= 1, "
                                 f"got {(lo, hi)}.")
        self.rotation, self.shear = float(rotation), float(shear)
        self.brightness, self.contrast, self.saturation = float(brightness), float(contrast), float(saturation)
        self.colour, self.use_sobel, self.seed = bool(colour), bool(use_sobel), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _views(self, images, crop, strong):
        hw = _check_size(images, self.out_size)
        n = ops.shape(images)[0]
        rows = affine_rows(n, hw, self.out_size, crop, self.rotation if strong else 0.0,
                           self.shear if strong else 0.0, flip=self.colour, seed=self.seed_generator)
        out = warp(images, rows, self.out_size)
        if strong:
            out = jitter(out, self.seed_generator, self.brightness, self.contrast,
                         self.saturation if self.colour else 0.0)
        return sobel(out) if self.use_sobel else out

    def call(self, images, training=None):
        if not training:
            x = self.evaluation_view(images)
            return x, ops.tile(x, (self.repeats, 1, 1, 1))
        x = self._views(images, self.crop_x, strong=False)
        tiled = ops.tile(images, (self.repeats, 1, 1, 1))
        return x, self._views(tiled, self.crop_g, strong=True)

    def evaluation_view(self, images, crop=None):
        """The deterministic centre view used for prediction."""
        crop = sum(self.crop_x) / 2.0 if crop is None else crop
        out = centre_view(images, self.out_size, crop)
        return sobel(out) if self.use_sobel else out

    def compute_output_shape(self, input_shape):
        n, c = input_shape[0], (2 if self.use_sobel else input_shape[-1])
        s = self.out_size
        return (n, s, s, c), (None if n is None else n * self.repeats, s, s, c)

    def get_config(self):
        config = super().get_config()
        config.update(out_size=self.out_size, repeats=self.repeats, crop_x=self.crop_x, crop_g=self.crop_g,
                      rotation=self.rotation, shear=self.shear, brightness=self.brightness,
                      contrast=self.contrast, saturation=self.saturation, colour=self.colour,
                      use_sobel=self.use_sobel, seed=self.seed)
        return config
