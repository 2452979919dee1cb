"""Segmentation metrics against hand-computed values, and the classical texture-segmentation baselines."""

import numpy as np
import pytest
from skimage.filters import gabor
from sklearn.metrics import jaccard_score

from unsuplab import texture_features as tf
from unsuplab.datasets import texture_mosaics
from unsuplab.metrics import border_distance, matched_segmentation, mean_iou, pixel_accuracy

# ----------------------------------------------------------------------------- metrics

def test_a_permuted_labelling_scores_one():
    y = np.random.default_rng(0).integers(0, 3, (4, 8, 8))
    assigned = np.array([7, 100, 3])[y]          # any ids, any permutation
    assert pixel_accuracy(assigned, y) == 1.0 and mean_iou(assigned, y) == 1.0


def test_known_confusion_gives_known_scores():
    # one 2 x 4 image; classes 0 (4 pixels) and 1 (4 pixels); one pixel of class 1 put in class 0's cluster
    y = np.array([[0, 0, 0, 0], [1, 1, 1, 1]])
    assigned = np.array([[5, 5, 5, 5], [5, 9, 9, 9]])
    assert pixel_accuracy(assigned, y) == pytest.approx(7 / 8)
    # IoU(0) = 4 / 5, IoU(1) = 3 / 4
    assert mean_iou(assigned, y) == pytest.approx((4 / 5 + 3 / 4) / 2)
    matched, labels = matched_segmentation(assigned, y, per_image=False)
    assert mean_iou(assigned, y) == pytest.approx(jaccard_score(labels, matched, average="macro"))


def test_unmatched_class_scores_zero_iou_and_extra_clusters_count_wrong():
    y = np.array([[0, 0, 1, 2]])
    assert mean_iou(np.array([[4, 4, 4, 4]]), y) == pytest.approx((2 / 4 + 0 + 0) / 3)
    assert pixel_accuracy(np.array([[0, 1, 2, 3]]), np.array([[0, 0, 0, 0]])) == pytest.approx(1 / 4)


def test_global_versus_per_image_matching():
    y = np.array([[[0, 0, 1, 1]], [[0, 0, 1, 1]]])
    assigned = np.array([[[0, 0, 1, 1]], [[1, 1, 0, 0]]])   # ids swapped in the second image
    assert pixel_accuracy(assigned, y) == pytest.approx(0.5)
    assert pixel_accuracy(assigned, y, per_image=True) == 1.0
    assert mean_iou(assigned, y, per_image=True) == 1.0


def test_metrics_reject_mismatched_or_bad_input():
    with pytest.raises(ValueError, match="shape"):
        pixel_accuracy(np.zeros((2, 4, 4), int), np.zeros((2, 4, 5), int))
    with pytest.raises(ValueError, match="shape"):
        mean_iou(np.zeros((2, 4, 4), int), np.zeros((2, 16), int)[None])
    with pytest.raises(TypeError, match="assigned"):
        pixel_accuracy(np.full((1, 2, 2), 0.5), np.zeros((1, 2, 2), int))
    with pytest.raises(ValueError, match="labels"):
        mean_iou(np.zeros((0, 2, 2), int), np.zeros((0, 2, 2), int))


def test_border_distance_counts_pixels_from_the_nearest_border():
    y = np.array([[0, 0, 0, 1, 1, 1]] * 3)  # one vertical border between columns 2 and 3
    assert border_distance(y)[0].tolist() == [2, 1, 0, 1, 2, 3]  # the pixel left of the border is the border pixel
    many = np.stack([y, np.zeros_like(y)])
    d = border_distance(many)
    assert d.shape == many.shape and np.isinf(d[1]).all()   # one class: no border at all
    with pytest.raises(ValueError, match="labels"):
        border_distance(np.zeros(5, int))
    with pytest.raises(TypeError, match="labels"):
        border_distance(np.full((2, 2), 0.5))


# ----------------------------------------------------------------------------- baselines

@pytest.fixture(scope="module")
def easy():
    """Two textures, two regions: small mosaics on which texture features must beat chance clearly."""
    return texture_mosaics(3, size=64, textures=("brick", "gravel"), split="test", seed=0, regions=2)


def test_gabor_energy_equals_skimage_gabor():
    x, _ = texture_mosaics(2, size=48, seed=0)
    ours = tf.gabor_features(x, frequencies=(0.2,), orientations=2, smoothing=1e-9)   # no smoothing
    for j, theta in enumerate((0.0, np.pi / 2)):
        real, imag = gabor(x[1, ..., 0].astype("float64"), 0.2, theta=theta, mode="reflect")
        energy = np.hypot(real, imag)
        assert np.allclose(ours[1, ..., j], (energy - energy.mean()) / energy.std(), atol=1e-4)


@pytest.mark.parametrize("segment", [tf.segment_gabor, tf.segment_lbp])
def test_texture_baselines_beat_chance(easy, segment):
    x, y = easy
    labels = segment(x, 2)
    assert labels.shape == y.shape and labels.dtype == np.int64
    assert pixel_accuracy(labels, y, per_image=True) > 0.75     # chance is about 0.5


def test_intensity_baseline_shape_and_set_fit(easy):
    x, y = easy
    labels = tf.segment_intensity(x, 2, fit="set")
    assert labels.shape == y.shape and set(np.unique(labels)) <= {0, 1}
    assert tf.segment_intensity(x, 2).shape == y.shape


def test_features_shapes():
    x = np.random.default_rng(0).random((2, 32, 32, 1)).astype("float32")
    assert tf.intensity_features(x).shape == (2, 32, 32, 1)
    assert tf.gabor_features(x, frequencies=(0.2, 0.4), orientations=4).shape == (2, 32, 32, 8)
    assert tf.lbp_features(x, scales=((8, 1),), window=5).shape == (2, 32, 32, 10)


@pytest.mark.parametrize("call, word", [
    (lambda x: tf.segment_intensity(x[..., 0], 2), "`images`"),
    (lambda x: tf.segment_intensity(x, 0), "`k`"),
    (lambda x: tf.segment_intensity(x, 2, fit="pixels"), "`fit`"),
    (lambda x: tf.segment_gabor(x, 2, frequencies=(0.7,)), "`frequencies`"),
    (lambda x: tf.segment_gabor(x, 2, frequencies=(0.005,)), "`frequencies`"),
    (lambda x: tf.segment_lbp(x, 2, window=0), "`window`"),
])
def test_baselines_reject_bad_input(call, word):
    x = np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32")
    with pytest.raises((ValueError, TypeError), match=word):
        call(x)
