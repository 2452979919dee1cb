"""Classical unsupervised texture segmentation: k-means on per-pixel features.

The baselines that IIC's segmentation (lesson 17) is measured against, on grey images (n, h, w, 1):

* ``segment_intensity``: k-means on Gaussian-smoothed pixel intensities (the floor: on brightness-normalised
  textures it is near chance).
* ``segment_gabor``: k-means on Gabor-energy features, after Jain and Farrokhnia (1991), "Unsupervised texture
  segmentation using Gabor filters": a bank of complex Gabor filters (``skimage.filters.gabor_kernel``, a few
  frequencies x several orientations), the magnitude of each response (the local energy), smoothed by a Gaussian
  whose width grows with the filter's period, each feature standardised per image. No pixel coordinates are added
  (Jain and Farrokhnia append them; we keep the features position-free so that the regions' layout is not a cue).
* ``segment_lbp``: k-means on local histograms of rotation-invariant uniform local binary patterns (Ojala,
  Pietikainen and Maenpaa, 2002; ``skimage.feature.local_binary_pattern``) over a square window, Hellinger-mapped
  (square root of the frequencies) so that Euclidean k-means compares histograms sensibly.

Each takes images (n, h, w, 1) and ``k`` and returns int64 label maps (n, h, w). ``fit="image"`` (the default, the
classical setting) runs k-means on each image alone, so cluster ids mean nothing across images: score it with
``metrics.pixel_accuracy(..., per_image=True)``. ``fit="set"`` fits one k-means on pixels drawn from all images
(``SET_SAMPLE`` of them) and labels every pixel with it, so one matching over the set applies, as for IIC.
k-means is scikit-learn's, ``n_init=10``, on one thread (threads only contend on such small fits). The Gabor
filters run as FFT convolutions over the whole batch: the same responses as ``skimage.filters.gabor`` with
reflected borders (a test checks), much faster for the large low-frequency kernels.
"""

import numpy as np
from scipy import ndimage, signal
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from .validation import positive_int

SET_SAMPLE = 50_000           # pixels drawn from the whole set to fit k-means when fit="set"
# Settings chosen on TRAIN mosaics only (36 mosaics, 3 textures, 128 x 128, per-image k-means and matching),
# by pixel accuracy over a grid: Gabor frequency sets within 0.025-0.4, 3 or 6 orientations, smoothing 0.5-3
# periods or 6-20 pixels, with or without log energy (worse); intensity sigma 1-16 (all near chance);
# LBP scales (8, 1) / + (16, 2) / + (24, 3) and windows 11-81.
GABOR_FREQUENCIES = (0.025, 0.05, 0.1, 0.2, 0.4)   # cycles per pixel, octave-spaced as in Jain and Farrokhnia
GABOR_ORIENTATIONS = 6
GABOR_SMOOTHING = 2.0         # Gaussian sigma of the energy smoothing, in periods of the filter (1 / frequency)
INTENSITY_SIGMA = 16.0
LBP_SCALES = ((8, 1), (16, 2))
LBP_WINDOW = 41


def _grey(images):
    """Images (n, h, w, 1) -> float64 (n, h, w), checked."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 1 or min(images.shape[:3]) < 1:
        raise ValueError(f"`images` must be grey images of shape (n, h, w, 1), got {images.shape}.")
    if not np.all(np.isfinite(images)):
        raise ValueError("`images` holds NaN or infinity.")
    return images[..., 0].astype("float64")


def _fit_kmeans(features, k, fit, seed):
    """k-means on features (n, h, w, f) -> labels (n, h, w): per image, or one model for the whole set."""
    k = positive_int(k, "k")
    if fit not in ("image", "set"):
        raise ValueError(f"`fit` must be 'image' or 'set', got {fit!r}.")
    n, h, w, f = features.shape
    if k > h * w:
        raise ValueError(f"`k` must be at most the number of pixels per image ({h * w}), got {k}.")
    with threadpool_limits(1):   # small fits: threads only contend (20x slower on 2 busy cores)
        return _kmeans_labels(features, k, fit, seed)


def _kmeans_labels(features, k, fit, seed):
    n, h, w, f = features.shape
    if fit == "image":
        return np.stack([KMeans(k, n_init=10, random_state=seed).fit_predict(image.reshape(-1, f)).reshape(h, w)
                         for image in features]).astype("int64")
    flat = features.reshape(-1, f)
    rng = np.random.default_rng(seed)
    sample = flat[rng.choice(len(flat), size=min(SET_SAMPLE, len(flat)), replace=False)]
    model = KMeans(k, n_init=10, random_state=seed).fit(sample)
    return model.predict(flat).reshape(n, h, w).astype("int64")


def _standardise(features):
    """Each feature to zero mean and unit variance within each image (Jain and Farrokhnia's normalisation)."""
    mean = features.mean(axis=(1, 2), keepdims=True)
    std = features.std(axis=(1, 2), keepdims=True)
    return ((features - mean) / np.where(std > 0, std, 1)).astype("float32")


def intensity_features(images, sigma=INTENSITY_SIGMA):
    """Gaussian-smoothed intensity, one feature per pixel: (n, h, w, 1)."""
    x = _grey(images)
    return ndimage.gaussian_filter(x, (0, sigma, sigma), mode="reflect")[..., None].astype("float32")


def gabor_features(images, frequencies=GABOR_FREQUENCIES, orientations=GABOR_ORIENTATIONS,
                   smoothing=GABOR_SMOOTHING):
    """Gabor-energy features (Jain and Farrokhnia, 1991): (n, h, w, len(frequencies) * orientations).

    For each frequency f and orientation theta: the magnitude of the image convolved with the complex Gabor
    kernel ``skimage.filters.gabor_kernel(f, theta)`` (bandwidth 1 octave), smoothed by a Gaussian of sigma
    ``smoothing / f`` pixels, then standardised per image.
    """
    from skimage.filters import gabor_kernel

    x = _grey(images)
    orientations = positive_int(orientations, "orientations")
    if not len(frequencies) or any(not 0.01 <= f <= 0.5 for f in frequencies):
        raise ValueError(f"`frequencies` must be cycles per pixel in [0.01, 0.5], got {frequencies!r}.")
    features = []
    for f in frequencies:
        for theta in np.arange(orientations) * np.pi / orientations:
            kernel = gabor_kernel(f, theta=theta)
            ph, pw = kernel.shape[0] // 2, kernel.shape[1] // 2
            padded = np.pad(x, ((0, 0), (ph, ph), (pw, pw)), mode="symmetric")   # = ndimage "reflect"
            energy = np.abs(signal.fftconvolve(padded, kernel[None], mode="valid", axes=(1, 2)))
            s = smoothing / f
            features.append(ndimage.gaussian_filter(energy, (0, s, s), mode="reflect"))
    return _standardise(np.stack(features, axis=-1))


def lbp_features(images, scales=LBP_SCALES, window=LBP_WINDOW):
    """Local LBP histograms (Ojala et al., 2002): (n, h, w, sum(P + 2 over scales)), Hellinger-mapped.

    Rotation-invariant uniform codes (``method="uniform"``) at each (P, R) in ``scales``, counted over a
    ``window`` x ``window`` box around each pixel (as frequencies), then square-rooted.
    """
    from skimage.feature import local_binary_pattern

    x = _grey(images)
    window = positive_int(window, "window")
    codes8 = np.round(np.clip(x, 0, 1) * 255).astype("uint8")
    features = []
    for p, r in scales:
        codes = np.stack([local_binary_pattern(im, p, r, method="uniform") for im in codes8]).astype("int64")
        for c in range(p + 2):
            features.append(ndimage.uniform_filter((codes == c).astype("float32"), (1, window, window),
                                                   mode="reflect"))
    return np.sqrt(np.clip(np.stack(features, axis=-1), 0, None)).astype("float32")


def segment_intensity(images, k, sigma=INTENSITY_SIGMA, fit="image", seed=0):
    """k-means on smoothed raw intensities: label maps (n, h, w)."""
    return _fit_kmeans(intensity_features(images, sigma), k, fit, seed)


def segment_gabor(images, k, frequencies=GABOR_FREQUENCIES, orientations=GABOR_ORIENTATIONS,
                  smoothing=GABOR_SMOOTHING, fit="image", seed=0):
    """k-means on Gabor-energy features (Jain and Farrokhnia, 1991): label maps (n, h, w)."""
    return _fit_kmeans(gabor_features(images, frequencies, orientations, smoothing), k, fit, seed)


def segment_lbp(images, k, scales=LBP_SCALES, window=LBP_WINDOW, fit="image", seed=0):
    """k-means on local LBP histograms (Ojala et al., 2002): label maps (n, h, w)."""
    return _fit_kmeans(lbp_features(images, scales, window), k, fit, seed)
