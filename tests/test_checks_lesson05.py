"""Lesson 05 check: a right answer passes, a wrong one is told what is wrong, a blank one is 'not attempted'."""

import numpy as np

from unsuplab.checks import lesson05 as check


def _salt_pepper(x, amount, seed):
    rng = np.random.default_rng(seed)
    out = x.copy()
    hit = rng.random(x.shape) < amount
    out[hit] = (rng.random(x.shape) < 0.5)[hit]
    return out


def _gaussian(x, amount, seed):
    return np.clip(x + amount * np.random.default_rng(seed).standard_normal(x.shape), 0, 1)


def _in_place(x, amount, seed):
    hit = np.random.default_rng(seed).random(x.shape) < amount
    x[hit] = 1.0
    return x


def _todo(x, amount, seed):
    raise NotImplementedError()


def test_salt_and_pepper():
    assert check.salt_and_pepper(_salt_pepper)
    wrong = check.salt_and_pepper(_gaussian)
    assert wrong.status == "wrong" and "replace pixels" in wrong.message
    wrong = check.salt_and_pepper(_in_place)
    assert wrong.status == "wrong" and "in place" in wrong.message
    assert check.salt_and_pepper(_todo).status == "todo"
