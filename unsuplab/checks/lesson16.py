"""Check cells of lesson 16 (deep clustering: DEC of Xie et al., ICML 2016; JULE of Yang et al., CVPR 2016)."""

import inspect

import numpy as np

from ..dec import soft_assignment as reference_q
from ..dec import target_distribution as reference_p
from ..jule import triplet_loss as reference_triplet
from . import Wrong, backend_specific_call, delegation, exercise, expect_close, innermost_error, to_numpy


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


def _name_q_mistake(got, z, mu, alpha, where=""):
    """:class:`Wrong` naming the mistake when ``got`` is one of the usual wrong versions of DEC's eq. 1."""
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
        if got.shape == variant.shape and np.allclose(got, variant, rtol=1e-4, atol=1e-6):
            raise Wrong(f"{where}with alpha = {alpha:g}: {message}")


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
        _name_q_mistake(got, z, mu, alpha)
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


def _layer(student_class, n_clusters, alpha):
    """``student_class(n_clusters, alpha=alpha)``, or :class:`Wrong` saying how the lesson creates it."""
    try:
        return student_class(n_clusters, alpha=alpha)
    except TypeError as exc:
        raise Wrong(f"MyClusteringLayer({n_clusters}, alpha={alpha:g}) failed ({exc}): keep the given "
                    "__init__(self, n_clusters, alpha=1.0, **kwargs).") from None


def _centroids(layer, shape):
    """The layer's trainable ``centroids`` weight of ``shape``, or :class:`Wrong` naming what is missing."""
    import keras

    weight = getattr(layer, "centroids", None)
    if not isinstance(weight, keras.Variable):
        if not layer.weights:
            raise Wrong("your layer has no weights: create the centroids in build() with self.centroids = "
                        "self.add_weight(shape=(self.n_clusters, input_shape[-1]), ...). A NumPy array or a constant "
                        "is not a weight, so DEC could not train it.")
        raise Wrong("keep the centroids as self.centroids (a weight made by self.add_weight): fit_dec sets them "
                    "from k-means and reads them there.")
    if tuple(weight.shape) != shape:
        raise Wrong(f"the centroids should have shape (n_clusters, d) = {shape}, one row per cluster, got "
                    f"{tuple(weight.shape)}.")
    if not weight.trainable:
        raise Wrong("your centroids are not trainable (trainable=False): DEC moves them with the encoder, by "
                    "gradient descent on KL(P || Q). Leave add_weight's trainable=True.")
    return weight


def _layer_q(layer, z):
    """The layer's output for the codes ``z`` as a float64 array, with plain words for None, shapes and NaN."""
    try:
        value = layer(_tensor(z))
    except (NotImplementedError, Wrong):
        raise
    except Exception as exc:
        exc = innermost_error(exc)
        raise Wrong(f"calling your layer on codes of shape {z.shape} failed ({type(exc).__name__}: "
                    f"{str(exc)[:160]}).") from None
    if value is None:
        raise Wrong("your layer's call returns None; `return` q.")
    q = to_numpy(value).astype("float64")
    return q


class _Probe:
    """One SGD step of ``layer`` on ``mean_i KL(p_i || q_i)`` (DEC's loss, P fixed); returns how far the centroids
    moved. Plain ``train_on_batch``, so it runs on every backend."""

    def __init__(self, layer, z, p):
        import keras

        class Probe(keras.Model):  # a throw-away test harness, never saved
            def __init__(self):
                super().__init__()
                self.clustering = layer

            def call(self, codes):
                return self.clustering(codes)

        self.model, self.z, self.p = Probe(), z, p

    def step(self, learning_rate=0.5):
        import keras

        before = to_numpy(self.model.clustering.centroids).copy()
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="kl_divergence", run_eagerly=True)
        self.model.train_on_batch(self.z, self.p)
        return to_numpy(self.model.clustering.centroids) - before


@exercise("Exercise 1c (DEC's clustering layer)", reference="unsuplab.dec:ClusteringLayer")
def clustering_layer(student_class):
    """``student_class(n_clusters, alpha=1.0)``: a Keras layer, codes (N, d) -> q (N, n_clusters) by DEC eq. 1, its
    centroids a trainable weight ``centroids`` made by ``add_weight``, ``get_config`` with n_clusters and alpha."""
    import keras

    from ..dec import ClusteringLayer

    if not (inspect.isclass(student_class) and issubclass(student_class, keras.layers.Layer)):
        raise Wrong("give the class itself (MyClusteringLayer, not an instance of it), a subclass of "
                    "keras.layers.Layer.")
    _no_backend_calls(student_class)
    if delegation.delegation(getattr(student_class, "call", None), "unsuplab.dec:soft_assignment"):
        raise Wrong("your call() only calls the library's soft_assignment: compute q yourself (calling your "
                    "my_soft_assignment of Exercise 1a is fine).")
    rng = np.random.default_rng(3)
    z, mu = rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    for alpha in (1.0, 2.0):
        layer = _layer(student_class, 3, alpha)
        _layer_q(layer, z)  # builds the layer
        _centroids(layer, (3, 4)).assign(mu)
        got = _layer_q(layer, z)
        if got.shape != (12, 3):
            raise Wrong(f"for 12 codes and 3 clusters q should have shape (12, 3), one row per code, got {got.shape}.")
        if not np.all(np.isfinite(got)):
            raise Wrong("your q holds NaN or infinite values: the kernel (1 + ||z_i - mu_j||^2 / alpha) ** "
                        "(-(alpha + 1) / 2) is positive and finite, and so is its row sum; check the order of "
                        "operations and the axes.")
        want = to_numpy(reference_q(z, mu, alpha)).astype("float64")
        if np.allclose(got, want, rtol=1e-4, atol=1e-6):
            continue
        if alpha != 1.0 and np.allclose(got, to_numpy(reference_q(z, mu, 1.0)), rtol=1e-4, atol=1e-6):
            raise Wrong(f"with alpha = {alpha:g} your layer computes q for alpha = 1: use self.alpha in call().")
        _name_q_mistake(got, z, mu, alpha, "your layer's q ")
        expect_close(got, want, f"your layer's q with alpha = {alpha:g} (centroids set by the check)",
                     rtol=1e-4, atol=1e-6)
    p = to_numpy(reference_p(reference_q(z, mu))).astype("float32")
    layer = _layer(student_class, 3, 1.0)
    _layer_q(layer, z)
    _centroids(layer, (3, 4)).assign(mu)
    try:
        moved = _Probe(layer, z, p).step()
    except Exception as exc:
        exc = innermost_error(exc)
        if "No gradients provided" in str(exc):
            moved = np.zeros_like(mu)
        else:
            raise Wrong(f"training your layer failed ({type(exc).__name__}: {str(exc)[:160]}). Compute q with "
                        "keras.ops only, so that a gradient can flow to the centroids.") from None
    library = ClusteringLayer(3)
    library.build((None, 4))
    library.set_centroids(mu)
    expected = _Probe(library, z, p).step()
    if np.allclose(moved, 0.0, atol=1e-9):
        raise Wrong("one step of gradient descent on KL(P || Q) did not move your centroids: the gradient does not "
                    "reach them (NumPy, a copy or ops.stop_gradient cut the graph). Use self.centroids itself in "
                    "call(), with keras.ops.")
    expect_close(moved, expected, "how far one SGD step on KL(P || Q) moves your centroids", rtol=1e-3, atol=1e-6)
    layer = _layer(student_class, 3, 2.0)
    config = layer.get_config()
    try:
        copy = student_class.from_config(config)
    except TypeError:
        raise Wrong(f"the layer cannot be rebuilt from its config (it holds only {', '.join(sorted(config))}): "
                    "get_config() must return n_clusters and alpha beside super().get_config(), so that a saved "
                    "model reloads.") from None
    if getattr(copy, "n_clusters", None) != 3 or getattr(copy, "alpha", None) != 2.0:
        raise Wrong("rebuilt from get_config(), your layer lost n_clusters or alpha (got n_clusters="
                    f"{getattr(copy, 'n_clusters', None)}, alpha={getattr(copy, 'alpha', None)}, wanted 3 and 2): "
                    "return both in get_config().")
    return ("your layer computes DEC's q from trainable centroids, a gradient step moves them as it moves the "
            "library's, and it rebuilds from its config: fit_dec can train it.")


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


@exercise("Exercise 1a (DEC's soft assignment q), part 1: the contract, hidden cases",
          reference="unsuplab.dec:soft_assignment")
def hidden_soft_assignment_contract(student_fn):
    """The contract on other sizes: 20 points in 5-d, 6 centroids."""
    rng = np.random.default_rng(9)
    z, mu = rng.normal(size=(20, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    got = _call(student_fn, "q", z, mu)
    if got.shape != (20, 6):
        raise Wrong(f"for 20 points and 6 centroids q should have shape (20, 6), got {got.shape}.")
    if not np.all(np.isfinite(got)) or np.any(got < 0):
        raise Wrong("for 20 points and 6 centroids q holds negative, infinite or NaN values.")


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


@exercise("Exercise 1c (DEC's clustering layer), hidden cases", reference="unsuplab.dec:ClusteringLayer")
def hidden_clustering_layer(student_class):
    """Another size: 9 codes of 6 numbers, 5 clusters, alpha = 0.5."""
    rng = np.random.default_rng(8)
    z, mu = rng.normal(size=(9, 6)).astype("float32"), rng.normal(size=(5, 6)).astype("float32")
    layer = _layer(student_class, 5, 0.5)
    _layer_q(layer, z)
    _centroids(layer, (5, 6)).assign(mu)
    expect_close(_layer_q(layer, z), reference_q(z, mu, 0.5), "q of 9 codes of 6 numbers, 5 clusters, alpha = 0.5",
                 rtol=1e-4, atol=1e-6)
