import keras
import numpy as np
import pytest

from unsuplab import metrics, recommender


def test_synthetic_ratings_are_stars_on_the_mask_only():
    r = recommender.synthetic_ratings(n_users=60, n_items=40, density=0.2, seed=1)
    assert r.matrix.shape == (60, 40) and r.mask.shape == (60, 40)
    assert set(np.unique(r.matrix[r.mask])) <= {1, 2, 3, 4, 5}
    assert (r.matrix[~r.mask] == 0).all() and r.mask.any(axis=1).all()
    assert 0.1 < r.mask.mean() < 0.35
    again = recommender.synthetic_ratings(n_users=60, n_items=40, density=0.2, seed=1)
    np.testing.assert_array_equal(r.matrix, again.matrix)
    with pytest.raises(ValueError, match="density"):
        recommender.synthetic_ratings(density=0)


def test_split_hides_a_share_of_the_ratings():
    r = recommender.synthetic_ratings(n_users=100, n_items=50, seed=0)
    train, test = recommender.split_ratings(r, 0.2, seed=0)
    assert not (train.mask & test.mask).any()
    np.testing.assert_array_equal(train.mask | test.mask, r.mask)
    assert test.mask.sum() / r.mask.sum() == pytest.approx(0.2, abs=0.05)


@pytest.mark.parametrize("fmt", ["udata", "csv"])
def test_load_movielens_formats(tmp_path, fmt):
    rows = [(10, 7, 4), (10, 9, 5), (3, 7, 1)]
    if fmt == "udata":
        path = tmp_path / "u.data"
        path.write_text("".join(f"{u}\t{i}\t{r}\t881250949\n" for u, i, r in rows))
    else:
        path = tmp_path / "ratings.csv"
        path.write_text("userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r}.0,1\n" for u, i, r in rows))
    r = recommender.load_movielens(path)
    assert r.user_ids.tolist() == [3, 10] and r.item_ids.tolist() == [7, 9]
    np.testing.assert_array_equal(r.matrix, [[1, 0], [4, 5]])
    np.testing.assert_array_equal(r.mask, [[True, False], [True, True]])


def test_load_movielens_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        recommender.load_movielens(tmp_path / "none.csv")
    bad = tmp_path / "u.data"
    bad.write_text("1\tx\t3\t0\n")
    with pytest.raises(ValueError, match="record 1"):
        recommender.load_movielens(bad)


def test_masked_rmse_and_bias_baseline():
    truth = np.array([[5.0, 1.0], [3.0, 0.0]])
    mask = truth > 0
    assert metrics.masked_rmse(truth, truth + mask, mask) == 1.0
    assert metrics.masked_rmse(truth, np.where(mask, truth, 99), mask) == 0.0
    r = recommender.synthetic_ratings(n_users=200, n_items=60, seed=0)
    train, test = recommender.split_ratings(r, 0.2)
    base = recommender.bias_baseline(train)
    mean_only = np.full(r.matrix.shape, train.matrix[train.mask].mean())
    rmse = metrics.masked_rmse
    assert rmse(test.matrix, base, test.mask) < rmse(test.matrix, mean_only, test.mask)


def test_autorec_loss_ignores_missing_entries_and_goes_down(tmp_path):
    keras.utils.set_random_seed(0)
    r = recommender.synthetic_ratings(n_users=200, n_items=50, density=0.3, seed=0)
    model = recommender.build_autorec(50, hidden=16, l2=0.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    y = r.matrix[:4]
    pred = model(y)
    # the loss is the mean squared error on rated entries only
    expect = np.sum(r.mask[:4] * (y - keras.ops.convert_to_numpy(pred)) ** 2) / r.mask[:4].sum()
    got = float(model.compute_loss(y, y, pred))
    assert got == pytest.approx(expect, rel=1e-4)
    hist = model.fit(r.matrix, r.matrix, epochs=5, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    path = tmp_path / "autorec.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict_ratings(r.matrix[:5]), model.predict_ratings(r.matrix[:5]), atol=1e-5)
    with pytest.raises(ValueError, match="matrix"):
        model.predict_ratings(r.matrix[:, :10])


def test_build_autorec_is_uncompiled_and_its_documented_compile_trains_as_the_old_builder():
    """Builders never compile (issue 25). The compile line of ``build_autorec``'s docstring, run on the builder's
    model, trains exactly as the model the builder used to return (compiled inside with ``Adam(1e-2)``, no loss)."""
    model = recommender.build_autorec(30, hidden=8)
    assert not model.compiled and getattr(model, "optimizer", None) is None and len(model.weights) == 4   # built
    r = recommender.synthetic_ratings(n_users=70, n_items=30, density=0.3, seed=2)
    with pytest.raises(ValueError, match="compile"):
        model.fit(r.matrix, r.matrix, epochs=1, verbose=0)
    documented = [line.strip() for line in recommender.build_autorec.__doc__.splitlines()
                  if line.strip().startswith("model.compile(")]
    assert documented == ["model.compile(optimizer=keras.optimizers.Adam(1e-2))"]

    def old_builder():   # build_autorec before issue 25 (its default learning_rate=1e-2)
        old = recommender.AutoRec(30, hidden=8, l2=1e-3)
        old(np.zeros((1, 30), "float32"))
        old.compile(optimizer=keras.optimizers.Adam(1e-2))
        return old

    def documented_compile():
        new = recommender.build_autorec(30, hidden=8, l2=1e-3)
        exec(documented[0], {"keras": keras, "model": new})
        return new

    runs = []
    for build in (old_builder, documented_compile):
        keras.utils.set_random_seed(0)
        trained = build()
        assert trained.loss is None and float(trained.optimizer.learning_rate) == pytest.approx(1e-2)
        history = trained.fit(r.matrix, r.matrix, epochs=3, batch_size=32, shuffle=False, verbose=0).history
        runs.append((history, [keras.ops.convert_to_numpy(w) for w in trained.weights]))
    (old_history, old_weights), (new_history, new_weights) = runs
    assert new_history == old_history and new_history["loss"][-1] < new_history["loss"][0]
    for old_w, new_w in zip(old_weights, new_weights):
        np.testing.assert_array_equal(new_w, old_w)


def _by_hand(model, matrix, batch_size):
    """Per-batch observed squared error, computed with NumPy from the model's predictions."""
    pred = model.predict(matrix, batch_size=batch_size, verbose=0)
    values, sizes = [], []
    for start in range(0, len(matrix), batch_size):
        r, p = matrix[start:start + batch_size], pred[start:start + batch_size]
        m = r != 0
        values.append(np.sum(m * (r - p) ** 2) / m.sum())
        sizes.append(len(r))
    return np.array(values), np.array(sizes)


def test_trackers_weight_a_short_last_batch_by_its_size():
    keras.utils.set_random_seed(0)
    r = recommender.synthetic_ratings(n_users=70, n_items=30, density=0.3, seed=2)   # batches of 32, 32 and 6
    model = recommender.build_autorec(30, hidden=8, l2=0.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    values, sizes = _by_hand(model, r.matrix, 32)
    assert sizes.tolist() == [32, 32, 6] and np.ptp(values) > 1e-3   # the batches really differ
    logs = model.evaluate(r.matrix, r.matrix, batch_size=32, verbose=0, return_dict=True)
    weighted = np.sum(values * sizes) / sizes.sum()
    assert logs["observed_mse"] == pytest.approx(weighted, rel=1e-4)
    assert logs["loss"] == pytest.approx(weighted, rel=1e-4)                          # no penalty: loss = error
    assert abs(weighted - values.mean()) > 1e-4 * weighted                            # an unweighted mean differs


def test_keras_adds_the_l2_penalty_itself():
    keras.utils.set_random_seed(1)
    r = recommender.synthetic_ratings(n_users=64, n_items=30, density=0.3, seed=3)
    model = recommender.build_autorec(30, hidden=8, l2=1e-2)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    penalty = 1e-2 * sum(np.sum(np.square(keras.ops.convert_to_numpy(w)))
                         for w in (model.encode_layer.kernel, model.decode_layer.kernel))
    logs = model.evaluate(r.matrix, r.matrix, batch_size=64, verbose=0, return_dict=True)
    values, _ = _by_hand(model, r.matrix, 64)
    assert logs["observed_mse"] == pytest.approx(values[0], rel=1e-4)
    assert logs["loss"] == pytest.approx(values[0] + penalty, rel=1e-4)


def test_sample_weight_weights_users():
    keras.utils.set_random_seed(0)
    r = recommender.synthetic_ratings(n_users=10, n_items=12, density=0.5, seed=4)
    model = recommender.build_autorec(12, hidden=4, l2=0.0)
    pred = model(r.matrix)
    only_first = np.zeros(10, "float32")
    only_first[0] = 1.0
    got = float(recommender.observed_squared_error(r.matrix, pred, only_first))
    m = r.mask[0]
    want = np.sum((r.matrix[0][m] - keras.ops.convert_to_numpy(pred)[0][m]) ** 2) / m.sum()
    assert got == pytest.approx(want, rel=1e-4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: recommender.synthetic_ratings(noise=float("nan")), ValueError, "noise"),
    (lambda: recommender.synthetic_ratings(noise=-1), ValueError, "noise"),
    (lambda: recommender.synthetic_ratings(mean=float("inf")), ValueError, "mean"),
    (lambda: metrics.masked_rmse([[1.0, 2.0]], [[np.nan, 2.0]], [[True, True]]), ValueError, "prediction"),
    (lambda: metrics.masked_rmse([[1.0, 2.0]], [[1.0, np.inf]], [[True, False]]), ValueError, "prediction"),
    (lambda: metrics.masked_rmse([[1.0]], [[1.0]], [[2]]), TypeError, "mask"),
    (lambda: recommender.bias_baseline(recommender.Ratings(np.zeros((2, 2), "float32"), np.zeros((2, 2), bool),
                                                           np.arange(2), np.arange(2))), ValueError, "at least one"),
    (lambda: recommender.build_autorec(5).predict_ratings(np.full((1, 5), np.nan)), ValueError, "NaN"),
])
def test_bad_recommender_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("rating", ["nan", "inf", "-inf"])
def test_load_movielens_rejects_non_finite_ratings(tmp_path, rating):
    path = tmp_path / "u.data"
    path.write_text(f"1\t2\t4\t0\n1\t3\t{rating}\t0\n")
    with pytest.raises(ValueError, match="record 2"):
        recommender.load_movielens(path)
