"""Lesson 14's check cells: a right answer passes, each named mistake is told, unfinished waits, NaN never passes."""

import numpy as np
import pytest
from checks_reference import twin
from keras import ops

from unsuplab import recommender
from unsuplab.checks import lesson14


def _todo(*args):
    raise NotImplementedError()


def right_loss(ratings, predicted):
    observed = ops.cast(ops.not_equal(ratings, 0), "float32")
    return ops.sum(observed * ops.square(ratings - predicted)) / ops.sum(observed)


def test_masked_loss_check_accepts_right_and_names_each_mistake(capsys):
    assert lesson14.masked_loss(right_loss)
    assert lesson14.masked_loss(twin(recommender.observed_squared_error))

    wrong = lesson14.masked_loss(lambda r, p: ops.mean(ops.square(r - p)))  # unrated entries counted
    assert wrong.status == "wrong" and "every entry" in wrong.message
    wrong = lesson14.masked_loss(lambda r, p: ops.sqrt(right_loss(r, p)))
    assert wrong.status == "wrong" and "RMSE" in wrong.message
    observed_sum = lambda r, p: ops.sum(ops.cast(ops.not_equal(r, 0), "float32") * ops.square(r - p))  # noqa: E731
    wrong = lesson14.masked_loss(observed_sum)
    assert wrong.status == "wrong" and "number of observed ratings" in wrong.message
    wrong = lesson14.masked_loss(lambda r, p: ops.cast(ops.not_equal(r, 0), "float32") * ops.square(r - p))
    assert wrong.status == "wrong" and "scalar" in wrong.message
    assert lesson14.masked_loss(lambda r, p: None).status == "wrong"
    assert lesson14.masked_loss(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_masked_loss_check_rejects_non_finite(bad):
    assert lesson14.masked_loss(lambda r, p: right_loss(r, p) * bad).status == "wrong"


def test_top_n_check_rejects_items_already_rated():
    def right(predicted, rated, n):
        return np.argsort(-np.where(rated, -np.inf, predicted), axis=1, kind="stable")[:, :n]

    def include_rated(predicted, rated, n):
        return np.argsort(-predicted, axis=1)[:, :n]

    assert lesson14.top_n(right)
    wrong = lesson14.top_n(include_rated)
    assert wrong.status == "wrong" and "already rated" in wrong.message
    assert lesson14.top_n(_todo).status == "todo"
    assert lesson14.top_n(lambda predicted, rated, n: np.full((5, 3), np.nan)).status == "wrong"
