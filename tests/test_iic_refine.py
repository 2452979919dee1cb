"""Per-image refinement of segmentation maps: a border placed 4 pixels off by the probabilities is put back
where sharp features say it is; images with one sure cluster are left alone; bad input is named."""

import numpy as np
import pytest

from unsuplab.iic import refine_segmentation


def two_halves(n=2, side=32, true_border=16, iic_border=19.5, seed=0):
    """Truth: class 0 left of ``true_border``, 1 right of it. Features: sharp (+1 / -1, small noise). IIC's
    probabilities: a soft border at ``iic_border`` (a wide window's estimate, 4 pixels off)."""
    rng = np.random.default_rng(seed)
    col = np.arange(side)
    truth = np.broadcast_to((col >= true_border).astype(int), (n, side, side))
    features = np.where(truth == 0, 1.0, -1.0)[..., None] + 0.1 * rng.standard_normal((n, side, side, 1))
    p1 = 1 / (1 + np.exp(-(col - iic_border) / 1.5))
    probs = np.broadcast_to(np.stack([1 - p1, p1], -1), (n, side, side, 2)).copy()
    return probs, features, truth


def test_border_moves_to_where_the_features_put_it():
    probs, features, truth = two_halves()
    assert np.mean(probs.argmax(-1) == truth) == pytest.approx(28 / 32)
    refined = refine_segmentation(probs, features, smooth=0)
    assert refined.shape == truth.shape
    assert np.array_equal(refined, truth)


def test_an_image_with_one_sure_cluster_keeps_its_labels():
    probs, features, _ = two_halves(n=1)
    probs[..., 0], probs[..., 1] = 0.95, 0.05   # one cluster everywhere: nothing to fit a discriminant on
    assert np.array_equal(refine_segmentation(probs, features), np.zeros((1, 32, 32), int))


@pytest.mark.parametrize("change, match", [
    (lambda p, f: (p[0], f), "probs"),
    (lambda p, f: (p, f[:, :16]), "share"),
    (lambda p, f: (p, np.where(f > 0, np.nan, f)), "features"),
])
def test_bad_input_is_named(change, match):
    probs, features, _ = two_halves(n=1)
    with pytest.raises(ValueError, match=match):
        refine_segmentation(*change(probs, features))


def test_bad_options_are_named():
    probs, features, _ = two_halves(n=1)
    with pytest.raises(ValueError, match="confidence"):
        refine_segmentation(probs, features, confidence=1.5)
    with pytest.raises(ValueError, match="margin"):
        refine_segmentation(probs, features, margin=-1)
