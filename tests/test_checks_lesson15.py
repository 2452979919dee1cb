"""Lesson 15's check cells: a correct answer passes, a typical mistake is named, an unfinished one waits."""

import numpy as np
from keras import ops

from unsuplab.checks import lesson15


def right_loss(p, q, marginal_weight=1.0, eps=1e-7):
    P = ops.matmul(ops.transpose(p), q) / p.shape[0]
    P = (P + ops.transpose(P)) / 2.0
    P = ops.maximum(P / ops.sum(P), eps)
    pc, pc2 = ops.sum(P, axis=1, keepdims=True), ops.sum(P, axis=0, keepdims=True)
    return -ops.sum(P * (ops.log(P) - marginal_weight * (ops.log(pc) + ops.log(pc2))))


def todo(*args):
    raise NotImplementedError()


def test_iic_loss_check(capsys):
    assert lesson15.iic_loss(right_loss)

    wrong = lesson15.iic_loss(lambda p, q: -right_loss(p, q))  # returns +I
    assert wrong.status == "wrong" and "MINUS" in wrong.message

    def unsymmetrised(p, q):
        P = np.asarray(p, "float64").T @ np.asarray(q, "float64") / len(p)
        r, c = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
        return -np.sum(P * (np.log(np.maximum(P, 1e-7)) - np.log(r) - np.log(c)))

    wrong = lesson15.iic_loss(unsymmetrised)
    assert wrong.status == "wrong" and "symmetrisation" in wrong.message

    def no_clamp(p, q):
        P = np.asarray(p, "float64").T @ np.asarray(q, "float64") / len(p)
        P = (P + P.T) / 2
        r, c = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
        with np.errstate(all="ignore"):
            return -np.sum(P * (np.log(P) - np.log(r) - np.log(c)))

    wrong = lesson15.iic_loss(no_clamp)
    assert wrong.status == "wrong" and ("eps" in wrong.message or "log of 0" in wrong.message)
    assert lesson15.iic_loss(todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out

    wrong = lesson15.iic_loss(lambda p, q, marginal_weight=1.0: right_loss(p, q))  # weight ignored
    assert wrong.status == "wrong" and "changes nothing" in wrong.message
    wrong = lesson15.iic_loss(lambda p, q: right_loss(p, q))  # no weight argument at all
    assert wrong.status == "wrong" and "marginal_weight" in wrong.message
    wrong = lesson15.iic_loss(lambda p, q, marginal_weight=1.0: right_loss(p, q, 2.0 * marginal_weight - 1.0))
    assert wrong.status == "wrong"  # weight on the wrong terms: right at 1, wrong at 1.5
    wrong = lesson15.iic_loss(lambda p, q, marginal_weight=1.0: None)
    assert wrong.status == "wrong" and "None" in wrong.message


def test_iic_loss_check_rejects_nan_and_inf():
    for bad in (float("nan"), float("inf")):
        wrong = lesson15.iic_loss(lambda p, q, marginal_weight=1.0, bad=bad: ops.convert_to_tensor(bad))
        assert wrong.status == "wrong"

    def nan_for_collapse(p, q, marginal_weight=1.0):  # right except when a cluster is empty, then NaN
        value = right_loss(p, q, marginal_weight)
        return value if float(np.min(np.sum(np.asarray(p), 0))) > 0 else float("nan")

    wrong = lesson15.iic_loss(nan_for_collapse)
    assert wrong.status == "wrong" and ("eps" in wrong.message or "log of 0" in wrong.message)


def test_single_cluster_information_check():
    def right(P):
        P = np.asarray(P, "float64")
        r, c = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
        nz = P > 0
        return float(np.sum(P[nz] * np.log(P[nz] / (r * c)[nz])))

    assert lesson15.mutual_information(right)

    def entropy_instead(P):  # H(z) instead of I(z, z'): right for one cluster and for eye(C) / C only
        r = np.asarray(P).sum(1)
        r = r[r > 0]
        return float(-(r * np.log(r)).sum())

    wrong = lesson15.mutual_information(entropy_instead)
    assert wrong.status == "wrong" and "random joint P" in wrong.message

    def nan_on_zeros(P):
        P = np.asarray(P, "float64")
        r, c = P.sum(1, keepdims=True), P.sum(0, keepdims=True)
        with np.errstate(all="ignore"):
            return float(np.sum(P * np.log(P / (r * c))))

    wrong = lesson15.mutual_information(nan_on_zeros)
    assert wrong.status == "wrong" and ("0 ln 0" in wrong.message or "log of 0" in wrong.message)
    assert lesson15.mutual_information(lambda P: 1.0).status == "wrong"
    assert lesson15.mutual_information(todo).status == "todo"
    assert lesson15.mutual_information(lambda P: float("nan")).status == "wrong"
