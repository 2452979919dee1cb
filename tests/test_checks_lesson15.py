"""Lesson 15's check cells: a correct answer passes, a typical mistake is named, an unfinished one waits."""

import numpy as np
from keras import ops

from unsuplab.checks import lesson15


def right_loss(p, q, eps=1e-7):
    P = ops.matmul(ops.transpose(p), q) / p.shape[0]
    P = (P + ops.transpose(P)) / 2.0
    P = ops.maximum(P / ops.sum(P), eps)
    pc, pc2 = ops.sum(P, axis=1, keepdims=True), ops.sum(P, axis=0, keepdims=True)
    return -ops.sum(P * (ops.log(P) - ops.log(pc) - ops.log(pc2)))


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
    assert wrong.status == "wrong" and "eps" in wrong.message
    assert lesson15.iic_loss(todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


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
    assert wrong.status == "wrong" and "0 ln 0" in wrong.message
    assert lesson15.mutual_information(lambda P: 1.0).status == "wrong"
    assert lesson15.mutual_information(todo).status == "todo"
