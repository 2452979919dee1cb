import numpy as np

from unsuplab import metrics
from unsuplab.checks import lesson09


def todo(*args):
    raise NotImplementedError()


def _square(x, row, col, size):
    mask = np.zeros(x.shape, bool)
    mask[:, row:row + size, col:col + size] = True
    return np.where(mask, 0.0, x).astype("float32"), mask


def test_blank_square_check_accepts_right_and_names_each_mistake():
    assert lesson09.blank_square(_square)
    assert lesson09.blank_square(todo).status == "todo"

    def swapped(x, row, col, size):
        return _square(x, col, row, size)

    def inverted(x, row, col, size):
        x_masked, mask = _square(x, row, col, size)
        return x_masked, ~mask

    def off_by_one(x, row, col, size):
        return _square(x, row, col, size + 1)

    def in_place(x, row, col, size):
        x[:, row:row + size, col:col + size] = 0
        return x, _square(x, row, col, size)[1]

    def float_mask(x, row, col, size):
        x_masked, mask = _square(x, row, col, size)
        return x_masked, mask.astype("float32")

    for fn, words in ((swapped, "(col, row)"), (inverted, "inverted"), (off_by_one, "a 4x4 square has 16"),
                      (in_place, "changed `x` itself"), (float_mask, "boolean")):
        result = lesson09.blank_square(fn)
        assert result.status == "wrong" and words in result.message, (fn.__name__, result.message)


def test_masked_psnr_check_accepts_right_and_names_each_mistake():
    def right(ref, est, mask):
        return np.mean([10 * np.log10(1 / np.mean((r[m] - e[m]) ** 2)) for r, e, m in zip(ref, est, mask)])

    def whole_image(ref, est, mask):
        return metrics.psnr(ref, est)

    def pooled(ref, est, mask):
        return 10 * np.log10(1 / np.mean((ref[mask] - est[mask]) ** 2))

    assert lesson09.masked_psnr(right)
    assert lesson09.masked_psnr(todo).status == "todo"
    assert "whole images" in lesson09.masked_psnr(whole_image).message
    assert "one PSNR per image" in lesson09.masked_psnr(pooled).message
    assert "should be" in lesson09.masked_psnr(lambda r, e, m: 20.0).message
