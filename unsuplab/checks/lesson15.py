"""Check cells of lesson 15 (Invariant Information Clustering, Ji et al., ICCV 2019)."""

import inspect
import math

import numpy as np

from ..iic import iic_loss as reference_loss
from . import Wrong, exercise, expect_close, to_numpy


def _one_hot(labels, k):
    return np.eye(k, dtype="float32")[labels]


def _loss_value(student_fn, p, q, what, marginal_weight=1.0):
    if "marginal_weight" in inspect.signature(student_fn).parameters:
        value = student_fn(p, q, marginal_weight=marginal_weight)
    elif marginal_weight != 1.0:
        raise Wrong("your function needs a `marginal_weight` argument (default 1.0): the lesson trains with 1.5.")
    else:
        value = student_fn(p, q)
    if value is None:
        raise Wrong(f"{what}: your function returned None; `return` the loss.")
    value = to_numpy(value).astype("float64")
    if value.size != 1:
        raise Wrong(f"{what}: return one number (the loss of the whole batch), got shape {value.shape}.")
    value = float(value.reshape(()))
    if not math.isfinite(value):
        raise Wrong(f"{what}: the loss is {value}. Clamp P at a small eps (e.g. 1e-7) before the log: "
                    "an empty cluster makes P_cc' = 0 and ln 0 = -inf.")
    return value


@exercise("Exercise 1 (the IIC loss)", reference="unsuplab.iic.loss:iic_loss")
def iic_loss(student_fn):
    """``student_fn(p, q, marginal_weight=1.0)`` -> ``-I(z, z')`` of the symmetrised joint of two (n, C)
    softmax batches (eq. 1-3), the marginal terms weighted by ``marginal_weight``; compared with
    :func:`unsuplab.iic.iic_loss`."""
    rng = np.random.default_rng(0)
    C = 5
    perfect = _one_hot(np.arange(200) % C, C)
    got = _loss_value(student_fn, perfect, perfect, "perfect pairs")
    if abs(got - math.log(C)) < 1e-3:
        raise Wrong(f"for perfectly paired, balanced clusters you return +ln C = {got:.4f}; the loss is "
                    "MINUS the mutual information (we minimise it), so it should be -ln C.")
    if abs(got + math.log(C)) > 1e-3:
        raise Wrong(f"for perfectly paired, balanced one-hot assignments over C = {C} clusters the loss "
                    f"should be -ln C = {-math.log(C):.4f}, got {got:.4f}.")
    uniform = np.full((64, C), 1.0 / C, "float32")
    got = _loss_value(student_fn, uniform, uniform, "uniform outputs")
    if abs(got) > 1e-4:
        raise Wrong(f"when every output is uniform the two assignments are independent and I = 0, "
                    f"but your loss is {got:.4f}. Check the marginals: P_c is a row sum, P_c' a column sum.")
    p = rng.dirichlet(np.ones(C), 32).astype("float32")
    q = rng.dirichlet(np.ones(C), 32).astype("float32")
    want = float(to_numpy(reference_loss(p, q)))
    got = _loss_value(student_fn, p, q, "random softmax outputs")
    unsym = p.T.astype("float64") @ q / len(p)
    row, col = unsym.sum(1, keepdims=True), unsym.sum(0, keepdims=True)
    unsym_loss = -float(np.sum(unsym * (np.log(unsym) - np.log(row) - np.log(col))))
    if abs(got - want) > 1e-4 and abs(got - unsym_loss) < 1e-4:
        raise Wrong("you skipped the symmetrisation P <- (P + P^T) / 2 (eq. 3): both views play the same role.")
    expect_close(got, want, "your loss on random softmax outputs", rtol=1e-3, atol=1e-5)
    collapsed = _one_hot(np.zeros(64, int), C)  # every image and every copy in cluster 0
    got = _loss_value(student_fn, collapsed, collapsed, "collapsed outputs")
    if abs(got) > 1e-4:
        raise Wrong(f"when every output is cluster 0 (collapse) I = 0, but your loss is {got:.4f}. "
                    "Clamp P at eps *after* normalising it, and take the marginals of the clamped P.")
    got = _loss_value(student_fn, perfect, perfect, "perfect pairs with marginal_weight=1.5", 1.5)
    if abs(got + math.log(C)) < 1e-3:
        raise Wrong("`marginal_weight` changes nothing in your loss: it multiplies ln P_c + ln P_c' "
                    f"(perfect pairs then give -(2 x 1.5 - 1) ln C = {-2 * math.log(C):.4f}).")
    expect_close(got, -2.0 * math.log(C), "your loss for perfect pairs with marginal_weight=1.5",
                 rtol=1e-3, atol=1e-5)
    expect_close(_loss_value(student_fn, p, q, "random outputs, marginal_weight=1.5", 1.5),
                 to_numpy(reference_loss(p, q, marginal_weight=1.5)),
                 "your loss on random softmax outputs with marginal_weight=1.5", rtol=1e-3, atol=1e-5)
    empty = _one_hot(rng.integers(0, 3, 40), C)  # clusters 3 and 4 are empty
    expect_close(_loss_value(student_fn, empty, empty, "empty clusters"), to_numpy(reference_loss(empty, empty)),
                 "your loss with two empty clusters", rtol=1e-3, atol=1e-4)
    return "it matches unsuplab.iic.iic_loss: -ln C for perfect pairs, 0 for collapsed or independent ones, " \
           "the marginal weight in place, finite when a cluster is empty."


@exercise("Exercise 2 (one cluster carries no information)", reference="unsuplab.iic.loss:mutual_information")
def mutual_information(student_fn):
    """``student_fn(P)`` -> ``I`` in nats of a (C, C) joint matrix, with 0 ln 0 = 0; 0 for a single cluster."""
    C = 4
    one = np.zeros((C, C))
    one[0, 0] = 1.0  # every image, and every perturbed copy, in cluster 0
    got = float(to_numpy(student_fn(one)))
    if not math.isfinite(got):
        raise Wrong(f"for the one-cluster P your I is {got}: skip the zero entries of P (0 ln 0 = 0), "
                    "or clamp them at a tiny eps before the log.")
    if abs(got) > 1e-5:
        raise Wrong(f"for the one-cluster P (P_00 = 1, all else 0) I should be 0, got {got:.4g}: there "
                    "P_00 = P_0 P_0' = 1 and ln(1 / (1 x 1)) = 0.")
    diagonal = np.eye(C) / C
    expect_close(student_fn(diagonal), math.log(C), "your I for a balanced, perfectly paired P (eye(C) / C)",
                 rtol=1e-4)
    rng = np.random.default_rng(1)
    P = rng.random((C, C))
    P = (P + P.T) / P.sum() / 2.0
    row, col = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
    expect_close(student_fn(P), float(np.sum(P * np.log(P / (row * col)))), "your I for a random joint P",
                 rtol=1e-4)
    return "a single cluster gives I = 0: knowing x's cluster tells nothing about g(x)'s, since both are " \
           "always cluster 0."


@exercise("Exercise 1 (the IIC loss), hidden cases", reference="unsuplab.iic.loss:iic_loss")
def hidden_iic_loss(student_fn):
    """3 clusters, 90 pairs, marginal weights 1 and 2, against the library's loss."""
    rng = np.random.default_rng(12)
    p, q = (rng.dirichlet(np.ones(3) * 0.5, 90).astype("float32") for _ in range(2))
    for weight in (1.0, 2.0):
        expect_close(_loss_value(student_fn, p, q, f"3 clusters, marginal_weight={weight:g}", weight),
                     to_numpy(reference_loss(p, q, marginal_weight=weight)),
                     f"your loss for 3 clusters with marginal_weight={weight:g}", rtol=1e-3, atol=1e-5)


@exercise("Exercise 2 (one cluster carries no information), hidden cases",
          reference="unsuplab.iic.loss:mutual_information")
def hidden_mutual_information(student_fn):
    """A 6 x 6 joint with zero entries (0 ln 0 = 0) and an unbalanced one."""
    rng = np.random.default_rng(13)
    P = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
    P[0, 0] += 0.1
    P = (P + P.T) / (2 * P.sum())
    row, col = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
    nz = P > 0
    want = float(np.sum(P[nz] * np.log(P[nz] / (row * col)[nz])))
    expect_close(student_fn(P), want, "your I for a 6 x 6 joint with zero entries", rtol=1e-4)
