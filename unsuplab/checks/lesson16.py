"""Check cells of lesson 16 (deep clustering: DEC of Xie et al., ICML 2016; JULE of Yang et al., CVPR 2016)."""

import numpy as np

from ..dec import soft_assignment as reference_q
from ..dec import target_distribution as reference_p
from ..jule import triplet_loss as reference_triplet
from . import Wrong, backend_specific_call, exercise, expect_close, to_numpy


def _tensor(array):
    from keras import ops

    return ops.convert_to_tensor(np.asarray(array, "float32"))


def _no_backend_calls(student_fn):
    name = backend_specific_call(student_fn)
    if name:
        raise Wrong(f"your code uses {name}, which runs on one backend only; use keras.ops (as `ops`).")


def _call(student_fn, what, *args, **kwargs):
    """The student's result as a float64 array, or :class:`Wrong` for None / a non-numeric answer."""
    value = student_fn(*args, **kwargs)
    if value is None:
        raise Wrong(f"{what}: your function returned None; `return` the result.")
    array = to_numpy(value)
    if array.dtype.kind not in "fiu":
        raise Wrong(f"{what}: return a tensor of numbers, got {type(value).__name__}.")
    return array.astype("float64")


def _stays_a_tensor(student_fn, *args):
    """Given backend tensors, a keras.ops answer is a backend tensor; a NumPy answer is not (and cannot train)."""
    value = student_fn(*[_tensor(a) for a in args])
    if isinstance(value, (np.ndarray, np.generic, float, int)):
        raise Wrong("given tensors, your function returns a NumPy value: use keras.ops (`ops.sum`, "
                    "`ops.power`, ...) instead of NumPy, so that it runs inside a model on any backend.")


def _q_by_hand(z, mu, alpha, power=None, divide=True, squared=True, axis=1):
    d = np.sum((z[:, None, :] - mu[None, :, :]) ** 2, axis=-1)
    if not squared:
        d = np.sqrt(d)
    kernel = (1.0 + d / (alpha if divide else 1.0)) ** (-(alpha + 1.0) / 2.0 if power is None else power)
    return kernel / kernel.sum(axis=axis, keepdims=True) if axis is not None else kernel


@exercise("Exercise 1a (DEC's soft assignment q), part 1: the contract", reference="unsuplab.dec:soft_assignment")
def soft_assignment_contract(student_fn):
    """Part 1 (shapes and types): ``student_fn(z, centroids)`` returns an (N, k) tensor of finite, non-negative
    numbers, computed with keras.ops (a backend tensor for backend tensors); the values are part 2."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(0)
    z, mu = rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    got = _call(student_fn, "q", z, mu)
    if got.shape != (12, 4):
        raise Wrong(f"q should have shape (points, clusters) = (12, 4), got {got.shape}: one row per point, one "
                    "column per centroid.")
    if not np.all(np.isfinite(got)) or np.any(got < 0):
        raise Wrong("q holds negative, infinite or NaN values; each q_ij is a (normalised) kernel value, >= 0.")
    _stays_a_tensor(student_fn, z, mu)
    return "q has one row per point and one column per centroid. Part 2 checks the values."


@exercise("Exercise 1a (DEC's soft assignment q)", reference="unsuplab.dec:soft_assignment")
def soft_assignment(student_fn):
    """``student_fn(z, centroids, alpha=1.0)`` -> q (N, k), Student's t kernel normalised over the clusters
    (DEC eq. 1); compared with :func:`unsuplab.dec.soft_assignment`."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(12, 3)).astype("float32")
    mu = rng.normal(size=(4, 3)).astype("float32")
    for alpha in (1.0, 2.0):
        got = _call(student_fn, f"q with alpha = {alpha:g}", z, mu, alpha=alpha)
        want = to_numpy(reference_q(z, mu, alpha)).astype("float64")
        if got.shape != want.shape:
            if got.shape == want.shape[::-1]:
                raise Wrong(f"q should have shape (points, clusters) = {want.shape}, got {got.shape}: "
                            "one row per point, one column per centroid.")
            raise Wrong(f"q should have shape (points, clusters) = {want.shape}, got {got.shape}. Broadcast "
                        "(N, 1, d) - (1, k, d) and sum the squares over the last axis.")
        if np.allclose(got, want, rtol=1e-4, atol=1e-6):
            continue
        named = [
            (_q_by_hand(z, mu, alpha, axis=None), "the rows do not sum to 1: divide each kernel value by the sum "
             "of its row (over the clusters j), so that q_i is a distribution over clusters."),
            (_q_by_hand(z, mu, alpha, axis=0), "each column sums to 1: normalise over the clusters j (axis=1, "
             "each row), not over the points."),
            (_q_by_hand(z, mu, alpha, power=-(alpha + 1.0)), "the power is -(alpha + 1) / 2, not -(alpha + 1)."),
            (_q_by_hand(z, mu, alpha, power=-alpha), "the power is -(alpha + 1) / 2, not -alpha."),
            (_q_by_hand(z, mu, alpha, power=-1.0), "the power is -(alpha + 1) / 2 (it is -1 only for alpha = 1)."),
            (_q_by_hand(z, mu, alpha, power=-0.5), "the power is -(alpha + 1) / 2, not -1/2."),
            (_q_by_hand(z, mu, alpha, divide=False), "divide the squared distance by alpha: "
             "(1 + ||z_i - mu_j||^2 / alpha)."),
            (_q_by_hand(z, mu, alpha, squared=False), "use the squared distance ||z_i - mu_j||^2, not the "
             "distance."),
        ]
        for variant, message in named:
            if np.allclose(got, variant, rtol=1e-4, atol=1e-6):
                raise Wrong(f"with alpha = {alpha:g}: {message}")
        expect_close(got, want, f"your q with alpha = {alpha:g}", rtol=1e-4, atol=1e-6)
    far = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]], "float32")
    expect_close(_call(student_fn, "q of a point on a centroid", far[:1], far), reference_q(far[:1], far),
                 "q of a point sitting on a centroid, the other 100 away", rtol=1e-4, atol=1e-6)
    _stays_a_tensor(student_fn, z, mu)
    return "q_ij is a Student's t kernel of the distance, normalised over the clusters: 1 / k for a point " \
           "equally far from every centroid, close to 1 for the nearest when it is much nearer."


def _p_by_hand(q, divide=True, square=True, normalise=True):
    w = q ** 2 if square else q
    if divide:
        w = w / q.sum(axis=0, keepdims=True)
    return w / w.sum(axis=1, keepdims=True) if normalise else w


@exercise("Exercise 1b (DEC's target distribution P)", reference="unsuplab.dec:target_distribution")
def target_distribution(student_fn):
    """``student_fn(q)`` -> P (N, k), ``q_ij^2 / f_j`` normalised over each row, ``f_j = sum_i q_ij`` (DEC eq. 3);
    compared with :func:`unsuplab.dec.target_distribution`."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(1)
    # unbalanced soft assignments: cluster 0 is large, so dividing by f_j matters
    q = rng.dirichlet([6.0, 1.0, 1.0, 1.0], 16).astype("float32")
    got = _call(student_fn, "P of random q", q)
    want = to_numpy(reference_p(q)).astype("float64")
    if got.shape != want.shape:
        raise Wrong(f"P should have the shape of q, {want.shape}, got {got.shape}.")
    named = [
        (_p_by_hand(q, divide=False), "you did not divide by the cluster frequency f_j = sum_i q_ij, or you summed "
         "q over the clusters (axis=1: every row of q sums to 1, so that divides by 1). f_j is a column sum, "
         "over all points (axis=0): without it large clusters keep growing and swallow the others."),
        (_p_by_hand(q, normalise=False), "the rows do not sum to 1: divide q_ij^2 / f_j by its sum over j."),
        (_p_by_hand(q, square=False), "square q: p_ij is proportional to q_ij^2 / f_j (squaring sharpens)."),
        (_p_by_hand(q, divide=False, normalise=False), "you did not divide by f_j, and the rows do not sum to 1."),
    ]
    if not np.allclose(got, want, rtol=1e-4, atol=1e-6):
        for variant, message in named:
            if np.allclose(got, variant, rtol=1e-4, atol=1e-6):
                raise Wrong(message)
    expect_close(got, want, "your P on random soft assignments", rtol=1e-4, atol=1e-6)
    sure = np.eye(4, dtype="float32")[[0, 1, 2, 3, 0]]
    expect_close(_call(student_fn, "P of one-hot q", sure), sure, "P of one-hot q (already certain)",
                 rtol=1e-4, atol=1e-6)
    _stays_a_tensor(student_fn, q)
    return "P squares q (confident points pull harder) and divides by the cluster frequency (no cluster " \
           "grows just by being large)."


def _triplets_by_hand(e, labels, margin, hinge=True, with_self=False, over_all=False, squared=True):
    d = np.sum((e[:, None, :] - e[None, :, :]) ** 2, axis=-1)
    if not squared:
        d = np.sqrt(np.maximum(d, 0.0))
    same = labels[:, None] == labels[None, :]
    positive = same if with_self else same & ~np.eye(len(labels), dtype=bool)
    valid = positive[:, :, None] & ~same[:, None, :]
    value = d[:, :, None] - d[:, None, :] + margin
    if hinge:
        value = np.maximum(value, 0.0)
    total = np.sum(value * valid)
    return total / (valid.size if over_all else max(valid.sum(), 1))


@exercise("Exercise 2 (JULE's batch-all triplet loss)", reference="unsuplab.jule:triplet_loss")
def triplet_loss(student_fn):
    """``student_fn(embeddings, labels, margin=0.2)`` -> the mean of ``max(0, D_ij - D_ik + margin)`` over the
    valid triplets (i != j same label, k another label) of the batch; compared with
    :func:`unsuplab.jule.triplet_loss` (gamma = 1)."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(2)
    e = rng.normal(size=(10, 4)).astype("float32")
    e /= np.linalg.norm(e, axis=1, keepdims=True)  # unit length, as JULE's features
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 4])
    for margin in (0.2, 1.0):
        value = _call(student_fn, f"the loss with margin {margin:g}", e, labels, margin=margin)
        if value.size != 1:
            raise Wrong(f"return one number (the mean over the triplets of the batch), got shape {value.shape}.")
        got = float(value.reshape(()))
        want = float(to_numpy(reference_triplet(e, labels, margin)))
        if abs(got - want) <= 1e-4 * max(1.0, abs(want)):
            continue
        named = [
            (_triplets_by_hand(e, labels, margin, with_self=True), "your positives include j = i (an anchor "
             "paired with itself, D_ii = 0): a positive pair needs two different samples of one label."),
            (_triplets_by_hand(e, labels, margin, hinge=False), "there is no hinge: take max(0, D_ij - D_ik + "
             "margin) (ops.relu) for each triplet before averaging, so that triplets already satisfied by the "
             "margin cost nothing."),
            (_triplets_by_hand(e, labels, margin, over_all=True), "you averaged over all n^3 (i, j, k), the "
             "invalid ones too; divide by the number of valid triplets (the sum of the mask)."),
            (_triplets_by_hand(e, labels, 0.0), "the margin is missing: max(0, D_ij - D_ik + margin)."),
            (_triplets_by_hand(e, labels, margin, with_self=True, over_all=True), "you averaged over all n^3 "
             "(i, j, k) and counted j = i as a positive; use the valid triplets only."),
            (_triplets_by_hand(e, labels, 0.2), "your function ignores its `margin` argument (the check asked "
             f"for margin {margin:g})."),
            (_triplets_by_hand(e, labels, margin, squared=False), "use squared Euclidean distances "
             "D_ij = ||e_i - e_j||^2, not the distances themselves."),
        ]
        for variant, message in named:
            if abs(got - variant) <= 1e-4 * max(1.0, abs(variant)):
                raise Wrong(message)
        raise Wrong(f"with margin {margin:g} the loss of this batch should be {want:.6g}, got {got:.6g}. "
                    "D_ij is the squared distance; the valid triplets are i != j with the same label and k "
                    "with another label.")
    for case, lab in (("every label different (no positive pair)", np.arange(10)),
                      ("every label the same (no negative)", np.zeros(10, int))):
        value = _call(student_fn, case, e, lab, margin=0.2)
        got = float(value.reshape(-1)[0]) if value.size == 1 else None
        if got is None or not np.isfinite(got) or abs(got) > 1e-6:
            raise Wrong(f"with {case} the batch holds no valid triplet and the loss should be 0, got {value}. "
                        "Divide by max(number of valid triplets, 1).")
    _stays_a_tensor(student_fn, e, labels)
    return "it matches unsuplab.jule.triplet_loss: mean hinge over the valid triplets, 0 for a batch without any."


@exercise("Exercise 1a (DEC's soft assignment q), hidden cases", reference="unsuplab.dec:soft_assignment")
def hidden_soft_assignment(student_fn):
    """20 points in 5-d, 6 centroids, alpha = 0.5 and 10."""
    rng = np.random.default_rng(5)
    z, mu = rng.normal(size=(20, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    for alpha in (0.5, 10.0):
        expect_close(_call(student_fn, f"q with alpha = {alpha:g}", z, mu, alpha=alpha), reference_q(z, mu, alpha),
                     f"q of 20 points and 6 centroids with alpha = {alpha:g}", rtol=1e-4, atol=1e-6)


@exercise("Exercise 1b (DEC's target distribution P), hidden cases", reference="unsuplab.dec:target_distribution")
def hidden_target_distribution(student_fn):
    """25 points, 6 clusters of very different sizes."""
    q = np.random.default_rng(6).dirichlet([8.0, 3.0, 1.0, 1.0, 0.5, 0.5], 25).astype("float32")
    expect_close(_call(student_fn, "P of 25 points", q), reference_p(q), "P of 25 points and 6 clusters",
                 rtol=1e-4, atol=1e-6)


@exercise("Exercise 2 (JULE's batch-all triplet loss), hidden cases", reference="unsuplab.jule:triplet_loss")
def hidden_triplet_loss(student_fn):
    """14 embeddings in 6-d with 4 labels, margins 0.5 and 0.05."""
    rng = np.random.default_rng(7)
    e = rng.normal(size=(14, 6)).astype("float32")
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = rng.integers(0, 4, 14)
    for margin in (0.5, 0.05):
        value = _call(student_fn, f"the loss with margin {margin:g}", e, labels, margin=margin)
        expect_close(value.reshape(()) if value.size == 1 else value, reference_triplet(e, labels, margin),
                     f"the loss of 14 embeddings with margin {margin:g}", rtol=1e-4, atol=1e-6)
