"""IIC: the objective against closed forms, the batched transforms, the model, training and a .keras round trip."""

import math

import keras
import numpy as np
import pytest
from autodiff import gradient
from epoch_recorder import Recorder
from keras import ops

from unsuplab import metrics
from unsuplab.iic import PairViews, build_iic, fit_iic, iic_loss, joint_distribution, mutual_information
from unsuplab.iic.model import subhead_losses
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
    a, b = views(x, training=True)
    assert tuple(a.shape) == (6, OUT, OUT, 1) and tuple(b.shape) == (12, OUT, OUT, 1)
    a, b = np_(a), np_(b)
    assert a.min() >= 0 and b.max() <= 1 and np.isfinite(b).all()
    assert not np.allclose(b[:6], b[6:])  # every repeat draws its own perturbation
    # distinct constant images: g(x)[j * n + i] must come from image i (tile order), not from i // repeats
    levels = np.array([0.1, 0.3, 0.5, 0.7, 0.9], "float32")
    const = np.ones((5, SIDE, SIDE, 1), "float32") * levels[:, None, None, None]
    plain = PairViews(out_size=OUT, repeats=3, crop_x=(0.9, 0.9), crop_g=(0.9, 0.9), rotation=0.0, shear=0.0,
                      brightness=0.0, contrast=0.0, seed=0)
    a, b = plain(const, training=True)
    centre = (slice(None), slice(OUT // 2 - 2, OUT // 2 + 2), slice(OUT // 2 - 2, OUT // 2 + 2))
    np.testing.assert_allclose(np_(a)[centre].mean((1, 2, 3)), levels, atol=1e-4)
    np.testing.assert_allclose(np_(b)[centre].mean((1, 2, 3)), np.tile(levels, 3), atol=1e-4)


def test_views_are_deterministic_at_inference():
    """Like Keras' Random* layers: random when training, the centre view otherwise."""
    x = np.random.default_rng(0).random((4, SIDE, SIDE, 1)).astype("float32")
    views = PairViews(out_size=OUT, repeats=2, seed=0)
    a, b = views(x)
    a2, _ = views(x, training=False)
    want = np_(views.evaluation_view(x))
    np.testing.assert_allclose(np_(a), want, atol=1e-6)
    np.testing.assert_allclose(np_(a2), want, atol=1e-6)
    np.testing.assert_allclose(np_(b), np.tile(want, (2, 1, 1, 1)), atol=1e-6)
    r1, _ = views(x, training=True)
    r2, _ = views(x, training=True)
    assert not np.allclose(np_(r1), np_(r2))  # fresh draws each call


def test_affine_rows_unseeded_is_random_and_centre_is_not():
    rows = [np_(affine_rows(3, (SIDE, SIDE), OUT, (0.6, 0.9), rotation=20.0)) for _ in range(2)]
    assert not np.allclose(rows[0], rows[1])  # seed=None: unseeded, as in Keras
    fixed = [np_(affine_rows(3, (SIDE, SIDE), OUT, (0.6, 0.9), rotation=20.0, random=False)) for _ in range(2)]
    np.testing.assert_allclose(fixed[0], fixed[1])
    seeded = [np_(affine_rows(3, (SIDE, SIDE), OUT, (0.6, 0.9), rotation=20.0, seed=3)) for _ in range(2)]
    np.testing.assert_allclose(seeded[0], seeded[1])


def test_identity_affine_and_centre_view():
    x = np.random.default_rng(0).random((2, SIDE, SIDE, 1)).astype("float32")
    rows = affine_rows(2, (SIDE, SIDE), SIDE, 1.0)
    np.testing.assert_allclose(np_(warp(x, rows, SIDE)), x, atol=1e-5)
    small = np_(centre_view(x, 10, crop=0.5))  # a centre crop of 10 pixels at scale 1 is a plain slice
    np.testing.assert_allclose(small, x[:, 5:15, 5:15], atol=1e-5)


def test_colour_views_with_sobel():
    x = np.random.default_rng(0).random((3, SIDE, SIDE, 3)).astype("float32")
    a, b = PairViews(out_size=OUT, repeats=2, colour=True, use_sobel=True, seed=1)(x, training=True)
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
    model = build_iic((SIDE, SIDE, 1), n_clusters=2, n_overclusters=4, n_subheads=2, filters=(4, 8),
                      out_size=OUT, repeats=2, seed=0, rotation=5.0, shear=0.0, crop_x=(0.8, 0.8),
                      crop_g=(0.7, 0.9))
    hist = fit_iic(model, x, epochs=3, batch_size=32, learning_rate=1e-2)
    return model, hist, x, y


def test_model_shapes_and_bad_input(trained):
    model, _, x, _ = trained
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
    with pytest.raises(ValueError, match="subhead"):
        model.assign(x[:10], subhead=7)
    with pytest.raises(ValueError, match="batch_size"):
        fit_iic(model, x, batch_size=3)
    with pytest.raises(ValueError, match="NaN"):
        fit_iic(model, np.full((64, SIDE, SIDE, 1), np.nan, "float32"), batch_size=16)
    with pytest.raises(ValueError, match="marginal_weight"):
        type(model)(model.trunk, model.main_head, model.views, marginal_weight=0.5)
    with pytest.raises(TypeError, match="marginal_weight"):
        type(model)(model.trunk, model.main_head, model.views, marginal_weight="1.5")


def test_features_are_what_the_heads_read(trained):
    """``features`` is the trunk on the centre views (what a probe reads): the main head applied to them gives
    ``cluster_probabilities``; the batching does not change them beyond the batch statistics of equal batches."""
    model, _, x, _ = trained
    f = model.features(x[:20], batch_size=10)
    assert f.shape == (20, model.trunk.output.shape[-1])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.main_head(f[:10])),
                               model.cluster_probabilities(x[:10]), atol=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        model.features(x[:4], batch_size=0)
    with pytest.raises(ValueError, match="shape"):
        model.features(x[:4, :, :, 0])


def test_training_lowers_loss_and_round_trips(trained, tmp_path):
    model, history, x, y = trained
    assert isinstance(history, keras.callbacks.History) and history.model is model
    hist = history.history
    assert set(hist) == {"main_loss", "over_loss", "main_subhead_losses", "seconds"} and history.epoch == [0, 1, 2]
    assert all(len(values) == 3 for values in hist.values())  # one value an epoch
    assert hist["main_loss"][-1] < hist["main_loss"][0]
    assert all(len(losses) == 2 and np.all(np.isfinite(losses)) for losses in hist["main_subhead_losses"])
    assert 0 <= model.best_subhead < 2  # (per epoch: the sub-head losses of its last pass of the main head)
    assert hist["main_loss"][-1] < -0.5  # sum over 2 sub-heads; -2 ln 2 = -1.39 is two balanced, consistent clusters
    assert np.all(np.isfinite(hist["over_loss"])) and np.all(np.diff(hist["seconds"]) > 0)
    assert isinstance(model.selection_losses, np.ndarray) and model.selection_losses.shape == (2,)
    assert model.best_subhead == int(np.argmin(model.selection_losses))  # chosen on fresh pairs
    assert metrics.cluster_accuracy(model.assign(x), y) >= 0.9  # the two square positions are found
    path = tmp_path / "iic.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert again.best_subhead == model.best_subhead
    weighted = type(model).from_config({**model.get_config(), "marginal_weight": 1.5})
    assert weighted.marginal_weight == 1.5 and weighted.trainer("main").marginal_weight == 1.5
    assert type(model).from_config(weighted.get_config()).marginal_weight == 1.5
    np.testing.assert_allclose(again.cluster_probabilities(x), model.cluster_probabilities(x), atol=1e-5)


def test_trackers_weight_by_batch_size(trained):
    """A short last batch counts by its size: the epoch's sub-head loss is the image-weighted mean."""
    model, _, x, _ = trained
    trainer = model.trainer("main")
    for t in trainer.subhead_trackers:
        t.reset_state()
    want = []
    for chunk in (x[:32], x[32:40]):
        y_pred = trainer(chunk, training=True)
        trainer.compute_loss(chunk, y_pred=y_pred)
        want.append(np_(subhead_losses(y_pred, len(chunk), model.views.repeats, model.marginal_weight)))
    weighted = (32 * want[0] + 8 * want[1]) / 40
    got = [np_(t.result()) for t in trainer.subhead_trackers]
    np.testing.assert_allclose(got, weighted, rtol=1e-5)
    assert not np.allclose(weighted, (want[0] + want[1]) / 2, rtol=1e-3)  # the weighting matters here
    for t in trainer.subhead_trackers:
        t.reset_state()


def test_custom_loss_fn_is_trained(trained):
    model, _, x, _ = trained
    calls = []

    def my_loss(p, q, marginal_weight=1.0):
        calls.append(marginal_weight)
        return iic_loss(p, q, marginal_weight=marginal_weight)

    clone = type(model).from_config(model.get_config())
    history = fit_iic(clone, x, epochs=1, batch_size=32, learning_rate=1e-3, schedule=("main",), loss_fn=my_loss)
    assert calls and np.isfinite(history.history["main_loss"][0])
    assert np.isnan(history.history["over_loss"][0])  # the schedule has no "over" pass


@pytest.fixture(scope="module")
def fresh(trained):
    """An untrained copy of the trained model's architecture, shared by the callback tests (one compile)."""
    model, _, x, _ = trained
    return type(model).from_config(model.get_config()), x


def test_callbacks_see_each_epoch_and_can_stop(fresh):
    clone, x = fresh
    epochs = Recorder(stop_at=1)
    history = fit_iic(clone, x, epochs=4, batch_size=32, learning_rate=1e-3, schedule=("main",), callbacks=[epochs],
                      select_size=64)
    assert history.epoch == [epoch for epoch, _, _ in epochs.seen] == [0, 1]  # stopped after the second of 4
    assert all(seen is clone for _, seen, _ in epochs.seen)
    for epoch, _, logs in epochs.seen:
        assert set(logs) == {"main_loss", "over_loss", "main_subhead_losses", "seconds"}
        assert logs["main_loss"] == history.history["main_loss"][epoch] and len(logs["main_subhead_losses"]) == 2
    assert clone.selection_losses.shape == (2,)  # the sub-head is still chosen after a stop
    assert clone.best_subhead == int(np.argmin(clone.selection_losses))


def test_time_limit_stops_after_the_epoch_that_passes_it(fresh):
    clone, x = fresh
    history = fit_iic(clone, x, epochs=5, batch_size=32, learning_rate=1e-3, schedule=("main",), time_limit=0,
                      select_size=64)
    assert history.epoch == [0] and len(history.history["seconds"]) == 1  # the first epoch ends past the budget
    with pytest.raises(TypeError, match="`callbacks`"):
        fit_iic(clone, x, epochs=1, batch_size=32, callbacks=Recorder())
    with pytest.raises(TypeError, match="on_epoch_end"):  # the old hook is gone
        fit_iic(clone, x, epochs=1, batch_size=32, on_epoch_end=lambda epoch, model, history: None)
    with pytest.raises(ValueError, match="time_limit"):
        fit_iic(clone, x, epochs=1, batch_size=32, time_limit=-1)


@pytest.mark.parametrize("call, match", [
    (lambda m, x: fit_iic(m, np.zeros((64, SIDE + 4, SIDE + 4, 1), "float32")), "shape the model was built for"),
    (lambda m, x: fit_iic(build_iic((SIDE, SIDE, 1), n_clusters=2, n_overclusters=0, n_subheads=1, filters=(2,),
                                    out_size=OUT, repeats=1), x), "n_overclusters=0"),
    (lambda m, x: fit_iic(m, x, schedule=()), "schedule"),
    (lambda m, x: fit_iic(m, x, schedule="main"), "schedule"),
    (lambda m, x: fit_iic(m, x, schedule=("main", "mian")), "schedule"),
    (lambda m, x: fit_iic(m, x, learning_rate=-1), "learning_rate"),
    (lambda m, x: fit_iic(m, x, learning_rate=float("nan")), "learning_rate"),
    (lambda m, x: m.assign(x, subhead=7), "subhead"),
    (lambda m, x: m.assign(x, subhead=-1), "subhead"),
    (lambda m, x: m.joint_matrix(x[:32], subhead=2), "subhead"),
    (lambda m, x: build_iic(filters=4), "filters"),
    (lambda m, x: build_iic(filters=()), "filters"),
])
def test_bad_input_is_named(trained, call, match):
    model, _, x, _ = trained
    with pytest.raises(ValueError, match=match):
        call(model, x)


def test_numpy_integer_sizes_are_accepted():
    model = build_iic((np.int64(SIDE), np.int64(SIDE), np.int64(1)), n_clusters=np.int64(2), n_overclusters=0,
                      n_subheads=np.int64(1), filters=(np.int64(2),), out_size=np.int64(OUT), repeats=np.int64(1))
    assert model.image_shape == (SIDE, SIDE, 1) and model.n_clusters == 2
