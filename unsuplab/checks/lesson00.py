"""Checks for lesson 00 (what is unsupervised learning; PCA as the first autoencoder)."""

import numpy as np

from . import (
    Wrong,
    exercise,
    expect_close,
    expect_shape,
    innermost_error,
    student_model,
    to_numpy,
)


def _toy(seed=0, n=60, d=12):
    """``n`` vectors of ``d`` numbers near a 3-d subspace: the first ``n - 10`` for training, 10 for testing."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(3, d))
    x = rng.normal(size=(n, 3)) * [3.0, 2.0, 1.0] @ basis + 0.05 * rng.normal(size=(n, d))
    return x[:-10].astype("float32"), x[-10:].astype("float32")


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


@exercise("Exercise 2 (PCA as a Keras model)")
def pca_as_keras(student_fn):
    """``student_fn(mean, components)`` -> a ``keras.Model``, flat vectors in, PCA's reconstructions out."""
    from sklearn.decomposition import PCA

    x_train, x_test = _toy()
    pca = PCA(2).fit(x_train)
    try:
        model = student_model(student_fn, pca.mean_.astype("float32"), pca.components_.astype("float32"),
                              advice="Use keras.Input, keras.layers.Dense and keras.Model.")
    except ValueError as exc:  # Keras' own words for the two usual slips: say what to change (issue 28)
        text = str(exc)
        if "was expecting 0 weights" in text:
            raise Wrong("you called set_weights on a Dense layer before it was built, so it has no weights yet: "
                        "call each layer on its input first (h = encoder(inputs)), then set its weights.") from None
        if "is not compatible with provided weight shape" in text:
            raise Wrong(f"a kernel has the wrong shape ({text}): the encoder's kernel is components.T (d, k), the "
                        "decoder's kernel is components (k, d).") from None
        raise
    try:
        got = to_numpy(model(x_test))
    except Exception as exc:  # wrong weight shapes or input size: say which, no traceback
        raise Wrong(f"calling your model on (batch, {x_test.shape[1]}) vectors failed ({innermost_error(exc)}). "
                    "Input shape (d,); the encoder Dense has k units, its kernel is components.T (d, k); the "
                    "decoder Dense has d units, its kernel is components (k, d).") from None
    want = pca.inverse_transform(pca.transform(x_test))
    if got.shape != want.shape:
        raise Wrong(f"the output should have the input's shape {want.shape}, but has shape {got.shape}.")
    if not np.all(np.isfinite(got)):
        raise Wrong("the output contains NaN or infinity.")
    w = pca.components_
    if np.allclose(got, x_test @ w.T @ w + pca.mean_, atol=1e-3):
        raise Wrong("you add the mean back but never take it away: the encoder's bias must be -mean @ components.T, "
                    "so that the code is the projection of the CENTRED input.")
    if np.allclose(got, want - pca.mean_, atol=1e-3):
        raise Wrong("the reconstructions are off by the mean image: the decoder's bias is the mean.")
    expect_close(got, want, "your model's reconstructions", rtol=1e-3, atol=1e-3)
    return "Your Keras model reconstructs exactly as scikit-learn's PCA: a linear autoencoder with PCA's weights."


@exercise("Exercise 1 (PCA from scratch), hidden cases")
def hidden_pca_encode_decode(student_fn):
    """Cases the visible check does not show: 80 training vectors of 7 numbers, k = 3 and k = d (every direction)."""
    from sklearn.decomposition import PCA

    x_train, x_test = _toy(seed=7, n=90, d=7)
    for k in (3, 7):
        out = student_fn(x_train, x_test, k)
        if not isinstance(out, tuple) or len(out) != 2:
            raise Wrong("return a tuple (codes, reconstructions).")
        pca = PCA(k).fit(x_train)
        expect_close(out[1], pca.inverse_transform(pca.transform(x_test)),
                     f"the reconstructions of vectors of 7 numbers with k={k}", rtol=1e-3, atol=1e-3)
        expect_close(np.abs(to_numpy(out[0])), np.abs(pca.transform(x_test)),
                     f"the codes of vectors of 7 numbers with k={k}", rtol=1e-3, atol=1e-3)


@exercise("Exercise 2 (PCA as a Keras model), hidden cases")
def hidden_pca_as_keras(student_fn):
    """Another size: vectors of 7 numbers, a 3-number code."""
    from sklearn.decomposition import PCA

    x_train, x_test = _toy(seed=8, n=70, d=7)
    pca = PCA(3).fit(x_train)
    model = student_model(student_fn, pca.mean_.astype("float32"), pca.components_.astype("float32"))
    expect_close(to_numpy(model(x_test)), pca.inverse_transform(pca.transform(x_test)),
                 "your model's reconstructions of vectors of 7 numbers with a 3-number code", rtol=1e-3, atol=1e-3)
