"""Random views of small images for contrastive learning (SimCLR's augmentations, Chen et al. 2020, sec. 3).

One layer, batched in ``keras.ops`` and ``keras.random`` (so it runs inside the model on TensorFlow, JAX and
PyTorch): a random resized crop (a square of ``crop`` times the side, anywhere in the image, resized back to
the full size), an optional horizontal flip (off by default: a mirrored digit is another glyph), brightness and
contrast jitter, and Gaussian noise; the result is clipped to [0, 1]. The crop and flip are one affine warp
(:func:`unsuplab.iic.transforms.affine_rows`), much faster than chaining Keras' ``Random*`` layers.
"""

import keras
from keras import ops

from ..iic.transforms import affine_rows, jitter, warp
from ..validation import number_at_least


@keras.saving.register_keras_serializable(package="unsuplab")
class ContrastiveViews(keras.layers.Layer):
    """``views(x, training=True)``: one random view of each image, same shape and dtype, values in [0, 1].

    Random only when ``training`` is true (``fit`` passes it); at inference it returns its input unchanged,
    like Keras' ``Random*`` layers. ``crop=(low, high)``: the crop side as a fraction of the image side
    (``(1, 1)`` turns cropping off); ``brightness``, ``contrast`` as in :func:`~unsuplab.iic.transforms.jitter`;
    ``noise``: the standard deviation of added Gaussian noise.
    """

    def __init__(self, crop=(0.6, 1.0), flip=False, brightness=0.4, contrast=0.4, noise=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(crop, (tuple, list)) and len(crop) == 2):
            raise ValueError(f"`crop` must be a (low, high) fraction of the side, got {crop!r}.")
        low, high = float(crop[0]), float(crop[1])
        if not 0 < low <= high <= 1:
            raise ValueError(f"`crop` must satisfy 0 < low <= high <= 1, got {crop!r}.")
        self.crop, self.flip = (low, high), bool(flip)
        self.brightness = number_at_least(brightness, "brightness", 0.0)
        self.contrast = number_at_least(contrast, "contrast", 0.0)
        if self.contrast >= 1:
            raise ValueError(f"`contrast` must be below 1 (a factor in 1 +- contrast), got {contrast}.")
        self.noise = number_at_least(noise, "noise", 0.0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        dtype = images.dtype
        images = ops.cast(images, "float32")
        h, w = images.shape[1], images.shape[2]
        if h is None or w is None or h != w:
            raise ValueError(f"ContrastiveViews needs square images of known size, got shape {images.shape}.")
        out = images
        if self.crop != (1.0, 1.0) or self.flip:
            rows = affine_rows(ops.shape(images)[0], (h, w), h, self.crop, flip=self.flip, seed=self.seed_generator)
            out = warp(images, rows, h)
        if self.brightness or self.contrast:
            out = jitter(out, self.seed_generator, self.brightness, self.contrast)
        if self.noise:
            out = out + self.noise * keras.random.normal(ops.shape(out), seed=self.seed_generator)
        return ops.cast(ops.clip(out, 0.0, 1.0), dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "crop": self.crop, "flip": self.flip, "brightness": self.brightness,
                "contrast": self.contrast, "noise": self.noise, "seed": self.seed}
