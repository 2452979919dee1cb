"""Check cells of lesson 14 (recommender)."""

import numpy as np

from .. import recommender
from . import Wrong, exercise, expect_close, to_numpy


@exercise("Exercise 1 (the masked RMSE)")
def masked_rmse(student_fn):
    """``student_fn(truth, prediction, mask)`` -> sqrt(mean over the mask of (truth - prediction)^2)."""
    rng = np.random.default_rng(0)
    mask = rng.random((8, 10)) < 0.3
    truth = np.where(mask, rng.integers(1, 6, (8, 10)), 0).astype("float32")
    prediction = rng.uniform(1, 5, (8, 10)).astype("float32")
    got = float(np.asarray(to_numpy(student_fn(truth, prediction, mask))))
    want = recommender.masked_rmse(truth, prediction, mask)
    err = (truth - prediction) ** 2
    if np.isclose(got, np.sqrt(err.mean())) or np.isclose(got, err.mean()):
        raise Wrong("you averaged over every entry, rated or not; the unrated entries hold 0, not a rating. "
                    "Average only where `mask` is True.")
    if np.isclose(got, want ** 2):
        raise Wrong("this is the mean squared error; take its square root.")
    expect_close(got, want, "your RMSE", rtol=1e-5)
    return f"{got:.4f}, the same as unsuplab.recommender.masked_rmse."


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
