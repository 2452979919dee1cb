"""IIC segmentation (eq. 5): the one-convolution joint against a loop over displacements, the views and the
inverse flip, gradients, the fully convolutional model with fit_iic, a .keras round trip and named errors."""

import math

import keras
import numpy as np
import pytest
from autodiff import gradient
from keras import ops

from unsuplab.iic import build_iic_segmentation, fit_iic, mutual_information, segmentation_joint
from unsuplab.iic.segmentation import SegmentationViews, segmentation_loss, shift_back, unflip, upsample_maps


def np_(t):
    return np.asarray(ops.convert_to_numpy(t), "float64")


def loop_joint(p1, p2, T, mask=None):
    """eq. 5 written out: for each displacement t, sum over images and pixels u (u + t inside) of
    p1[u + t] p2[u]^T, normalised, symmetrised. Index [T + t_y, T + t_x]."""
    p1, p2 = np.asarray(p1, "float64"), np.asarray(p2, "float64")
    if mask is not None:
        p1, p2 = p1 * mask[..., None], p2 * mask[..., None]
    n, h, w, k = p1.shape
    out = np.zeros((2 * T + 1, 2 * T + 1, k, k))
    for a in range(2 * T + 1):
        for b in range(2 * T + 1):
            for y in range(h):
                for x in range(w):
                    if 0 <= y + a - T < h and 0 <= x + b - T < w:
                        out[a, b] += p1[:, y + a - T, x + b - T].T @ p2[:, y, x]
            out[a, b] /= out[a, b].sum()
            out[a, b] = (out[a, b] + out[a, b].T) / 2
    return out


def probs(shape, seed):
    return np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1]).astype("float32")


@pytest.mark.parametrize("T", [0, 1, 2])
def test_one_convolution_matches_loop_over_displacements(T):
    p1, p2 = probs((2, 5, 6, 3), 0), probs((2, 5, 6, 3), 1)
    np.testing.assert_allclose(np_(segmentation_joint(p1, p2, T)), loop_joint(p1, p2, T), atol=1e-6)


def test_mask_matches_loop_and_rectangular_k():
    p1, p2 = probs((3, 6, 4, 4), 2), probs((3, 6, 4, 4), 3)
    mask = (np.random.default_rng(4).random((3, 6, 4)) > 0.3).astype("float32")
    np.testing.assert_allclose(np_(segmentation_joint(p1, p2, 1, mask)), loop_joint(p1, p2, 1, mask), atol=1e-6)


def test_joints_are_symmetric_normalised_and_loss_is_mean_mi():
    p1, p2 = probs((2, 7, 7, 5), 5), probs((2, 7, 7, 5), 6)
    J = np_(segmentation_joint(p1, p2, 2))
    assert J.shape == (5, 5, 5, 5) and (J >= 0).all()
    np.testing.assert_allclose(J.sum((-2, -1)), 1.0, atol=1e-6)
    np.testing.assert_allclose(J, np.swapaxes(J, -1, -2), atol=1e-7)
    for lam in (1.0, 1.5):
        want = -np.mean([np_(mutual_information(J[a, b].astype("float32"), marginal_weight=lam))
                         for a in range(5) for b in range(5)])
        assert np_(segmentation_loss(p1, p2, 2, marginal_weight=lam)) == pytest.approx(want, abs=1e-5)


def test_constant_regions_give_ln_k_and_noise_gives_zero():
    """Each image one cluster (balanced over the batch), views identical: every P_t is diag(1/k), I = ln k."""
    k = 3
    p = np.repeat(np.eye(k, dtype="float32")[np.arange(6) % k][:, None, None, :], 8, 1).repeat(8, 2)
    assert np_(-segmentation_loss(p, p, 2)) == pytest.approx(math.log(k), abs=1e-4)
    uniform = np.full((2, 6, 6, k), 1 / k, "float32")
    assert np_(segmentation_loss(uniform, uniform, 1)) == pytest.approx(0.0, abs=1e-5)


def test_gradient_finite_even_when_collapsed():
    one = np.zeros((2, 6, 6, 4), "float32")
    one[..., 0] = 1.0
    p = probs((2, 6, 6, 4), 7)
    for x in (one, p):
        g = gradient(lambda v: segmentation_loss(v, ops.flip(v, axis=2), 2, marginal_weight=1.5), x)
        assert np.all(np.isfinite(g)) and g.shape == x.shape
    assert np.abs(gradient(lambda v: segmentation_loss(v, p, 1), p)).sum() > 0


def test_views_same_crop_and_inverse_flip_maps_each_pixel_back():
    """Pixel values encode their position: unflipping view 2 (no jitter) gives view 1 exactly, pixel for pixel."""
    n, side, crop = 32, 12, 8
    grid = (np.arange(side * side, dtype="float32") / (side * side)).reshape(1, side, side, 1)
    x = np.repeat(grid, n, 0) * np.linspace(0.5, 1.0, n, dtype="float32")[:, None, None, None]
    views = SegmentationViews(out_size=crop, brightness=0.0, contrast=0.0, seed=0)
    a, b, flips, shifts = (np_(v) for v in views(x, training=True))
    assert a.shape == b.shape == (n, crop, crop, 1) and set(np.unique(flips)) == {0.0, 1.0} and not shifts.any()
    np.testing.assert_allclose(np_(unflip(b, flips)), a, atol=1e-6)  # jitter of 0 still rounds
    np.testing.assert_allclose(b[flips == 1], a[flips == 1][:, :, ::-1], atol=1e-6)
    for i in range(n):  # every view-1 crop is an exact slice of its image
        hits = [(y, z) for y in range(side - crop + 1) for z in range(side - crop + 1)
                if np.array_equal(x[i, y:y + crop, z:z + crop], a[i])]
        assert len(hits) == 1
    outs = np.random.default_rng(0).random((n, 2, crop, crop, 3)).astype("float32")  # (n, subheads, h, w, k)
    np.testing.assert_array_equal(np_(unflip(unflip(outs, flips, axis=3), flips, axis=3)), outs)
    same, _, none, still = (np_(v) for v in views(x))  # inference: the whole image, no flip, no shift
    np.testing.assert_array_equal(same, x)
    assert not none.any() and not still.any()


def test_shifted_view_mapped_back_matches_view_one_where_both_see():
    n, side, crop, shift, step = 24, 16, 8, 4, 2
    grid = (np.arange(side * side, dtype="float32") / (side * side)).reshape(1, side, side, 1)
    x = np.repeat(grid, n, 0)
    views = SegmentationViews(out_size=crop, brightness=0.0, contrast=0.0, shift=shift, shift_step=step, seed=1)
    a, b, flips, shifts = views(x, training=True)
    a, shifts = np_(a), np_(shifts)
    assert np.all(shifts % step == 0) and np.abs(shifts).max() == shift and len(np.unique(shifts)) == 5
    maps = np_(unflip(b, flips))[:, None]  # as model outputs (n, 1, h, w, k), one input pixel per output pixel
    back, mask = (np_(v) for v in shift_back(maps, shifts, 1))
    np.testing.assert_allclose(back[:, 0] * mask[..., None], a * mask[..., None], atol=1e-6)
    for i in range(n):  # the mask is exactly the overlap of the two crops
        dx, dy = shifts[i].astype(int)
        assert mask[i].sum() == (crop - abs(dx)) * (crop - abs(dy))
    # at the trunk's resolution (step 2), one output pixel per 2 input pixels: the same, subsampled
    small = np_(unflip(b, flips))[:, None, ::step, ::step]
    back, mask = (np_(v) for v in shift_back(small, shifts, step))
    np.testing.assert_allclose(back[:, 0] * mask[..., None], a[:, ::step, ::step] * mask[..., None], atol=1e-6)


def test_jitter_and_sobel_channels():
    x = np.random.default_rng(1).random((4, 16, 16, 1)).astype("float32")
    views = SegmentationViews(out_size=None, seed=0, use_sobel=True, flip=False)
    a, b, flips, _ = views(x, training=True)
    assert tuple(a.shape) == (4, 16, 16, 3) and not np.any(np_(flips))
    np.testing.assert_array_equal(np_(a)[..., :1], x)
    assert not np.allclose(np_(a), np_(b))  # view 2 jittered


def test_upsampled_probabilities_still_sum_to_one():
    p = probs((2, 4, 4, 3), 8)[:, None]
    up = np_(upsample_maps(p, 4))
    assert up.shape == (2, 1, 16, 16, 3)
    np.testing.assert_allclose(up.sum(-1), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # two "textures": noise and stripes, left/right halves in random order
    x = np.empty((8, 16, 16, 1), "float32")
    stripes = np.tile((np.arange(16) % 4 < 2).astype("float32"), (16, 1))
    for i in range(8):
        noise = rng.random((16, 16)).astype("float32")
        left, right = (noise, stripes) if i % 2 else (stripes, noise)
        x[i, :, :8, 0], x[i, :, 8:, 0] = left[:, :8], right[:, 8:]
    model = build_iic_segmentation(1, 2, 4, n_subheads=2, blocks=(4, "M", 8), out_size=12, shift=2, seed=0)
    history = fit_iic(model, x, epochs=2, batch_size=4, learning_rate=1e-2)
    return model, x, history


def test_model_shapes_and_fit_history(trained):
    model, x, history = trained
    assert model.stride == 2 and model.upsample == 2 and model.displacement == 1
    assert tuple(model(x).shape) == (8, 2, 16, 16, 2)
    assert model.cluster_probabilities(x, "over").shape == (8, 2, 16, 16, 4)
    assert model.cluster_probabilities(np.zeros((4, 24, 8, 1), "float32")).shape == (4, 2, 24, 8, 2)  # any size
    labels = model.assign(x)
    assert labels.shape == (8, 16, 16) and labels.dtype.kind == "i"
    assert isinstance(history, keras.callbacks.History) and history.epoch == [0, 1]
    assert np.all(np.isfinite(history.history["main_loss"])) and len(history.history["main_loss"]) == 2
    assert model.selection_losses.shape == (2,) and model.best_subhead == int(np.argmin(model.selection_losses))
    J = model.joint_matrix(x)
    assert J.shape == (3, 3, 2, 2)
    np.testing.assert_allclose(J.sum((-2, -1)), 1.0, atol=1e-5)


def test_finer_features_and_refined_maps(trained):
    model, x, _ = trained
    assert model.pixel_features(x).shape == (8, 16, 16, 4)  # relu_0, the last ReLU before the pool, at full size
    refined = model.assign(x, refine=True)
    assert refined.shape == (8, 16, 16) and refined.dtype.kind == "i" and set(np.unique(refined)) <= {0, 1}
    pooled_first = build_iic_segmentation(1, 2, 0, blocks=("M", 4, 8), seed=0)  # no ReLU before the pooling
    assert pooled_first.pixel_features(x).shape == (8, 16, 16, 4)


def test_trainer_loss_is_sum_over_subheads(trained):
    model, x, _ = trained
    trainer = model.trainer("main")
    y = trainer(x, training=True)
    # view 1, view 2 mapped back, the mask: 12-pixel crops at the trunk's resolution (stride 2)
    assert tuple(y.shape) == (24, 2, 6, 6, 2)
    mask = np_(y[16:, 0, :, :, 0])
    assert set(np.unique(mask)) <= {0.0, 1.0} and mask.min() == 0 and mask.max() == 1
    want = [np_(segmentation_loss(y[:8, j], y[8:16, j], 1, mask)) for j in range(2)]
    np.testing.assert_allclose(np_(trainer.head_losses(x, y)), want, atol=1e-6)


def test_a_custom_segmentation_loss_is_the_one_trained(trained):
    """fit_iic's ``loss_fn`` reaches the per-pixel trainer (lesson 17 trains the student's joint): it is called
    with each sub-head's maps, the window and the mask, and the weights move by its gradient."""
    model, x, _ = trained
    calls = []

    def my_loss(p1, p2, displacement, mask, marginal_weight=1.0):
        calls.append((tuple(p1.shape)[1:], displacement, tuple(mask.shape)[1:], marginal_weight))  # any batch
        return segmentation_loss(p1, p2, displacement, mask, marginal_weight=marginal_weight)

    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    before = [np_(w).copy() for w in clone.trunk.weights]
    history = fit_iic(clone, x, epochs=1, batch_size=4, learning_rate=1e-2, schedule=("main",), loss_fn=my_loss)
    assert calls and calls[0] == ((6, 6, 2), 1, (6, 6), 1.0) and np.isfinite(history.history["main_loss"][0])
    assert any(not np.allclose(np_(w), b) for w, b in zip(clone.trunk.weights, before))
    assert clone.trainer("main").loss_fn is my_loss and model.trainer("main").loss_fn is segmentation_loss


def test_keras_round_trip(trained, tmp_path):
    model, x, _ = trained
    model.best_subhead = 1
    path = str(tmp_path / "seg.keras")
    model.save(path)
    again = keras.saving.load_model(path)
    assert type(again).__name__ == "SegmentationClusterer"
    assert (again.displacement, again.stride, again.upsample, again.best_subhead) == (1, 2, 2, 1)
    np.testing.assert_allclose(np_(again(x)), np_(model(x)), atol=1e-5)
    np.testing.assert_array_equal(again.assign(x, "over"), model.assign(x, "over"))


def test_average_pool_blocks():
    """'A' is a 2x2 average pool, stride 2 like 'M' (max-pool): a trunk of one conv then 'A' averages its maps."""
    from unsuplab.iic.segmentation import build_segmentation_trunk

    model = build_iic_segmentation(1, 2, 0, blocks=(4, "A", 8), seed=0)
    assert model.stride == 2 and model.upsample == 2
    assert tuple(model(np.zeros((2, 8, 8, 1), "float32")).shape) == (2, 1, 8, 8, 2)
    trunk, stride = build_segmentation_trunk(1, (3, "A"))
    conv = keras.Model(trunk.input, trunk.get_layer("relu_0").output)
    x = np.random.default_rng(0).random((2, 8, 6, 1)).astype("float32")
    h = np_(conv(x))
    assert stride == 2 and trunk.output.shape[1:] == (None, None, 3)
    np.testing.assert_allclose(np_(trunk(x)), h.reshape(2, 4, 2, 3, 2, 3).mean((2, 4)), atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: segmentation_joint(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), 1), "shape \\(n, h, w, k\\)"),
    (lambda: segmentation_joint(probs((2, 4, 4, 3), 0), probs((2, 4, 4, 2), 0), 1), "same shape"),
    (lambda: segmentation_joint(probs((2, 4, 4, 3), 0), probs((2, 4, 4, 3), 0), 4), "smaller than the side"),
    (lambda: segmentation_loss(probs((2, 4, 4, 3), 0), probs((2, 4, 4, 3), 0), -1), "displacement"),
    (lambda: segmentation_joint(probs((2, 4, 4, 3), 0), probs((2, 4, 4, 3), 0), 1, np.ones((2, 3, 4))), "mask"),
    (lambda: build_iic_segmentation(blocks=("M",)), "at least one conv"),
    (lambda: build_iic_segmentation(blocks=("A", "M")), "at least one conv"),
    (lambda: build_iic_segmentation(n_clusters=3, n_overclusters=3), "n_overclusters"),
    (lambda: build_iic_segmentation(shift=4), "needs a training crop"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_bad_images_are_named(trained):
    model, x, _ = trained
    with pytest.raises(ValueError, match="multiples of the trunk's stride"):
        model.assign(np.zeros((2, 15, 16, 1), "float32"))
    with pytest.raises(ValueError, match="channels"):
        model.assign(np.zeros((2, 16, 16, 3), "float32"))
    with pytest.raises(ValueError, match=r"too small to train on.*needs 16 pixels"):
        fit_iic(model, np.zeros((8, 14, 14, 1), "float32"), epochs=1, batch_size=4)  # 12 + 2 x 2 > 14
    assert model.get_weights() and model.assign(x).shape == x.shape[:3]  # refused before training: still usable
    with pytest.raises(ValueError, match="subhead"):
        model.assign(x, subhead=2)


def test_iic_clustering_of_a_segmentation_model_labels_every_pixel(trained):
    """clustering.IICClustering takes the per-pixel model too (issue 25): ``labels_`` are per pixel."""
    from unsuplab.clustering import IICClustering

    _, x, _ = trained
    # a model of its own: on JAX, test_bad_images_are_named's refused fit_iic leaves the fixture's variables unset
    clone = build_iic_segmentation(1, 2, 0, n_subheads=2, blocks=(4, "M", 8), out_size=12, shift=2, seed=0)
    method = IICClustering(clone, learning_rate=1e-2, schedule=("main",), select_size=8)
    history = method.fit(x, epochs=1, batch_size=4)
    assert isinstance(history, keras.callbacks.History) and history.epoch == [0] and history.model is clone
    assert method.labels_.shape == (8, 16, 16) and method.labels_.dtype == np.int64
    np.testing.assert_array_equal(method.predict(x), method.labels_)
    np.testing.assert_array_equal(method.labels_, clone.assign(x))
    assert method.cluster_probabilities(x).shape == (8, 16, 16, 2)
