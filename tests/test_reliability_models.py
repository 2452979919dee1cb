"""Issue 26: DEC's soft assignment in log space (item 5); models that plain ``fit`` cannot train say so (item 6);
IIC segmentation names the smallest image side its mirror padding takes."""

import keras
import numpy as np
import pytest

from unsuplab import dec
from unsuplab.iic import build_iic, build_iic_segmentation

# ----------------------------------------------------------------------------- item 5: DEC in log space

def test_soft_assignment_is_finite_for_large_alpha_and_far_points():
    q = keras.ops.convert_to_numpy(dec.soft_assignment([[30.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]], alpha=100.0))
    assert np.all(np.isfinite(q)) and np.allclose(q.sum(1), 1.0)
    assert q[0, 1] > q[0, 0]  # the point at 30 is nearer the centroid at 1
    far = keras.ops.convert_to_numpy(dec.soft_assignment([[1e6, 0.0]], [[0.0, 0.0], [2.0, 0.0]]))
    assert np.all(np.isfinite(far)) and far[0, 1] > far[0, 0]


def test_soft_assignment_still_matches_the_closed_form():
    rng = np.random.default_rng(0)
    z, mu = rng.normal(size=(7, 3)), rng.normal(size=(4, 3))
    for alpha in (1.0, 3.0):
        kernel = (1 + ((z[:, None] - mu[None]) ** 2).sum(-1) / alpha) ** (-(alpha + 1) / 2)
        want = kernel / kernel.sum(1, keepdims=True)
        got = keras.ops.convert_to_numpy(dec.soft_assignment(z.astype("float32"), mu.astype("float32"), alpha))
        assert np.allclose(got, want, atol=1e-6)


def _dec_model(alpha=1.0):
    inputs = keras.Input((2,))
    encoder = keras.Model(inputs, keras.layers.Identity()(inputs))
    clustering = dec.ClusteringLayer(2, alpha=alpha)
    model = dec.DEC(encoder, clustering)
    clustering.set_centroids([[0.0, 0.0], [1.0, 0.0]])
    return model


def test_dec_assign_picks_the_nearest_centroid_with_alpha_100():
    model = _dec_model(alpha=100.0)
    x = np.array([[30.0, 0.0], [-30.0, 0.0], [0.9, 0.0]], "float32")
    assert model.assign(x).tolist() == [1, 0, 1]
    assert np.all(np.isfinite(model.cluster_probabilities(x)))


def test_dec_fit_without_a_target_names_fit_dec():
    model = _dec_model()
    model.compile("adam")
    with pytest.raises(ValueError, match="fit_dec"):
        model.fit(np.zeros((4, 2), "float32"), epochs=1, verbose=0)


def test_dec_fit_with_a_target_still_trains():
    model = _dec_model()
    model.compile(keras.optimizers.SGD(0.1))
    x = np.array([[0.1, 0.0], [0.9, 0.0], [0.2, 0.0], [0.8, 0.0]], "float32")
    p = keras.ops.convert_to_numpy(dec.target_distribution(model.cluster_probabilities(x)))
    before = model.centroids.copy()
    history = model.fit(x, p, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"][-1]) and not np.allclose(model.centroids, before)


# ----------------------------------------------------------------------------- item 6: IIC's fit

def test_iic_fit_raises_naming_fit_iic():
    model = build_iic((16, 16, 1), n_clusters=2, n_overclusters=0, n_subheads=1, filters=(4, 4), out_size=12,
                      seed=0)
    weights = [w.copy() for w in model.get_weights()]
    model.compile("adam")
    x = np.random.default_rng(0).random((8, 16, 16, 1)).astype("float32")
    for call in (lambda: model.fit(x, epochs=1, verbose=0), lambda: model.train_on_batch(x)):
        with pytest.raises(TypeError, match=r"unsuplab\.iic\.fit_iic\(model, x"):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))


def test_segmentation_fit_raises_naming_fit_iic():
    model = build_iic_segmentation(n_clusters=2, n_overclusters=0, blocks=(4, "M", 4), seed=0)
    with pytest.raises(TypeError, match="fit_iic"):
        model.fit(np.zeros((2, 16, 16, 1), "float32"), verbose=0)


# ----------------------------------------------------------------------------- segmentation: smallest side

def test_segmentation_names_the_smallest_side_for_mirror_padding():
    model = build_iic_segmentation(n_clusters=2, n_overclusters=0, seed=0)  # default blocks: stride 4, pad 2
    assert model.min_side == 12
    digits = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")  # the `digits` data set's size
    with pytest.raises(ValueError, match="at least 12 pixels on a side"):
        model.assign(digits)
    from unsuplab.iic import fit_iic

    with pytest.raises(ValueError, match="at least 12 pixels on a side"):
        fit_iic(model, digits, epochs=1, batch_size=2, schedule=("main",))
    assert model.assign(np.zeros((2, 12, 12, 1), "float32")).shape == (2, 12, 12)


def test_segmentation_crop_below_the_smallest_side_is_refused_at_build():
    with pytest.raises(ValueError, match="`out_size`.*at least 12"):
        build_iic_segmentation(n_clusters=2, n_overclusters=0, out_size=8, seed=0)


# ----------------------------------------------------------------------------- found by the adversarial pass

def test_soft_assignment_names_bad_shapes_and_alpha():
    with pytest.raises(ValueError, match="same d"):
        dec.soft_assignment(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="same d"):
        dec.soft_assignment(np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="`alpha`"):
        dec.soft_assignment(np.zeros((2, 3)), np.zeros((2, 3)), alpha=0)


def test_segmentation_blocks_and_factor_are_checked():
    from unsuplab.iic.segmentation import upsample_maps

    with pytest.raises(ValueError, match="`blocks \\(a dilation\\)` must be at least 1"):
        build_iic_segmentation(blocks=((8, 0),))
    with pytest.raises(ValueError, match="`factor` must be at least 1"):
        upsample_maps(np.zeros((1, 1, 4, 4, 2), "float32"), 0)
