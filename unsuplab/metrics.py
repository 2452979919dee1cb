"""Metrics for the application lessons, as thin wrappers over scikit-image and scikit-learn.

Images are float arrays (N, H, W, C) in [0, 1]; every image metric is the mean
over the images of the per-image value (the usual way PSNR tables are reported).

* ``psnr``: 10 log10(1 / MSE) (``skimage.metrics.peak_signal_noise_ratio``).
* ``ssim``: structural similarity (Wang et al., 2004; ``skimage.metrics.structural_similarity``).
* ``masked_psnr``: PSNR over the pixels inside a mask only (inpainting).
* ``colourfulness``: Hasler and Suesstrunk (2003), M = sigma_rgyb + 0.3 mu_rgyb.
* ``one_class_aurocs``: each class in turn normal, the rest anomalous; AUROC per class
  (``sklearn.metrics.roc_auc_score``).
* ``mean_average_precision`` / ``precision_at_k``: retrieval by label.
"""

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from sklearn.metrics import average_precision_score, roc_auc_score

from .validation import as_images, labels as as_labels, positive_int


def _pair(reference, estimate):
    reference = as_images(reference, "reference")
    estimate = as_images(estimate, "estimate", value_range=None)
    if reference.shape != estimate.shape:
        raise ValueError(f"`reference` and `estimate` must have the same shape, got {reference.shape} "
                         f"and {estimate.shape}.")
    return reference.astype("float64"), np.clip(estimate, 0.0, 1.0).astype("float64")


def psnr_per_image(reference, estimate):
    """PSNR in dB of each image, data range 1 (estimates are clipped to [0, 1] first)."""
    reference, estimate = _pair(reference, estimate)
    out = np.empty(len(reference))
    for i, (r, e) in enumerate(zip(reference, estimate)):
        out[i] = 100.0 if np.array_equal(r, e) else peak_signal_noise_ratio(r, e, data_range=1.0)
    return out


def psnr(reference, estimate):
    """Mean PSNR in dB over the images: 10 log10(1 / MSE), data range 1."""
    return float(np.mean(psnr_per_image(reference, estimate)))


def ssim(reference, estimate):
    """Mean SSIM over the images (Wang et al., 2004), 7x7 window (smaller for tiny images)."""
    reference, estimate = _pair(reference, estimate)
    side = min(reference.shape[1:3])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        raise ValueError(f"SSIM needs images of at least 3x3 pixels, got shape {reference.shape}.")
    values = [structural_similarity(r, e, data_range=1.0, channel_axis=-1, win_size=win)
              for r, e in zip(reference, estimate)]
    return float(np.mean(values))


def masked_psnr(reference, estimate, mask):
    """Mean PSNR (dB) over the pixels where ``mask`` is True, image by image (inpainting)."""
    reference, estimate = _pair(reference, estimate)
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"`mask` must be a boolean array, got dtype {mask.dtype}.")
    try:
        mask = np.broadcast_to(mask, reference.shape)
    except ValueError:
        raise ValueError(f"`mask` of shape {mask.shape} does not fit images of shape {reference.shape}.") from None
    if not np.all(mask.reshape(len(mask), -1).any(axis=1)):
        raise ValueError("`mask` must mark at least one pixel in every image.")
    values = []
    for r, e, m in zip(reference, estimate, mask):
        a, b = r[m], e[m]
        values.append(100.0 if np.array_equal(a, b) else peak_signal_noise_ratio(a, b, data_range=1.0))
    return float(np.mean(values))


def colourfulness(images):
    """Colourfulness of each RGB image (Hasler and Suesstrunk, 2003), on the 0-255 scale.

    rg = R - G, yb = (R + G) / 2 - B, M = sqrt(s_rg^2 + s_yb^2) + 0.3 sqrt(m_rg^2 + m_yb^2).
    A gray image scores 0; the paper calls about 33 "moderately" and 59 "quite" colourful.
    """
    x = as_images(images, "images", channels=3).astype("float64") * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg, yb = (r - g).reshape(len(x), -1), (0.5 * (r + g) - b).reshape(len(x), -1)
    spread = np.sqrt(rg.std(axis=1) ** 2 + yb.std(axis=1) ** 2)
    centre = np.sqrt(rg.mean(axis=1) ** 2 + yb.mean(axis=1) ** 2)
    return spread + 0.3 * centre


def auroc(scores, is_anomaly):
    """Area under the ROC curve of anomaly ``scores`` (higher = more anomalous)."""
    scores = np.asarray(scores, dtype="float64")
    is_anomaly = np.asarray(is_anomaly)
    if scores.ndim != 1 or scores.shape != is_anomaly.shape:
        raise ValueError(f"`scores` and `is_anomaly` must be 1-D of the same length, got {scores.shape} "
                         f"and {is_anomaly.shape}.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("`scores` contains NaN or infinite values.")
    if len(np.unique(is_anomaly)) != 2:
        raise ValueError("`is_anomaly` must contain both normal (0) and anomalous (1) samples.")
    return float(roc_auc_score(is_anomaly.astype(int), scores))


def one_class_aurocs(score_fn, x_train, y_train, x_test, y_test, classes=None):
    """The one-class protocol: each class in turn is normal, all other classes anomalous.

    ``score_fn(x_normal_train, x_test) -> scores`` trains on the normal training
    images only and returns one anomaly score per test image. Returns
    ``{class: AUROC}``; report its mean over classes.
    """
    y_train = as_labels(y_train, "y_train", len(x_train))
    y_test = as_labels(y_test, "y_test", len(x_test))
    classes = np.unique(y_train) if classes is None else list(classes)
    out = {}
    for c in classes:
        normal = x_train[y_train == c]
        if len(normal) == 0:
            raise ValueError(f"class {c} has no training images in `y_train`.")
        scores = np.asarray(score_fn(normal, x_test)).reshape(-1)
        out[int(c)] = auroc(scores, y_test != c)
    return out


def threshold_at_fpr(normal_scores, fpr):
    """The score threshold that flags a fraction ``fpr`` of normal samples (the (1 - fpr) quantile)."""
    if not 0.0 <= float(fpr) <= 1.0:
        raise ValueError(f"`fpr` must lie in [0, 1], got {fpr}.")
    normal_scores = np.asarray(normal_scores, dtype="float64").reshape(-1)
    if normal_scores.size == 0:
        raise ValueError("`normal_scores` is empty.")
    return float(np.quantile(normal_scores, 1.0 - float(fpr)))


def _retrieval_inputs(distances, query_labels, database_labels):
    distances = np.asarray(distances, dtype="float64")
    if distances.ndim != 2:
        raise ValueError(f"`distances` must be a (queries, database) matrix, got shape {distances.shape}.")
    query_labels = as_labels(query_labels, "query_labels", distances.shape[0])
    database_labels = as_labels(database_labels, "database_labels", distances.shape[1])
    return distances, query_labels, database_labels


def precision_at_k(distances, query_labels, database_labels, k=10):
    """Mean fraction of each query's ``k`` nearest database items that share its label.

    Ties in distance are broken by database order (a stable sort).
    """
    distances, query_labels, database_labels = _retrieval_inputs(distances, query_labels, database_labels)
    k = positive_int(k, "k")
    if k > distances.shape[1]:
        raise ValueError(f"`k` must be at most the database size {distances.shape[1]}, got {k}.")
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return float(np.mean(database_labels[nearest] == query_labels[:, None]))


def mean_average_precision(distances, query_labels, database_labels):
    """Mean over queries of the average precision of the ranking by distance (relevant = same label).

    Uses ``sklearn.metrics.average_precision_score`` with score = -distance, so tied
    distances (common with Hamming codes) are counted as one threshold, not in an arbitrary order.
    """
    distances, query_labels, database_labels = _retrieval_inputs(distances, query_labels, database_labels)
    values = []
    for d, q in zip(distances, query_labels):
        relevant = database_labels == q
        if relevant.any():
            values.append(average_precision_score(relevant, -d))
    if not values:
        raise ValueError("no query has a relevant item in the database (no shared labels).")
    return float(np.mean(values))
