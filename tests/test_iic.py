"""IIC: the objective against closed forms, the batched transforms, the model, training and a .keras round trip."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from autodiff import gradient
from unsuplab.iic import PairViews, build_iic, fit_iic, iic_loss, joint_distribution, mutual_information
from unsuplab.iic.transforms import affine_rows, centre_view, warp


def direct_mi(P):
    """Mutual information of a joint matrix, written out term by term (zeros contribute 0)."""
    P = np.asarray(P, "float64")
    pi, pj = P.sum(1), P.sum(0)
    return sum(P[i, j] * math.log(P[i, j] / (pi[i] * pj[j]))
               for i in range(len(P)) for j in range(len(P)) if P[i, j] > 0)


def np_(t):
    return np.asarray(ops.convert_to_numpy(t), "float64")


def test_perfect_balanced_pairing_gives_ln_c():
    C = 4
    p = np.eye(C, dtype="float32")[np.arange(400) % C]
    assert np_(-iic_loss(p, p)) == pytest.approx(math.log(C), abs=1e-4)


def test_independent_assignments_give_zero():
    p = np.full((50, 5), 0.2, "float32")
    assert np_(iic_loss(p, p)) == pytest.approx(0.0, abs=1e-5)
    rng = np.random.default_rng(0)
    a = np.eye(3, dtype="float32")[rng.integers(0, 3, 3000)]
    b = np.eye(3, dtype="float32")[rng.integers(0, 3, 3000)]
    assert abs(np_(iic_loss(a, b))) < 0.01


def test_matches_direct_computation_on_random_p():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(6), 32).astype("float32")
    q = rng.dirichlet(np.ones(6), 32).astype("float32")
    P = np_(joint_distribution(p, q))
    want = (p.T.astype("float64") @ q) / 32
    want = (want + want.T) / 2
    np.testing.assert_allclose(P, want / want.sum(), atol=1e-6)
    np.testing.assert_allclose(P, P.T)
    assert np_(mutual_information(P.astype("float32"))) == pytest.approx(direct_mi(P), abs=1e-5)


def test_marginal_weight_closed_form():
    """lambda (H(z) + H(z')) - H(z, z'): lambda = 1 is I; a perfect balanced pairing gives (2 lambda - 1) ln C."""
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), 40).astype("float32")
    q = rng.dirichlet(np.ones(5), 40).astype("float32")
    P = np_(joint_distribution(p, q))

    def entropy(v):
        return -np.sum(v * np.log(v))

    for lam in (1.0, 1.5, 2.0):
        want = lam * (entropy(P.sum(0)) + entropy(P.sum(1))) - entropy(P)
        assert np_(-iic_loss(p, q, marginal_weight=lam)) == pytest.approx(want, abs=1e-5)
    perfect = np.eye(4, dtype="float32")[np.arange(400) % 4]
    assert np_(-iic_loss(perfect, perfect, marginal_weight=1.5)) == pytest.approx(2.0 * math.log(4), abs=1e-4)


def test_empty_clusters_and_single_cluster_stay_finite():
    one = np.zeros((20, 5), "float32")
    one[:, 0] = 1.0  # everything in one cluster, four empty
    assert np_(iic_loss(one, one)) == pytest.approx(0.0, abs=1e-4)
    assert np.all(np.isfinite(gradient(lambda v: iic_loss(v, v), one)))


SIDE, OUT = 20, 16  # small images and views keep the test fast (one set of compiled shapes)


def test_views_shapes_ranges_and_repeat_order():
    x = np.random.default_rng(0).random((6, SIDE, SIDE, 1)).astype("float32")
    views = PairViews(out_size=OUT, repeats=2, seed=0)
    a, b = views(x)
    assert tuple(a.shape) == (6, OUT, OUT, 1) and tuple(b.shape) == (12, OUT, OUT, 1)
    a, b = np_(a), np_(b)
    assert a.min() >= 0 and b.max() <= 1 and np.isfinite(b).all()
    assert not np.allclose(b[:6], b[6:])  # every repeat draws its own perturbation


def test_identity_affine_and_centre_view():
    x = np.random.default_rng(0).random((2, SIDE, SIDE, 1)).astype("float32")
    rows = affine_rows(2, (SIDE, SIDE), SIDE, 1.0)
    np.testing.assert_allclose(np_(warp(x, rows, SIDE)), x, atol=1e-5)
    small = np_(centre_view(x, 10, crop=0.5))  # a centre crop of 10 pixels at scale 1 is a plain slice
    np.testing.assert_allclose(small, x[:, 5:15, 5:15], atol=1e-5)


def test_colour_views_with_sobel():
    x = np.random.default_rng(0).random((3, SIDE, SIDE, 3)).astype("float32")
    a, b = PairViews(out_size=OUT, repeats=2, colour=True, use_sobel=True, seed=1)(x)
    assert tuple(a.shape) == (3, OUT, OUT, 2) and tuple(b.shape) == (6, OUT, OUT, 2)


@pytest.fixture(scope="module")
def trained():
    """A tiny IIC trained on two easy "classes" (a bright square top-left or bottom-right); built once."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.zeros((96, SIDE, SIDE, 1), "float32")
    y = rng.integers(0, 2, 96)
    for i, c in enumerate(y):
        r = 2 if c == 0 else 10
        x[i, r:r + 8, r:r + 8] = 1.0
    model = build_iic((SIDE, SIDE, 1), n_clusters=2, n_overclusters=4, n_subheads=2, channels=(4, 8),
                      out_size=OUT, repeats=2, seed=0, rotation=5.0, shear=0.0, crop_x=(0.8, 0.8),
                      crop_g=(0.7, 0.9))
    hist = fit_iic(model, x, epochs=3, batch_size=32, learning_rate=1e-2)
    return model, hist, x


def test_model_shapes_and_bad_input(trained):
    model, _, x = trained
    probs = model.cluster_probabilities(x[:10])
    assert probs.shape == (10, 2, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert model.assign(x[:10]).shape == (10,)
    with pytest.raises(ValueError, match="n_clusters"):
        build_iic(n_clusters=1)
    with pytest.raises(ValueError, match="out_size"):
        build_iic((12, 12, 1), out_size=16)
    with pytest.raises(ValueError, match="shape"):
        model.cluster_probabilities(x[:10, :, :, 0])
    with pytest.raises(ValueError, match="at least 16"):
        model.cluster_probabilities(np.zeros((4, 12, 12, 1), "float32"))
    with pytest.raises(ValueError, match="batch_size"):
        fit_iic(model, x, batch_size=3)
    with pytest.raises(ValueError, match="NaN"):
        fit_iic(model, np.full((64, SIDE, SIDE, 1), np.nan, "float32"), batch_size=16)
    with pytest.raises(ValueError, match="marginal_weight"):
        type(model)(model.trunk, model.main_head, model.views, marginal_weight=0.5)
    with pytest.raises(TypeError, match="marginal_weight"):
        type(model)(model.trunk, model.main_head, model.views, marginal_weight="1.5")


def test_training_lowers_loss_and_round_trips(trained, tmp_path):
    model, hist, x = trained
    assert hist["main_loss"][-1] < hist["main_loss"][0]
    assert len(hist["main_subhead_losses"]) == 6 and 0 <= hist["best_subhead"] < 2  # main head twice an epoch
    assert hist["main_loss"][-1] < -0.5  # sum over 2 sub-heads; -2 ln 2 = -1.39 is two balanced, consistent clusters
    path = tmp_path / "iic.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert again.best_subhead == model.best_subhead
    weighted = type(model).from_config({**model.get_config(), "marginal_weight": 1.5})
    assert weighted.marginal_weight == 1.5 and weighted.trainer("main").marginal_weight == 1.5
    assert type(model).from_config(weighted.get_config()).marginal_weight == 1.5
    np.testing.assert_allclose(again.cluster_probabilities(x), model.cluster_probabilities(x), atol=1e-5)
