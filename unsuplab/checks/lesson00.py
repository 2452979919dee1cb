"""Checks for lesson 00 (what is unsupervised learning; PCA as the first autoencoder)."""

import numpy as np

from . import Wrong, exercise, expect_close, expect_shape


def _toy(seed=0):
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(3, 12))
    x = rng.normal(size=(60, 3)) * [3.0, 2.0, 1.0] @ basis + 0.05 * rng.normal(size=(60, 12))
    return x[:50].astype("float32"), x[50:].astype("float32")


@exercise("Exercise 1 (PCA from scratch)")
def pca_encode_decode(student_fn):
    """``student_fn(x_train, x_test, k)`` must return ``(codes, reconstructions)`` of x_test."""
    from sklearn.decomposition import PCA

    x_train, x_test = _toy()
    for k in (1, 2):
        out = student_fn(x_train, x_test, k)
        if not isinstance(out, tuple) or len(out) != 2:
            raise Wrong("return a tuple (codes, reconstructions).")
        codes = expect_shape(out[0], (len(x_test), k), f"codes for k={k}")
        pca = PCA(k).fit(x_train)
        want = pca.inverse_transform(pca.transform(x_test))
        got = np.asarray(out[1])
        if got.shape == want.shape and np.allclose(got, want - x_train.mean(0), atol=1e-3):
            raise Wrong("the reconstructions are off by the mean image: add the training mean back after decoding.")
        expect_close(got, want, f"reconstructions for k={k}", rtol=1e-3, atol=1e-3)
        if not np.allclose(np.abs(codes), np.abs(pca.transform(x_test)), atol=1e-3):
            raise Wrong(f"the codes for k={k} are not the projections onto the top {k} principal directions "
                        "of the centred training data (did you centre x_test with the TRAINING mean?).")
    return "Your codes and reconstructions match scikit-learn's PCA."


@exercise("Exercise 2 (components for a target variance)")
def components_for_variance(student_fn):
    """``student_fn(x_train, target)`` must return the fewest components that explain >= target of the variance."""
    from sklearn.decomposition import PCA

    x_train, _ = _toy(1)
    ratios = PCA().fit(x_train).explained_variance_ratio_
    for target in (0.5, 0.8, 0.99):
        want = int(np.searchsorted(np.cumsum(ratios), target) + 1)
        got = student_fn(x_train, target)
        if not isinstance(got, (int, np.integer)):
            raise Wrong(f"return an int, got {type(got).__name__}.")
        if got == want - 1:
            raise Wrong(f"for target {target} you return {got}, one too few: count components, not indices (add 1).")
        if got != want:
            raise Wrong(f"for target {target} the answer is {want} components, you return {got}.")
    return "Right number of components for every target."
