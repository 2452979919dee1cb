"""Check cells of lesson 13 (retrieval)."""

import warnings

import numpy as np

from .. import metrics
from . import (
    Wrong,
    backend_specific_call,
    call_student_layer,
    exercise,
    expect_close,
    gradient_in_plain_words,
    to_numpy,
)


def _problem():
    rng = np.random.default_rng(0)
    distances = rng.random((6, 30))
    return distances, rng.integers(0, 3, 6), rng.integers(0, 3, 30)


@exercise("Exercise 2 (precision@k)", reference="unsuplab.metrics:precision_at_k")
def precision_at_k(student_fn):
    """``student_fn(distances, query_labels, database_labels, k)`` -> mean share of same-label items in each top k."""
    distances, q, db = _problem()
    for k in (1, 5):
        got = to_numpy(student_fn(distances, q, db, k)).astype("float64")
        want = metrics.precision_at_k(distances, q, db, k)
        if got.shape == (len(q),):
            raise Wrong("you returned one precision per query; return their mean, a single number.")
        if got.shape != ():
            raise Wrong(f"return one number (the mean over queries), got shape {got.shape}.")
        farthest = np.argsort(-distances, axis=1)[:, :k]
        if not np.isclose(got, want) and np.isclose(got, np.mean(db[farthest] == q[:, None])):
            raise Wrong("you ranked by largest distance: the nearest items have the smallest distance "
                        "(np.argsort sorts in increasing order).")
        if not np.isclose(got, want) and np.isclose(got, metrics.precision_at_k(distances, q, db, k + 1)):
            raise Wrong(f"with k={k} you looked at k + 1 items; keep exactly the first k of the ranking.")
        expect_close(got, want, f"precision@{k}", rtol=1e-6)
    return "The same number as unsuplab.metrics.precision_at_k."


# Sigmoid codes of 3 images x 8 units, none of them exactly 0.5 (where rounding conventions differ).
_CODES = np.array([[0.02, 0.30, 0.49, 0.51, 0.70, 0.98, 0.15, 0.85],
                   [0.60, 0.40, 0.05, 0.95, 0.45, 0.55, 0.25, 0.75],
                   [0.99, 0.01, 0.35, 0.65, 0.52, 0.48, 0.10, 0.90]], "float32")
_NO_GRADIENT = ("ops.round (like a comparison or a cast) has a zero gradient almost everywhere, so nothing "
                "reaches the encoder and it never learns. Let the gradient through as if the layer were the "
                "identity: return inputs + ops.stop_gradient(ops.round(inputs) - inputs).")


def _forward(layer_class):
    """The layer's bits for ``_CODES`` as NumPy, or :class:`Wrong` on a wrong type, shape or value."""
    _, out = call_student_layer(layer_class, _CODES, "return the bits")
    if out.shape != _CODES.shape:
        raise Wrong(f"the bits should have the codes' shape {_CODES.shape}, one bit per code unit, but have "
                    f"shape {out.shape}.")
    if out.dtype.kind == "b":
        raise Wrong("your layer returns booleans: return floats (the decoder multiplies the bits by its weights), "
                    "0.0 and 1.0, e.g. with ops.round.")
    out = out.astype("float64")
    if not np.all(np.isfinite(out)):
        raise Wrong("the output contains NaN or infinity.")
    return out


def _gradient_step(layer_class, lr=0.1):
    """One SGD step on ``mse(layer(w), 0.5)`` with the codes ``w = _CODES[0]`` as a trainable weight; returns the
    change of ``w``. Uses ``train_on_batch`` only, so it runs on every backend."""
    import keras

    class Probe(keras.Model):  # a throw-away test harness, never saved
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(_CODES.shape[1],), initializer=keras.initializers.Constant(_CODES[0]))
            self.binarize = layer_class()

        def call(self, inputs):
            return self.binarize(keras.ops.ones_like(inputs) * self.w)

    probe = Probe()
    x, y = np.ones((4, _CODES.shape[1]), "float32"), np.full((4, _CODES.shape[1]), 0.5, "float32")
    probe(x)
    probe.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", run_eagerly=True)
    probe.train_on_batch(x, y)
    return to_numpy(probe.w) - _CODES[0]


def _encoder_moves(layer_class):
    """Two Adam steps on a tiny autoencoder with the layer on its sigmoid code: did the encoder's kernel move?"""
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 12)).astype("float32")
    inputs = keras.Input((12,))
    encoder = keras.layers.Dense(8, activation="sigmoid")
    outputs = keras.layers.Dense(12, activation="sigmoid")(layer_class()(encoder(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", run_eagerly=True)  # 2 steps: no compiling
    before = to_numpy(encoder.kernel).copy()
    for _ in range(2):
        logs = model.train_on_batch(x, x, return_dict=True)
    if not np.isfinite(float(logs["loss"])):
        raise Wrong("two training steps gave a NaN or infinite loss.")
    return not np.allclose(to_numpy(encoder.kernel), before)


def _train(what, layer_class):
    """:func:`_encoder_moves` or :func:`_gradient_step`, with Keras' warnings silenced and a crash in plain words."""
    def step():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Gradients do not exist for variables": we say it in plain words
            return what(layer_class)

    return gradient_in_plain_words(step, "layer", _NO_GRADIENT)


@exercise("Exercise 1 (a binarising layer with the straight-through estimator)",
          reference="unsuplab.layers:StraightThroughBinarize")
def binarize_layer(layer_class):
    """``layer_class()`` called on sigmoid codes returns exact 0/1 bits ``round(x)`` and passes the gradient through
    unchanged (straight-through estimator, Bengio, Leonard and Courville, 2013: ``x + stop_gradient(round(x) - x)``).

    Checks: no backend-only calls, bits of the right shape and dtype, each misconception by its output (the soft
    code, a threshold at 0, -1/+1 signs), two training steps that move a tiny encoder, and one SGD step whose
    change is the identity gradient's.
    """
    found = backend_specific_call(layer_class)
    if found:
        raise Wrong(f"your layer uses {found}, which runs on one backend only; use keras.ops (ops.round, "
                    "ops.stop_gradient) so that it runs on TensorFlow, JAX and PyTorch.")
    out = _forward(layer_class)
    want = np.round(_CODES).astype("float64")
    if np.allclose(out, _CODES, atol=1e-6):
        raise Wrong("your layer returns the soft code unchanged; the forward pass must give bits: round each "
                    "value to 0 or 1 (ops.round).")
    if np.allclose(out, 1, atol=1e-6):
        raise Wrong("every bit is 1, even for values below 0.5: you thresholded at 0, but sigmoid codes lie in "
                    "(0, 1), so all of them are above 0. Threshold at 0.5: ops.round(inputs).")
    if np.allclose(out, np.where(_CODES > 0.5, 1.0, -1.0), atol=1e-6):
        raise Wrong("your bits are -1 and +1; this lesson's bits are 0 and 1 (ops.round of the sigmoid code).")
    if not np.all(np.isclose(out, 0, atol=1e-6) | np.isclose(out, 1, atol=1e-6)):
        raise Wrong(f"the output should hold only 0s and 1s, but holds values such as "
                    f"{np.unique(out.round(4))[:5].tolist()}.")
    if not np.allclose(out, want, atol=1e-6):
        r, c = np.argwhere(~np.isclose(out, want, atol=1e-6))[0]
        raise Wrong(f"the code value {float(_CODES[r, c]):.2f} should give the bit {int(want[r, c])} (round to the "
                    f"nearest of 0 and 1), yours gives {out[r, c]:g}.")
    if not _train(_encoder_moves, layer_class):
        raise Wrong("two training steps left the encoder unchanged: the gradient does not reach the encoder. "
                    + _NO_GRADIENT)
    lr, d = 0.1, _CODES.shape[1]
    moved = _train(_gradient_step, layer_class)
    identity = -lr * 2 * (want[0] - 0.5) / d  # d mse / d w = 2 (round(w) - 0.5) / d when d bits / d w = 1
    if not np.allclose(moved, identity, rtol=1e-3, atol=1e-6):
        raise Wrong("the gradient should go through as if the layer were the identity (d bits / d inputs = 1): "
                    f"one SGD step moved the codes by {[round(float(v), 4) for v in moved[:4]]}..., expected "
                    f"{[round(float(v), 4) for v in identity[:4]]}... Return inputs + "
                    "ops.stop_gradient(ops.round(inputs) - inputs).")
    return "exact 0/1 bits forward, and the gradient reaches the encoder as if the layer were the identity."


@exercise("Exercise 2 (precision@k), hidden cases", reference="unsuplab.metrics:precision_at_k")
def hidden_precision_at_k(student_fn):
    """9 queries against 41 items of 4 classes, k = 3, 12 and 41 (the whole database)."""
    rng = np.random.default_rng(11)
    distances, q, db = rng.random((9, 41)), rng.integers(0, 4, 9), rng.integers(0, 4, 41)
    for k in (3, 12, 41):
        expect_close(student_fn(distances, q, db, k), metrics.precision_at_k(distances, q, db, k),
                     f"precision@{k} of 9 queries against 41 items", rtol=1e-6)


@exercise("Exercise 1 (a binarising layer with the straight-through estimator), hidden cases",
          reference="unsuplab.layers:StraightThroughBinarize")
def hidden_binarize_layer(layer_class):
    """Codes of another shape, (5, 6), drawn away from 0.5: exact bits ``round(x)``."""
    import keras

    codes = np.random.default_rng(3).uniform(0.0, 0.45, size=(5, 6)).astype("float32")
    codes[:, ::2] += 0.53  # every other unit above 0.5
    out = layer_class()(keras.ops.convert_to_tensor(codes))
    expect_close(out, np.round(codes), "the bits of (5, 6) codes", atol=1e-6)
