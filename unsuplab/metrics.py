"""Every score the course reports, in one place, as thin wrappers over scikit-image and scikit-learn.

Images are float arrays (N, H, W, C) in [0, 1]; every image metric is the mean
over the images of the per-image value (the usual way PSNR tables are reported).
Every function checks its input and raises an error naming the argument for empty
input, NaN or infinity, instead of returning a silent NaN.

Reconstruction and images

* ``mse``: mean squared error over all values.
* ``psnr``: 10 log10(1 / MSE) (``skimage.metrics.peak_signal_noise_ratio``).
* ``ssim``: structural similarity (Wang et al., 2004; ``skimage.metrics.structural_similarity``).
* ``masked_psnr``: PSNR over the pixels inside a mask only (inpainting).
* ``colourfulness``: Hasler and Suesstrunk (2003), M = sigma_rgyb + 0.3 mu_rgyb.

Anomaly detection

* ``auroc``, ``one_class_aurocs``: each class in turn normal, the rest anomalous; AUROC per class
  (``sklearn.metrics.roc_auc_score``); ``threshold_at_fpr``; ``combine_scores``, an ensemble of detectors.

Retrieval

* ``mean_average_precision`` / ``precision_at_k``: retrieval by label from a distance matrix.

Recommendation

* ``masked_rmse``: RMSE over the observed ratings only.

Clustering against labels

* ``cluster_accuracy``: accuracy after the best one-to-one matching of clusters to classes
  (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``), as in IIC's Table 1;
  ``best_matching``, ``matched_confusion``, ``contingency``.
* ``nmi`` / ``ari``: scikit-learn's normalised mutual information and adjusted Rand index.
* ``many_to_one``: each cluster mapped to the majority class of a small labelled subset
  (IIC's semi-supervised overclustering, Ji et al., 2019, sec. 4.2).
* ``size_entropy``: entropy of the cluster sizes over ``ln k`` (1 = balanced, 0 = one cluster);
  ``collapsed`` flags a collapse to a few clusters; ``cluster_scores`` gives them all.

Segmentation against label maps (n, h, w)

* ``pixel_accuracy`` / ``mean_iou``: after the Hungarian matching of clusters to classes over all pixels
  (IIC's segmentation score), or per image (``per_image=True``) for clusterings fitted per image;
  ``matched_segmentation`` gives the matched maps themselves; ``border_distance`` how far each pixel
  lies from a border between two classes, to see where the wrong pixels are.

Cluster and class ids may be any non-negative integers (``[0, 10**9]`` is fine): they are
relabelled to 0..n-1 before any table is built.
"""

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from scipy.stats import entropy
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from sklearn.metrics import (
    adjusted_rand_score,
    average_precision_score,
    confusion_matrix,
    normalized_mutual_info_score,
    roc_auc_score,
)
from sklearn.metrics.cluster import contingency_matrix

from .validation import as_images, positive_int
from .validation import labels as as_labels


def _finite(values, name):
    """``values`` as a non-empty float64 array without NaN or infinity, or a clear error."""
    try:
        values = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must hold numbers.") from None
    if values.size == 0:
        raise ValueError(f"`{name}` is empty.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return values


def mse(a, b):
    """Mean squared error over all values, as a float."""
    a, b = _finite(a, "a"), _finite(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: `a` {a.shape} vs `b` {b.shape}.")
    return float(np.mean((a - b) ** 2))


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
    scores = _finite(scores, "scores")
    is_anomaly = np.asarray(is_anomaly)
    if scores.ndim != 1 or scores.shape != is_anomaly.shape:
        raise ValueError(f"`scores` and `is_anomaly` must be 1-D of the same length, got {scores.shape} "
                         f"and {is_anomaly.shape}.")
    if is_anomaly.dtype.kind not in "biuf" or not np.isin(is_anomaly, (0, 1)).all():
        raise ValueError("`is_anomaly` must hold 0 (normal) / 1 (anomalous) or booleans, "
                         f"got values {np.unique(is_anomaly)[:5]}.")
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


def combine_scores(scores, normal_scores):
    """Several detectors' scores as one: ``sum_d s_d(x) / median(s_d(normal))``.

    ``scores`` and ``normal_scores`` are lists with one array per detector: its scores of the images to rank
    and of normal images (the training images will do). Dividing by the normal median puts every detector on
    the same scale (1 = a typical normal image), so none dominates because its error is measured in other
    units; detectors that miss different anomalies then cover for each other.
    """
    if len(scores) != len(normal_scores) or len(scores) == 0:
        raise ValueError(f"`scores` and `normal_scores` must be lists of the same, non-zero length (one array per "
                         f"detector), got {len(scores)} and {len(normal_scores)}.")
    total = 0.0
    for d, (s, n) in enumerate(zip(scores, normal_scores)):
        s, n = _finite(s, f"scores[{d}]").reshape(-1), _finite(n, f"normal_scores[{d}]").reshape(-1)
        scale = np.median(n)
        if not scale > 0:
            raise ValueError(f"`normal_scores[{d}]` must have a median > 0 to scale by, got {scale}.")
        if d and len(s) != len(total):
            raise ValueError(f"`scores[{d}]` has {len(s)} scores, `scores[0]` {len(total)}.")
        total = total + s / scale
    return total


def threshold_at_fpr(normal_scores, fpr):
    """The score threshold that flags a fraction ``fpr`` of normal samples (the (1 - fpr) quantile)."""
    if not 0.0 <= float(fpr) <= 1.0:
        raise ValueError(f"`fpr` must lie in [0, 1], got {fpr}.")
    normal_scores = _finite(normal_scores, "normal_scores").reshape(-1)
    return float(np.quantile(normal_scores, 1.0 - float(fpr)))


def _retrieval_inputs(distances, query_labels, database_labels):
    distances = np.asarray(distances)
    if distances.ndim != 2 or 0 in distances.shape:
        raise ValueError(f"`distances` must be a non-empty (queries, database) matrix, got shape {distances.shape}.")
    distances = _finite(distances, "distances")   # a NaN would silently rank last
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


def masked_rmse(truth, prediction, mask):
    """sqrt(mean over mask of (truth - prediction)^2): the error on rated entries only."""
    mask = np.asarray(mask)
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf" or not np.isin(mask, (0, 1)).all():
            raise TypeError(f"`mask` must be boolean (True where rated), got dtype {mask.dtype}.")
        mask = mask.astype(bool)
    truth, prediction = np.asarray(truth, "float64"), np.asarray(prediction, "float64")
    if truth.shape != prediction.shape or truth.shape != mask.shape:
        raise ValueError(f"`truth`, `prediction` and `mask` must have one shape, got {truth.shape}, "
                         f"{prediction.shape}, {mask.shape}.")
    if not mask.any():
        raise ValueError("`mask` marks no entry.")
    _finite(prediction, "prediction")
    _finite(truth[mask], "truth (on the masked entries)")
    return float(np.sqrt(np.mean((truth[mask] - prediction[mask]) ** 2)))


# ----------------------------------------------------------------------------- clustering against labels

def _cluster_pair(assigned, y):
    y = as_labels(y, "y")
    assigned = as_labels(assigned, "assigned", length=len(y))
    if len(y) == 0:
        raise ValueError("`assigned` and `y` are empty; a clustering score needs at least one sample.")
    if np.any(assigned < 0) or np.any(y < 0):
        raise ValueError("`assigned` and `y` must hold non-negative integers.")
    return assigned, y


def contingency(assigned, y):
    """Counts ``C[i, j]``: images of the j-th class in the i-th cluster, over the ids present (sorted).

    ``sklearn.metrics.cluster.contingency_matrix``; its size is (distinct clusters, distinct classes),
    whatever the ids' values.
    """
    assigned, y = _cluster_pair(assigned, y)
    return contingency_matrix(assigned, y).astype("int64")


def best_matching(assigned, y):
    """The one-to-one map cluster id -> class id that maximises the matched count (Hungarian)."""
    assigned, y = _cluster_pair(assigned, y)
    table = contingency_matrix(assigned, y)
    rows, cols = linear_sum_assignment(-table)
    clusters, classes = np.unique(assigned), np.unique(y)
    return dict(zip(clusters[rows].tolist(), classes[cols].tolist()))


def cluster_accuracy(assigned, y):
    """Accuracy after the best one-to-one matching of clusters to classes (unmatched clusters count as wrong)."""
    table = contingency(assigned, y)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / table.sum())


def matched_confusion(assigned, y):
    """Confusion matrix (true class x matched class) after relabelling clusters by ``best_matching``.

    Rows and columns are the classes present in ``y``, sorted (0..k-1 when every class occurs);
    images in clusters left unmatched (more clusters than classes) are dropped.
    """
    assigned, y = _cluster_pair(assigned, y)
    mapping = best_matching(assigned, y)
    matched = np.isin(assigned, list(mapping))
    predicted = np.array([mapping[a] for a in assigned[matched].tolist()], dtype="int64")
    return confusion_matrix(y[matched], predicted, labels=np.unique(y)).astype("int64")


def nmi(assigned, y):
    """Normalised mutual information (scikit-learn, arithmetic mean normalisation)."""
    return float(normalized_mutual_info_score(*_cluster_pair(assigned, y)[::-1]))


def ari(assigned, y):
    """Adjusted Rand index (scikit-learn)."""
    return float(adjusted_rand_score(*_cluster_pair(assigned, y)[::-1]))


def many_to_one(assigned_labelled, y_labelled, assigned, n_clusters=None):
    """Map each cluster to the majority class among the labelled images it holds, then label ``assigned``.

    Clusters that hold no labelled image take the overall majority class. Ties go to the smaller class id.
    ``n_clusters``, when given, is checked against the cluster ids (each must be below it).
    """
    assigned_labelled, y_labelled = _cluster_pair(assigned_labelled, y_labelled)
    assigned = as_labels(assigned, "assigned")
    if len(assigned) and assigned.min() < 0:
        raise ValueError("`assigned` must hold non-negative integers.")
    if n_clusters is not None:
        n_clusters = positive_int(n_clusters, "n_clusters")
        largest = max(int(assigned.max()) if len(assigned) else -1, int(assigned_labelled.max()))
        if largest >= n_clusters:
            raise ValueError(f"`n_clusters` is {n_clusters}, but the cluster ids go up to {largest}; "
                             "pass the number of clusters the model has.")
    clusters, classes = np.unique(assigned_labelled), np.unique(y_labelled)
    table = contingency_matrix(assigned_labelled, y_labelled)
    majority = classes[table.argmax(1)]
    fallback = classes[table.sum(0).argmax()]
    where = np.clip(np.searchsorted(clusters, assigned), 0, len(clusters) - 1)
    seen = clusters[where] == assigned
    return np.where(seen, majority[where], fallback).astype("int64")


MAX_CLUSTERS = 2 ** 53  # any count of clusters up to here is exact as a float (ln n_clusters)


def _cluster_sizes(assigned, n_clusters):
    """The sizes of the non-empty clusters of ``assigned`` (ids in [0, n_clusters)): no array of ``n_clusters``
    entries is made, so a huge ``n_clusters`` costs nothing (empty clusters add 0 to the entropy)."""
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2, maximum=MAX_CLUSTERS)
    assigned = as_labels(assigned, "assigned")
    if assigned.size == 0:
        raise ValueError("`assigned` is empty.")
    if assigned.min() < 0 or assigned.max() >= n_clusters:
        raise ValueError(f"`assigned` must hold cluster ids in [0, {n_clusters - 1}] (`n_clusters` is "
                         f"{n_clusters}), got ids in [{assigned.min()}, {assigned.max()}].")
    return np.unique(assigned, return_counts=True)[1], n_clusters


def size_entropy(assigned, n_clusters):
    """Entropy of the cluster sizes divided by ``ln n_clusters``: 1 for equal sizes, 0 for one cluster."""
    sizes, n_clusters = _cluster_sizes(assigned, n_clusters)
    return float(entropy(sizes) / np.log(n_clusters))


def collapsed(assigned, n_clusters, threshold=0.9):
    """True when the cluster sizes are far from balanced (``size_entropy < threshold``) or a cluster is empty."""
    sizes, n_clusters = _cluster_sizes(assigned, n_clusters)
    return bool(entropy(sizes) / np.log(n_clusters) < threshold or len(sizes) < n_clusters)


def cluster_scores(assigned, y, n_clusters=None):
    """ACC, NMI, ARI, size entropy and the collapse flag in one dict.

    ``n_clusters`` defaults to the larger of the number of distinct clusters and of classes;
    cluster ids are relabelled 0..m-1 for the size entropy.
    """
    assigned, y = _cluster_pair(assigned, y)
    ids, compact = np.unique(assigned, return_inverse=True)
    n_clusters = max(len(ids), len(np.unique(y)), 2) if n_clusters is None else n_clusters
    n_clusters = positive_int(n_clusters, "n_clusters", minimum=2, maximum=MAX_CLUSTERS)
    if n_clusters < len(ids):
        raise ValueError(f"`n_clusters` is {n_clusters}, but `assigned` uses {len(ids)} distinct clusters.")
    if ids[-1] < n_clusters:   # ids already in range: keep them, so empty clusters count as such
        compact = assigned
    return {"acc": cluster_accuracy(assigned, y), "nmi": nmi(assigned, y), "ari": ari(assigned, y),
            "size_entropy": size_entropy(compact, n_clusters), "collapsed": collapsed(compact, n_clusters)}


# ----------------------------------------------------------------------------- segmentation against label maps

def matched_segmentation(assigned, labels, per_image=False):
    """Cluster maps relabelled to classes by the Hungarian matching (-1 where a cluster is left unmatched).

    One matching over all pixels of all images (``per_image=False``, how IIC scores its segmentations), or
    one per image (``per_image=True``, for clusterings fitted on each image alone, whose ids mean nothing
    across images). Returns the matched maps and the labels, both flat.
    """
    assigned, labels = np.asarray(assigned), np.asarray(labels)
    if assigned.shape != labels.shape:
        raise ValueError(f"`assigned` has shape {assigned.shape} but `labels` has shape {labels.shape}; "
                         "both must be label maps of shape (n, h, w).")
    if labels.ndim not in (2, 3) or labels.size == 0:
        raise ValueError(f"`labels` must be non-empty label maps of shape (n, h, w) or (h, w), got {labels.shape}.")
    if labels.ndim == 2:
        assigned, labels = assigned[None], labels[None]
    groups = zip(assigned, labels) if per_image else [(assigned, labels)]
    matched = []
    for a, y in groups:
        a = as_labels(a.ravel(), "assigned")
        mapping = best_matching(a, as_labels(y.ravel(), "labels"))
        ids, inverse = np.unique(a, return_inverse=True)
        matched.append(np.array([mapping.get(i, -1) for i in ids.tolist()], "int64")[inverse])
    return np.concatenate(matched), as_labels(labels.ravel(), "labels")


def pixel_accuracy(assigned, labels, per_image=False):
    """Pixel accuracy of cluster maps after the best one-to-one matching of clusters to classes.

    The Hungarian matching (:func:`best_matching`) over all pixels of all images, as IIC reports its
    segmentations (Ji et al., 2019, sec. 4.2); ``per_image=True`` matches each image on its own (for a
    clustering fitted per image). ``assigned`` and ``labels``: int label maps (n, h, w).
    """
    matched, labels = matched_segmentation(assigned, labels, per_image)
    return float(np.mean(matched == labels))


def mean_iou(assigned, labels, per_image=False):
    """Mean over the classes in ``labels`` of the intersection over union, after the same matching.

    IoU of class c = |matched == c and labels == c| / |matched == c or labels == c|, counted over all
    pixels (scikit-learn's ``jaccard_score(labels, matched, average="macro")`` on the matched maps).
    A class no cluster was matched to scores 0.
    """
    matched, labels = matched_segmentation(assigned, labels, per_image)
    classes = np.unique(labels)
    hits = np.array([np.sum((matched == c) & (labels == c)) for c in classes])
    unions = np.array([np.sum((matched == c) | (labels == c)) for c in classes])
    return float(np.mean(hits / unions))


def border_distance(labels):
    """Each pixel's Euclidean distance, in pixels, to the nearest border between two classes of its own map
    (``scipy.ndimage.distance_transform_edt``); ``labels``: int label maps (n, h, w) or (h, w), same shape out.

    A border pixel (distance 0) is one whose right or lower neighbour has another class, so the pixel just
    across a border is 1 away. A map of a single class has no border: every distance is ``inf``.
    """
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3) or labels.size == 0:
        raise ValueError(f"`labels` must be non-empty label maps of shape (n, h, w) or (h, w), got {labels.shape}.")
    maps = as_labels(labels.ravel(), "labels").reshape((-1, *labels.shape[-2:]))
    borders = np.zeros(maps.shape, bool)
    borders[:, :-1] |= maps[:, :-1] != maps[:, 1:]
    borders[:, :, :-1] |= maps[:, :, :-1] != maps[:, :, 1:]
    out = np.stack([ndimage.distance_transform_edt(~b) if b.any() else np.full(b.shape, np.inf) for b in borders])
    return out.reshape(labels.shape)
