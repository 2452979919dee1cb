import numpy as np
import pytest
import keras

from unsuplab import recommender


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
    assert recommender.masked_rmse(truth, truth + mask, mask) == 1.0
    assert recommender.masked_rmse(truth, np.where(mask, truth, 99), mask) == 0.0
    r = recommender.synthetic_ratings(n_users=200, n_items=60, seed=0)
    train, test = recommender.split_ratings(r, 0.2)
    base = recommender.bias_baseline(train)
    mean_only = np.full(r.matrix.shape, train.matrix[train.mask].mean())
    assert recommender.masked_rmse(test.matrix, base, test.mask) < recommender.masked_rmse(test.matrix, mean_only, test.mask)


def test_autorec_loss_ignores_missing_entries_and_goes_down(tmp_path):
    keras.utils.set_random_seed(0)
    r = recommender.synthetic_ratings(n_users=200, n_items=50, density=0.3, seed=0)
    model = recommender.build_autorec(50, hidden=16, l2=0.0)
    y = r.matrix[:4]
    pred = model(y)
    # the loss is the mean squared error on rated entries only
    expect = np.sum(r.mask[:4] * (y - np.asarray(pred)) ** 2) / r.mask[:4].sum()
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
