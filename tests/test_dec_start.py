"""DEC started from given labels (``fit_dec(initial_labels=...)``): the start is exactly those clusters."""

import keras
import numpy as np
import pytest

from unsuplab import dec
from unsuplab.models import build_dense_autoencoder


@pytest.fixture(scope="module")
def blobs():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0.25, 0.04, (40, 8)), rng.normal(0.75, 0.04, (40, 8))]).clip(0, 1)
    ae = build_dense_autoencoder(input_shape=(8,), hidden=(16,), code_size=2, code_activation=None)
    ae.compile("adam", "mse")
    ae.fit(x.astype("float32"), x.astype("float32"), epochs=10, batch_size=32, verbose=0)
    return ae, x.astype("float32"), np.repeat([0, 1], 40)


def test_start_is_the_given_labels_and_centroids_their_means(blobs):
    ae, x, y = blobs
    start = 1 - y  # any labelling: here the true one, named the other way round
    seen = []
    model, history = dec.fit_dec(ae, x, 2, max_steps=1, update_interval=1, initial_labels=start,
                                 on_refresh=lambda step, m, q, p: seen.append(q.argmax(1)))
    np.testing.assert_array_equal(history.initial_labels, start)
    np.testing.assert_array_equal(seen[0], start)  # step 0: every point nearest its own cluster's mean
    codes = ae.encode(x)
    np.testing.assert_allclose(dec.build_dec(ae, 2).encode(x), codes, atol=1e-5)


@pytest.mark.parametrize("labels, words", [
    (lambda y: y[:-1], "initial_labels"),
    (lambda y: y.astype("float32"), "initial_labels"),
    (lambda y: np.zeros_like(y), "each cluster used"),
    (lambda y: y + 1, "initial_labels"),
])
def test_bad_initial_labels_are_named(blobs, labels, words):
    ae, x, y = blobs
    with pytest.raises(ValueError, match=words):
        dec.fit_dec(ae, x, 2, max_steps=1, initial_labels=labels(y))
