import numpy as np

from unsuplab.checks import lesson08


def test_psnr_check_accepts_right_rejects_wrong_and_waits_for_unfinished(capsys):
    def right(ref, est):
        mse = np.mean((ref - est) ** 2, axis=(1, 2, 3))
        return np.mean(10 * np.log10(1 / mse))

    def doubled(ref, est):
        return 20 * np.log10(1 / np.mean((ref - est) ** 2))

    def todo(ref, est):
        raise NotImplementedError()

    assert lesson08.psnr(right)
    wrong = lesson08.psnr(doubled)
    assert wrong.status == "wrong" and "20 * log10(1 / MSE)" in wrong.message
    assert lesson08.psnr(todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out
