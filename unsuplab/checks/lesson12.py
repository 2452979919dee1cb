"""Check cells of lesson 12 (anomaly detection)."""

import numpy as np

from . import Wrong, exercise, expect_close, to_numpy


@exercise("Exercise 1 (one anomaly score per image)")
def reconstruction_scores(student_fn):
    """``student_fn(model, x)`` -> the mean squared reconstruction error of each image, shape (N,)."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(3),
                              keras.layers.Dense(36, activation="sigmoid"), keras.layers.Reshape((6, 6, 1))])
    x = np.random.default_rng(0).random((5, 6, 6, 1)).astype("float32")
    got = to_numpy(student_fn(model, x)).astype("float64")
    want = np.mean((to_numpy(model.predict(x, verbose=0)) - x) ** 2, axis=(1, 2, 3))
    if got.ndim == 0:
        raise Wrong("you returned one number for the whole batch; return one score per image, shape (N,): "
                    "average over the pixel axes (1, 2, 3) only.")
    if got.shape != want.shape:
        raise Wrong(f"for 5 images of shape (6, 6, 1) return 5 scores, shape (5,); you returned shape {got.shape}.")
    if np.allclose(got, np.sqrt(want), rtol=1e-4):
        raise Wrong("this is the root of the mean squared error; the lesson's score is the mean squared error "
                    "itself (the ranking is the same, but compare like with like).")
    if np.allclose(got, -want, rtol=1e-4):
        raise Wrong("your scores have the wrong sign: a larger error must mean more anomalous.")
    expect_close(got, want, "your score", rtol=1e-4)
    return "A larger reconstruction error means a stranger image."


@exercise("Exercise 2 (a threshold for a target false-positive rate)")
def threshold_for_fpr(student_fn):
    """``student_fn(normal_scores, fpr)`` -> the threshold above which a fraction ``fpr`` of normal scores lie."""
    scores = np.random.default_rng(1).gamma(2.0, 1.0, 2000)
    for fpr in (0.05, 0.2):
        got = float(np.asarray(student_fn(scores.copy(), fpr)))
        flagged = float(np.mean(scores > got))
        if abs(flagged - (1 - fpr)) < 0.01:
            raise Wrong(f"with fpr={fpr} your threshold flags {flagged:.0%} of the normal images: you took the "
                        f"{fpr} quantile; take the (1 - fpr) quantile, so that only {fpr:.0%} lie above it.")
        if abs(flagged - fpr) > 0.005:
            raise Wrong(f"with fpr={fpr} your threshold {got:.4g} flags {flagged:.1%} of the normal images "
                        f"as anomalies; it should flag {fpr:.0%}.")
    return "Only the normal validation scores are needed to fix the false alarms."
