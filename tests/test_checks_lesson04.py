"""Lesson 04 check: a right answer passes, a wrong one is told what is wrong, a blank one is 'not attempted'."""

import numpy as np

from unsuplab import losses
from unsuplab.checks import lesson04 as check


def _kl(rho, rho_hat):
    return np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))


def _todo(rho, rho_hat):
    raise NotImplementedError()


def test_kl_sparsity():
    assert check.kl_sparsity(_kl)
    assert check.kl_sparsity(lambda r, h: losses.kl_sparsity(r, np.asarray(h, "float32")))  # library agrees
    wrong = check.kl_sparsity(lambda r, h: np.sum(r * np.log(r / h)))
    assert wrong.status == "wrong" and "(1 - rho)" in wrong.message
    wrong = check.kl_sparsity(lambda r, h: np.mean(r * np.log(r / h) + (1 - r) * np.log((1 - r) / (1 - h))))
    assert wrong.status == "wrong" and "SUM" in wrong.message
    assert check.kl_sparsity(_todo).status == "todo"
