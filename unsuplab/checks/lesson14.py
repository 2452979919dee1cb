"""Check cells of lesson 14 (recommender)."""

import keras
import numpy as np

from . import Wrong, exercise, expect_close, to_numpy


@exercise("Exercise 1 (AutoRec's masked loss in keras.ops)", reference="unsuplab.recommender:observed_squared_error")
def masked_loss(student_fn):
    """``student_fn(ratings, predicted)`` -> sum_ui m_ui (r_ui - r_hat_ui)^2 / sum_ui m_ui with m_ui = [r_ui != 0],
    written with keras.ops (it runs inside training); compared with the closed form on known missing entries."""
    rng = np.random.default_rng(0)
    mask = rng.random((6, 9)) < 0.35
    mask[np.arange(6), rng.integers(0, 9, 6)] = True
    ratings = np.where(mask, rng.integers(1, 6, (6, 9)), 0).astype("float32")
    predicted = rng.uniform(1, 5, (6, 9)).astype("float32")
    value = student_fn(keras.ops.convert_to_tensor(ratings), keras.ops.convert_to_tensor(predicted))
    if value is None:
        raise Wrong("your function returned None; `return` the loss.")
    got = to_numpy(value).astype("float64")
    if got.size != 1:
        raise Wrong(f"return one number for the whole batch (a scalar), got shape {got.shape}.")
    got = float(got.reshape(()))
    err = (ratings.astype("float64") - predicted) ** 2
    want = err[mask].mean()
    if np.isclose(got, err.mean()):
        raise Wrong("you averaged over every entry, rated or not; the unrated entries hold 0, not a rating, "
                    "and would teach the model that 'unrated' means 'zero stars'. Count only r != 0.")
    if np.isclose(got, err[mask].sum()) or np.isclose(got, err[mask].sum() / len(ratings)):
        raise Wrong("divide the sum of squared errors by the number of observed ratings (sum of the mask).")
    if np.isclose(got, np.sqrt(want)):
        raise Wrong("this is the RMSE; the training loss is the mean squared error (no square root).")
    expect_close(got, want, "your masked loss", rtol=1e-4)
    full = np.ones_like(mask)
    expect_close(student_fn(keras.ops.convert_to_tensor(np.where(full, ratings + 1, 0).astype("float32")),
                            keras.ops.convert_to_tensor(predicted)),
                 ((ratings + 1 - predicted) ** 2).mean(), "your loss when every entry is rated", rtol=1e-4)
    return f"{got:.4f}, the closed form (unsuplab.recommender.observed_squared_error computes the same)."


@exercise("Exercise 2 (recommend unseen items)")
def top_n(student_fn):
    """``student_fn(predicted, rated_mask, n)`` -> (users, n) item indices, best first, never an item already rated."""
    rng = np.random.default_rng(3)
    predicted = rng.uniform(1, 5, (5, 12))
    rated = rng.random((5, 12)) < 0.4
    got = np.asarray(to_numpy(student_fn(predicted, rated, 3)))
    if got.shape != (5, 3):
        raise Wrong(f"return n=3 item indices per user, shape (5, 3); got shape {got.shape}.")
    got = got.astype("int64")
    if any(rated[u, got[u]].any() for u in range(5)):
        raise Wrong("you recommended items the user has already rated; set their score to -inf first.")
    want = np.argsort(-np.where(rated, -np.inf, predicted), axis=1, kind="stable")[:, :3]
    if np.array_equal(got, want[:, ::-1]):
        raise Wrong("your items are in the right set but worst first; put the highest predicted rating first.")
    if not np.array_equal(got, want):
        raise Wrong(f"user 0 should get items {want[0].tolist()} (highest predicted rating first), you gave "
                    f"{got[0].tolist()}.")
    return "Each user gets the unseen items with the highest predicted ratings."


@exercise("Exercise 1 (AutoRec's masked loss in keras.ops), hidden cases",
          reference="unsuplab.recommender:observed_squared_error")
def hidden_masked_loss(student_fn):
    """Another batch (4 users x 15 items), half-star ratings, very few of them observed."""
    rng = np.random.default_rng(8)
    mask = rng.random((4, 15)) < 0.15
    mask[:, 0] = True
    ratings = np.where(mask, rng.integers(1, 10, (4, 15)) / 2.0, 0).astype("float32")
    predicted = rng.uniform(0.5, 5, (4, 15)).astype("float32")
    value = student_fn(keras.ops.convert_to_tensor(ratings), keras.ops.convert_to_tensor(predicted))
    want = ((ratings.astype("float64") - predicted) ** 2)[mask].mean()
    expect_close(to_numpy(value).reshape(()), want, "your masked loss on 4 users x 15 items", rtol=1e-4)


@exercise("Exercise 2 (recommend unseen items), hidden cases")
def hidden_top_n(student_fn):
    """n = 5 of 20 items, one user who rated all but 5 of them."""
    rng = np.random.default_rng(4)
    predicted = rng.uniform(1, 5, (3, 20))
    rated = rng.random((3, 20)) < 0.3
    rated[2] = True
    rated[2, [1, 4, 9, 13, 18]] = False
    got = np.asarray(to_numpy(student_fn(predicted, rated, 5))).astype("int64")
    want = np.argsort(-np.where(rated, -np.inf, predicted), axis=1, kind="stable")[:, :5]
    if got.shape != want.shape or not np.array_equal(got, want):
        raise Wrong(f"with n = 5 of 20 items the recommendations should be {want.tolist()}, got {got.tolist()}.")
