import numpy as np

from unsuplab.checks import lesson12


def _todo(*args):
    raise NotImplementedError()


def test_score_check_accepts_per_image_mse_and_explains_wrong_answers(capsys):
    def right(model, x):
        return np.mean((model.predict(x, verbose=0) - x) ** 2, axis=(1, 2, 3))

    def one_number(model, x):
        return np.mean((model.predict(x, verbose=0) - x) ** 2)

    def flipped(model, x):
        return -right(model, x)

    assert lesson12.reconstruction_scores(right)
    wrong = lesson12.reconstruction_scores(one_number)
    assert wrong.status == "wrong" and "one score per image" in wrong.message
    assert "wrong sign" in lesson12.reconstruction_scores(flipped).message
    assert lesson12.reconstruction_scores(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


def test_threshold_check_accepts_the_upper_quantile_and_rejects_the_lower_one():
    def right(scores, fpr):
        return np.quantile(scores, 1 - fpr)

    def lower(scores, fpr):
        return np.quantile(scores, fpr)

    def mean(scores, fpr):
        return scores.mean()

    assert lesson12.threshold_for_fpr(right)
    wrong = lesson12.threshold_for_fpr(lower)
    assert wrong.status == "wrong" and "(1 - fpr) quantile" in wrong.message
    assert "should flag 5%" in lesson12.threshold_for_fpr(mean).message
    assert lesson12.threshold_for_fpr(_todo).status == "todo"
