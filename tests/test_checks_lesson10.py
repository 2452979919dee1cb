import numpy as np

from unsuplab import degrade, metrics
from unsuplab.checks import lesson10


def todo(*args):
    raise NotImplementedError()


def test_gray_baseline_check_accepts_right_and_names_each_mistake():
    def right(x):
        y = 0.2125 * x[..., 0] + 0.7154 * x[..., 1] + 0.0721 * x[..., 2]
        return np.repeat(y[..., None], 3, axis=-1)

    assert lesson10.gray_baseline(right)
    assert lesson10.gray_baseline(lambda x: degrade.gray_to_rgb(degrade.to_gray(x)))
    assert lesson10.gray_baseline(todo).status == "todo"
    assert "repeat it 3 times" in lesson10.gray_baseline(degrade.to_gray).message
    plain_mean = lesson10.gray_baseline(lambda x: np.repeat(x.mean(-1, keepdims=True), 3, -1))
    assert plain_mean.status == "wrong" and "0.7154" in plain_mean.message


def test_colourfulness_check_accepts_right_and_names_each_mistake():
    def parts(x, scale=255.0):
        x = x.astype("float64") * scale
        rg = (x[..., 0] - x[..., 1]).reshape(len(x), -1)
        yb = (0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]).reshape(len(x), -1)
        spread = np.sqrt(rg.std(1) ** 2 + yb.std(1) ** 2)
        return spread, np.sqrt(rg.mean(1) ** 2 + yb.mean(1) ** 2)

    def right(x):
        spread, centre = parts(x)
        return spread + 0.3 * centre

    def unscaled(x):
        spread, centre = parts(x, 1.0)
        return spread + 0.3 * centre

    assert lesson10.colourfulness(right)
    assert lesson10.colourfulness(metrics.colourfulness)
    assert lesson10.colourfulness(todo).status == "todo"
    assert "255 times too small" in lesson10.colourfulness(unscaled).message
    assert "spread term only" in lesson10.colourfulness(lambda x: parts(x)[0]).message
    assert "one value per image" in lesson10.colourfulness(lambda x: right(x).mean()).message
