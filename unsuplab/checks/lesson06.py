"""Checks for lesson 06 (the contractive autoencoder).

The reference Jacobian is computed by central finite differences in float64 NumPy, so the check
needs no backend's autodiff and runs the same on TensorFlow and JAX.
"""

import numpy as np

from . import Wrong, exercise, expect_close, to_numpy


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def numerical_jacobian(f, x, step=1e-5):
    """``J[n, j, i] = d f(x)[n, j] / d x[n, i]`` by central differences, ``(f(x + s e_i) - f(x - s e_i)) / 2s``.

    ``f`` maps a (batch, d) float64 array to (batch, k); each sample is differentiated on its own.
    """
    x = np.asarray(x, dtype="float64")
    columns = []
    for i in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, i] = step
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * step))
    return np.stack(columns, axis=-1)


def sigmoid_layer_problem(seed=0, batch=5, inputs=6, units=4):
    """A small sigmoid layer ``h = sigmoid(x W + b)`` and its exact ``||J||_F^2`` per sample (by finite differences)."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, inputs))
    w = rng.normal(scale=0.8, size=(inputs, units))
    b = rng.normal(scale=0.5, size=units)
    jac = numerical_jacobian(lambda v: _sigmoid(v @ w + b), x)
    return x, w, b, np.sum(jac ** 2, axis=(1, 2))


def _looks_like(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate, rtol=1e-4, atol=1e-9)


@exercise("Exercise 1 (closed-form contractive penalty of a sigmoid layer)")
def sigmoid_penalty(student_fn):
    """``student_fn(x, W, b)`` -> ``||J||_F^2`` per sample for ``h = sigmoid(x W + b)``, shape (batch,)."""
    x, w, b, want = sigmoid_layer_problem()
    got = to_numpy(student_fn(x.astype("float32"), w.astype("float32"), b.astype("float32"))).astype("float64")
    h = _sigmoid(x @ w + b)
    a = x @ w + b
    col_norms = np.sum(w ** 2, axis=0)
    if got.shape == ():
        if np.isclose(got, want.mean(), rtol=1e-3):
            raise Wrong(f"you returned the batch mean ({float(got):.5g}); return one value per sample, shape ({len(x)},).")
        raise Wrong(f"return one value per sample, shape ({len(x)},), not a single number.")
    if got.shape != want.shape:
        raise Wrong(f"the penalty should have one value per sample, shape {want.shape}, but has shape {got.shape}. "
                    "Sum over the code units j (and the inputs i) but not over the batch.")
    mistakes = [
        (np.sqrt(want), "you returned ||J||_F; the penalty is its square, ||J||_F^2 = sum_ij J_ij^2."),
        (np.sum(h * (1 - h) * col_norms, axis=1),
         "the slope h(1 - h) must be squared: J_ij = h_j(1 - h_j) W_ij, so J_ij^2 carries (h_j(1 - h_j))^2."),
        (np.sum((h * (1 - h)) ** 2, axis=1),
         "the weights are missing: J_ij = h_j(1 - h_j) W_ij, so multiply by sum_i W_ij^2 (column j of W)."),
        (np.sum((h * (1 - h)) ** 2 * np.sum(np.abs(w), axis=0), axis=1),
         "square the weights: sum_i W_ij^2, not sum_i |W_ij|."),
        (np.sum(h ** 2 * col_norms, axis=1),
         "the sigmoid's derivative is h(1 - h), not h: d sigmoid(a)/da = sigmoid(a)(1 - sigmoid(a))."),
        (np.sum((a * (1 - a)) ** 2 * col_norms, axis=1),
         "use the activation h = sigmoid(x W + b) in h(1 - h), not the pre-activation a = x W + b."),
        (np.sum((h * (1 - h)) ** 2, axis=1) * np.sum(w ** 2),
         "each unit j has its own weight norm: multiply (h_j(1 - h_j))^2 by sum_i W_ij^2 before summing over j, "
         "not by the norm of the whole matrix."),
    ]
    if not np.allclose(got, want, rtol=1e-4, atol=1e-9):
        for candidate, message in mistakes:
            if _looks_like(got, candidate):
                raise Wrong(message)
    expect_close(got, want, "your penalty", rtol=1e-4, atol=1e-9)
    worst = float(np.max(np.abs(got - want) / want))
    return f"It matches the squared Jacobian norm from finite differences (largest relative gap {worst:.1e})."
