"""Image degradations for the application lessons (NumPy, seeded), and their classical baselines.

* :func:`corrupt`: the one NumPy implementation of the denoising corruptions (``gaussian``,
  ``salt_pepper``, ``mask_pixels``, ``mask_squares``); :class:`unsuplab.layers.Corruption` is its
  in-model, training-only twin and is tested against it.
* :func:`add_gaussian_noise`: ``x + factor * N(0, 1)``, clipped to [0, 1] (the Keras blog's noise factor 0.5).
* :func:`random_square_mask`: blank one random square per image; returns the image and the mask.
* ``to_gray`` / ``gray_to_rgb`` / ``rgb_to_lab`` / ``lab_to_rgb``: colour helpers (``skimage.color``).
* ``downsample`` / ``bicubic_upsample``: the low-resolution input and its bicubic baseline, both through
  ``resize_each`` (``skimage.transform.resize``, image by image).
"""

import numpy as np

from .validation import as_images, positive_int

CORRUPTIONS = ("gaussian", "salt_pepper", "mask_pixels", "mask_squares")


def check_corruption(kind, amount, square_size, amount_name="amount", size_name="square_size"):
    """``(kind, amount, square_size)`` checked: a known kind, ``amount`` >= 0 (<= 1 for fractions), a positive size."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"`kind` must be one of {CORRUPTIONS}, got {kind!r}.")
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{amount_name}` must be a number, got {amount!r}.")
    amount = float(amount)
    if not np.isfinite(amount) or amount < 0 or (kind != "gaussian" and amount > 1):
        limit = ">= 0 (the noise's standard deviation)" if kind == "gaussian" else "in [0, 1] (a fraction of pixels)"
        raise ValueError(f"`{amount_name}` must be {limit} for kind={kind!r}, got {amount}.")
    return kind, amount, positive_int(square_size, size_name)


def square_masks(n, height, width, size, rng, size_name="square_size"):
    """Boolean (n, height, width, 1) masks, True inside one random ``size`` x ``size`` square per image."""
    if size > min(height, width):
        raise ValueError(f"`{size_name}` must be at most the image side {min(height, width)}, got {size}.")
    rows = rng.integers(0, height - size + 1, n)
    cols = rng.integers(0, width - size + 1, n)
    mask = np.zeros((n, height, width, 1), bool)
    for i, (r, c) in enumerate(zip(rows, cols)):
        mask[i, r:r + size, c:c + size] = True
    return mask


def corrupt(x, kind="gaussian", amount=0.5, seed=0, square_size=10, clip=True):
    """A corrupted float32 copy of images ``x`` (denoising AE, Vincent et al., 2008), seeded.

    ``gaussian``: ``x + amount * N(0, 1)``, clipped to [0, 1] unless ``clip=False``; ``salt_pepper``: a
    fraction ``amount`` of values set to 0 or 1 (half each); ``mask_pixels``: a fraction ``amount`` of pixels
    (all channels) set to 0; ``mask_squares``: one ``square_size`` square per image set to 0 (Pathak et al., 2016).
    """
    x = as_images(x, "x")
    kind, amount, square_size = check_corruption(kind, amount, square_size)
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        noisy = x + np.float32(amount) * rng.standard_normal(x.shape).astype("float32")
        return np.clip(noisy, 0.0, 1.0) if clip else noisy
    out = x.copy()
    if kind == "salt_pepper":
        hit = rng.random(x.shape) < amount
        out[hit] = (rng.random(x.shape) < 0.5)[hit]
    elif kind == "mask_pixels":
        out *= rng.random(x.shape[:-1] + (1,)) >= amount
    else:
        out[np.broadcast_to(square_masks(len(x), x.shape[1], x.shape[2], square_size, rng), x.shape)] = 0.0
    return out


def add_gaussian_noise(x, factor=0.5, seed=0, clip=True):
    """``x + factor * eps`` with ``eps ~ N(0, 1)`` per pixel, clipped to [0, 1] unless ``clip=False``.

    :func:`corrupt` with ``kind="gaussian"`` (same draws for the same seed).
    """
    check_corruption("gaussian", factor, 1, amount_name="factor")
    return corrupt(x, "gaussian", factor, seed=seed, clip=clip)


def random_square_mask(x, size=10, seed=0, fill=0.0):
    """Blank one ``size`` x ``size`` square at a random place in each image.

    Returns ``(x_masked, mask)``; ``mask`` is boolean (N, H, W, 1), True inside the square. With ``fill=0``
    the image is :func:`corrupt` with ``kind="mask_squares"`` (same squares for the same seed).
    """
    x = as_images(x, "x")
    size = positive_int(size, "size")
    mask = square_masks(len(x), x.shape[1], x.shape[2], size, np.random.default_rng(seed), size_name="size")
    return np.where(mask, np.float32(fill), x).astype("float32"), mask


def to_gray(x):
    """RGB images -> luminance (N, H, W, 1), Y = 0.2125 R + 0.7154 G + 0.0721 B (``skimage.color.rgb2gray``)."""
    x = as_images(x, "x", channels=3)
    from skimage import color

    return color.rgb2gray(x, channel_axis=-1)[..., None].astype("float32")


def gray_to_rgb(gray):
    """(N, H, W, 1) -> (N, H, W, 3) by repeating the channel: the colourisation baseline."""
    gray = as_images(gray, "gray", channels=1)
    return np.repeat(gray, 3, axis=-1)


def rgb_to_lab(x):
    """RGB in [0, 1] -> CIE Lab (L in [0, 100], a and b roughly in [-128, 127])."""
    x = as_images(x, "x", channels=3)
    from skimage import color

    return color.rgb2lab(x, channel_axis=-1).astype("float32")


def lab_to_rgb(lab):
    """CIE Lab -> RGB in [0, 1] (out-of-gamut colours are clipped)."""
    lab = as_images(lab, "lab", channels=3, value_range=None)
    from skimage import color

    return np.clip(color.lab2rgb(lab.astype("float64"), channel_axis=-1), 0, 1).astype("float32")


def split_lab(x):
    """RGB -> ``(L / 100, ab / 128)``: lightness in [0, 1] and colour roughly in [-1, 1], the
    scaled input and target of a colorizer (Zhang et al., 2016 predict ``ab`` from ``L``)."""
    lab = rgb_to_lab(x)
    return lab[..., :1] / 100.0, lab[..., 1:] / 128.0


def join_lab(lightness, ab):
    """The inverse of :func:`split_lab`: scaled ``L`` (n, h, w, 1) and ``ab`` (n, h, w, 2) -> RGB in [0, 1]."""
    lightness, ab = np.asarray(lightness, "float32"), np.asarray(ab, "float32")
    if lightness.shape[:-1] != ab.shape[:-1] or lightness.shape[-1:] != (1,) or ab.shape[-1:] != (2,):
        raise ValueError(f"`lightness` must be (..., 1) and `ab` (..., 2) with the same leading shape, "
                         f"got {lightness.shape} and {ab.shape}.")
    return lab_to_rgb(np.concatenate([lightness * 100.0, ab * 128.0], axis=-1))


def resize_each(x, shape, order=1, anti_aliasing=False):
    """Each image of ``x`` (n, h, w, c) resized to ``shape`` (h', w', c), float32: ``skimage.transform.resize``
    with spline ``order`` (1 bilinear, 3 bicubic), edges reflected."""
    from skimage import transform

    return np.stack([transform.resize(im, shape, order=order, anti_aliasing=anti_aliasing,
                                      mode="reflect") for im in x]).astype("float32")


def downsample(x, factor):
    """Shrink each image by an integer ``factor`` with anti-aliasing; the side must divide by it."""
    x = as_images(x, "x")
    factor = positive_int(factor, "factor", minimum=2)
    n, h, w, c = x.shape
    if h % factor or w % factor:
        raise ValueError(f"the image side ({h}x{w}) must be divisible by `factor`={factor}.")
    return np.clip(resize_each(x, (h // factor, w // factor, c), 1, True), 0, 1)


def bicubic_upsample(x_low, factor):
    """Enlarge each image by ``factor`` with bicubic interpolation: the super-resolution baseline."""
    x_low = as_images(x_low, "x_low")
    factor = positive_int(factor, "factor", minimum=2)
    n, h, w, c = x_low.shape
    return np.clip(resize_each(x_low, (h * factor, w * factor, c), 3, False), 0, 1)
