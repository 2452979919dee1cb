"""Check cells of lesson 20 (self-supervised learning: SimCLR's NT-Xent, MoCo's momentum update, the views)."""

import numpy as np

from ..selfsupervised.augment import ContrastiveViews
from ..selfsupervised.losses import nt_xent as reference_nt_xent
from . import Wrong, backend_specific_call, exercise, expect_close, expect_number, to_numpy


def _no_backend_calls(student_fn):
    name = backend_specific_call(student_fn)
    if name:
        raise Wrong(f"your code uses {name}, which runs on one backend only; use keras.ops (as `ops`).")


def _nt_xent_by_hand(z1, z2, t, normalise=True, divide=True, mask_self=True, both=True, positive_in=True,
                     cross_only=False, reduce="mean"):
    """NT-Xent in NumPy, right by default or with one named mistake."""
    if normalise:
        z1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
        z2 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    n = len(z1)
    if cross_only:  # candidates: the other view's N projections only
        s = z1 @ z2.T
        s = s / t if divide else s
        rows = -np.diag(s) + np.log(np.exp(s).sum(axis=1))
    else:
        z = np.concatenate([z1, z2])
        s = z @ z.T
        s = s / t if divide else s
        pos = np.concatenate([np.arange(n) + n, np.arange(n)])
        keep = np.ones_like(s, bool)
        if mask_self:
            np.fill_diagonal(keep, False)
        if not positive_in:
            keep[np.arange(2 * n), pos] = False
        rows = -s[np.arange(2 * n), pos] + np.log(np.where(keep, np.exp(s), 0.0).sum(axis=1))
        rows = rows if both else rows[:n]
    return rows.sum() if reduce == "sum" else rows.mean()


@exercise("Exercise 1 (the NT-Xent loss of SimCLR)")
def nt_xent(student_fn):
    """``student_fn(z1, z2, temperature)`` -> one number, NT-Xent over the 2N anchors (Chen et al. 2020, eq. 1);
    compared with :func:`unsuplab.selfsupervised.nt_xent`."""
    from keras import ops

    _no_backend_calls(student_fn)
    rng = np.random.default_rng(20)
    z1 = rng.normal(size=(6, 5)).astype("float32")
    z2 = (z1 + 0.5 * rng.normal(size=(6, 5))).astype("float32")  # two views: related, not equal
    for t in (0.5, 0.1):
        want = float(to_numpy(reference_nt_xent(z1.copy(), z2.copy(), temperature=t)))
        value = student_fn(ops.convert_to_tensor(z1.copy()), ops.convert_to_tensor(z2.copy()), t)
        if value is None:
            raise Wrong("your function returned None; `return` the loss.")
        if isinstance(value, (np.ndarray, np.generic, float)):
            raise Wrong("given tensors, your function returns a NumPy value: use keras.ops (`ops.matmul`, "
                        "`ops.log_softmax`, ...) so that it runs inside the model on any backend.")
        got = expect_number(value, f"the loss at temperature {t}", "look for a log of 0 or an exp that overflows "
                            "(mask the diagonal with a large negative number, not -inf times 0).")
        if abs(got - want) <= 1e-4 * max(1.0, abs(want)):
            continue
        named = [
            (dict(normalise=False), "normalise the projections to unit length first (sim is the cosine "
             "similarity): without it the loss depends on their length."),
            (dict(divide=False), "divide the similarities by the temperature tau before the softmax."),
            (dict(mask_self=False), "an anchor must not be its own candidate: mask the diagonal of the 2N x 2N "
             "similarity matrix (its cosine is always 1) before the softmax."),
            (dict(both=False), "average over all 2N anchors: the views of z2 are anchors too, not only z1's."),
            (dict(positive_in=False), "the denominator sums over every other view, the positive included "
             "(the loss is a softmax cross-entropy that picks the positive)."),
            (dict(cross_only=True), "the negatives are all 2N - 2 other views: the other images' views from "
             "z1 as well as from z2, not only the N candidates of the other view."),
            (dict(reduce="sum"), "take the mean over the 2N anchors, not the sum."),
            (dict(normalise=False, divide=False), "normalise to unit length and divide by the temperature."),
        ]
        for mistake, message in named:
            if abs(got - _nt_xent_by_hand(z1, z2, t, **mistake)) <= 1e-4 * max(1.0, abs(got)):
                raise Wrong(message)
        raise Wrong(f"at temperature {t} the loss of this batch should be {want:.5f}, got {got:.5f}. The "
                    "positive of anchor i is the other view of image i (index i + N or i - N in the "
                    "concatenation); every other view is a negative.")
    same = np.ones((4, 3), "float32")
    got = expect_number(student_fn(ops.convert_to_tensor(same), ops.convert_to_tensor(same), 0.5),
                        "the loss when all projections are equal", "mask the diagonal with a large finite "
                        "negative number (-1e9), not -inf.")
    expect_close(got, np.log(7.0), "the loss when all 8 projections are equal (it should be log 7, one "
                 "positive among 7 candidates)", rtol=1e-4, atol=1e-5)
    return "it matches unsuplab.selfsupervised.nt_xent, and gives log(2N - 1) when nothing tells the views apart."


def _weights(rng):
    return [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]


@exercise("Exercise 2 (MoCo's momentum update)")
def momentum_update(student_fn):
    """``student_fn(key_weights, query_weights, momentum)`` -> the new key weights, one per weight,
    ``m * key + (1 - m) * query`` (He et al. 2020, eq. 2)."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(21)
    keys, queries = _weights(rng), _weights(rng)
    for m in (0.99, 0.9, 0.0):
        want = [m * k + (1 - m) * q for k, q in zip(keys, queries)]
        got = student_fn([k.copy() for k in keys], [q.copy() for q in queries], m)
        if got is None:
            raise Wrong("your function returned None; `return` the list of new key weights.")
        if not isinstance(got, (list, tuple)) or len(got) != len(keys):
            raise Wrong(f"return a list with one new value per weight ({len(keys)} here), got "
                        f"{type(got).__name__}{'' if not hasattr(got, '__len__') else f' of length {len(got)}'}.")
        got = [to_numpy(g).astype("float64") for g in got]
        for g, w in zip(got, want):
            if g.shape != w.shape:
                raise Wrong(f"each new weight keeps its shape: expected {w.shape}, got {g.shape}.")
        if all(np.allclose(g, w, rtol=1e-5, atol=1e-6) for g, w in zip(got, want)):
            continue
        named = [
            ([m * q + (1 - m) * k for k, q in zip(keys, queries)], "the weights are the wrong way round: the key "
             "encoder keeps m of ITS OWN weights and moves (1 - m) towards the query's, m * key + (1 - m) * "
             "query. With m = 0.99 it changes slowly, which keeps the keys in the queue consistent."),
            (queries, "you copied the query weights: that is m = 0, the keys of the queue then come from many "
             "different encoders (MoCo's ablation: training fails)."),
            (keys, "the key weights did not change: they must move (1 - m) of the way towards the query's."),
            ([m * k + m * q for k, q in zip(keys, queries)], "the query's weight is (1 - m), not m."),
            ([m * k + q for k, q in zip(keys, queries)], "the query's weight is (1 - m): m * key + (1 - m) * query."),
        ]
        for variant, message in named:
            if all(np.allclose(g, v, rtol=1e-5, atol=1e-6) for g, v in zip(got, variant)):
                raise Wrong(f"with m = {m}: {message}")
        for i, (g, w) in enumerate(zip(got, want)):
            expect_close(g, w, f"new key weight {i} with m = {m}", rtol=1e-5, atol=1e-6)
    return "theta_k <- m theta_k + (1 - m) theta_q: the key encoder is a slow moving average of the query encoder."


def _correlation(a, b):
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    a = (a - a.mean(1, keepdims=True)) / (a.std(1, keepdims=True) + 1e-9)
    b = (b - b.mean(1, keepdims=True)) / (b.std(1, keepdims=True) + 1e-9)
    return (a * b).mean(1)


def _draw(layer, x, crop):
    try:
        views = to_numpy(layer(x.copy(), training=True)).astype("float64")
    except Exception as exc:
        raise Wrong(f"my_views(crop={crop}) could not make views of a batch of shape {x.shape}: "
                    f"{type(exc).__name__}: {exc}") from exc
    if views.shape != x.shape:
        raise Wrong(f"views must keep the images' shape {x.shape}; my_views(crop={crop}) gave {views.shape}.")
    if not np.all(np.isfinite(views)):
        raise Wrong(f"views must stay images in [0, 1]; my_views(crop={crop}) gave NaN or infinity.")
    if views.min() < -1e-6 or views.max() > 1 + 1e-6:
        raise Wrong(f"views must stay images in [0, 1]; my_views(crop={crop}) gave values in "
                    f"[{views.min():.3g}, {views.max():.3g}]: clip them.")
    return views


@exercise("Exercise 3 (two sets of views that differ in the crop only)")
def views_with_and_without_crop(student_fn):
    """``student_fn(crop)`` -> a Keras layer making random views: random resized crops when ``crop`` is true,
    none otherwise, and the same brightness/contrast jitter in both (one change at a time), no flips."""
    _no_backend_calls(student_fn)
    rng = np.random.default_rng(22)
    _expect_views(student_fn, rng.uniform(0.3, 0.7, size=(16, 28, 28, 1)).astype("float32"))  # never clipped
    return "the two sets of views differ in the crop only, so the comparison below measures the crop."


def _expect_views(student_fn, x):
    """The layers of ``student_fn(True)`` and ``student_fn(False)`` on the images ``x``: unchanged at inference,
    jitter without moving pixels when ``crop`` is false, cropped views when it is true, the same jitter."""
    import keras

    layers = {}
    for crop in (True, False):
        layer = student_fn(crop)
        if layer is None:
            raise Wrong(f"my_views(crop={crop}) returned None; return the layer.")
        if not isinstance(layer, keras.layers.Layer):
            raise Wrong(f"return a Keras layer (e.g. ContrastiveViews(...)), got {type(layer).__name__}.")
        layers[crop] = layer
        if isinstance(layer, ContrastiveViews) and layer.flip:
            raise Wrong("turn flips off: a mirrored digit is another glyph (or no digit), so a flip would "
                        "teach the encoder to ignore what tells some digits apart.")
        at_inference = to_numpy(layer(x.copy(), training=False))
        if at_inference.shape != x.shape or not np.allclose(at_inference, x, atol=1e-5):
            raise Wrong(f"at inference (training=False) my_views(crop={crop}) must return the images unchanged.")
    plain = _draw(layers[False], x, False)
    cropped = _draw(layers[True], x, True)
    if np.allclose(plain, x, atol=1e-4):
        raise Wrong("without the crop the views are the images themselves: keep the brightness/contrast jitter, "
                    "so that the two settings differ in the crop only (and the contrastive task is not trivial).")
    if np.min(_correlation(plain, x)) < 0.999:
        raise Wrong("with crop=False the pixels still move (or noise is added): only brightness and contrast "
                    "may change, set crop=(1.0, 1.0).")
    if np.median(_correlation(cropped, x)) > 0.99:
        raise Wrong("with crop=True the views are not cropped: give a crop range below 1, e.g. crop=(0.6, 1.0).")
    a, b = layers[True], layers[False]
    if isinstance(a, ContrastiveViews) and isinstance(b, ContrastiveViews) and (
            (a.brightness, a.contrast, a.noise) != (b.brightness, b.contrast, b.noise)):
        raise Wrong("the two layers differ in more than the crop (brightness, contrast or noise): change one "
                    "thing at a time, or the measurement cannot say what the crop did.")


@exercise("Exercise 1 (the NT-Xent loss of SimCLR), hidden cases")
def hidden_nt_xent(student_fn):
    """Other batches: 3 images in 7 dimensions at temperatures 0.2 and 1, and a batch of one image (its only
    candidate is its positive: the loss is 0)."""
    from keras import ops

    rng = np.random.default_rng(200)
    z1 = rng.normal(size=(3, 7)).astype("float32")
    z2 = (z1 + 0.8 * rng.normal(size=(3, 7))).astype("float32")
    for a, b, t in ((z1, z2, 0.2), (z1, z2, 1.0), (z1[:1], z2[:1], 0.5)):
        want = float(to_numpy(reference_nt_xent(a.copy(), b.copy(), temperature=t)))
        got = expect_number(student_fn(ops.convert_to_tensor(a.copy()), ops.convert_to_tensor(b.copy()), t),
                            f"the loss of {len(a)} image(s) at temperature {t}", "look for a log of 0.")
        expect_close(got, want, f"the loss of {len(a)} image(s) in 7 dimensions at temperature {t}", rtol=1e-4,
                     atol=1e-5)


@exercise("Exercise 2 (MoCo's momentum update), hidden cases")
def hidden_momentum_update(student_fn):
    """Three weights of other shapes (a kernel, a bias, a scalar) and momenta 0.5 and 0.999."""
    rng = np.random.default_rng(201)
    shapes = ((4, 3, 2), (5,), ())
    keys = [rng.normal(size=s).astype("float32") for s in shapes]
    queries = [rng.normal(size=s).astype("float32") for s in shapes]
    for m in (0.5, 0.999):
        got = student_fn([k.copy() for k in keys], [q.copy() for q in queries], m)
        if not isinstance(got, (list, tuple)) or len(got) != len(keys):
            raise Wrong(f"for {len(keys)} weights return a list of {len(keys)} new key weights.")
        for i, (g, k, q) in enumerate(zip(got, keys, queries)):
            expect_close(g, m * k + (1 - m) * q, f"new key weight {i} (shape {k.shape}) with m = {m}", rtol=1e-5,
                         atol=1e-6)


@exercise("Exercise 3 (two sets of views that differ in the crop only), hidden cases")
def hidden_views_with_and_without_crop(student_fn):
    """Another batch: 6 images of 20x20 pixels (values 0.35 to 0.65)."""
    _expect_views(student_fn, np.random.default_rng(202).uniform(0.35, 0.65, size=(6, 20, 20, 1)).astype("float32"))
