import numpy as np

from unsuplab.checks import lesson14


def _todo(*args):
    raise NotImplementedError()


def test_masked_rmse_check_accepts_right_and_names_each_mistake(capsys):
    def right(truth, prediction, mask):
        return np.sqrt(np.mean((truth[mask] - prediction[mask]) ** 2))

    def everywhere(truth, prediction, mask):
        return np.sqrt(np.mean((truth - prediction) ** 2))

    def no_root(truth, prediction, mask):
        return np.mean((truth[mask] - prediction[mask]) ** 2)

    assert lesson14.masked_rmse(right)
    wrong = lesson14.masked_rmse(everywhere)
    assert wrong.status == "wrong" and "only where `mask` is True" in wrong.message
    assert "square root" in lesson14.masked_rmse(no_root).message
    assert lesson14.masked_rmse(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


def test_top_n_check_rejects_items_already_rated():
    def right(predicted, rated, n):
        return np.argsort(-np.where(rated, -np.inf, predicted), axis=1, kind="stable")[:, :n]

    def include_rated(predicted, rated, n):
        return np.argsort(-predicted, axis=1)[:, :n]

    assert lesson14.top_n(right)
    wrong = lesson14.top_n(include_rated)
    assert wrong.status == "wrong" and "already rated" in wrong.message
    assert lesson14.top_n(_todo).status == "todo"
