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


class SeenAssignments(keras.callbacks.Callback):
    """Records argmax q of all of ``x`` at each refresh (q from ``self.model``, the DEC being trained)."""

    def __init__(self, x):
        super().__init__()
        self.x, self.seen = x, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(self.model.cluster_probabilities(self.x).argmax(1))


def test_start_is_the_given_labels_and_centroids_their_means(blobs):
    ae, x, y = blobs
    start = 1 - y  # any labelling: here the true one, named the other way round
    seen = SeenAssignments(x)
    history = dec.fit_dec(ae, x, 2, steps=1, update_interval=1, initial_labels=start, callbacks=[seen])
    model = history.model
    np.testing.assert_array_equal(history.initial_labels, start)
    np.testing.assert_array_equal(seen.seen[0], start)  # step 0: every point nearest its own cluster's mean
    assert len(seen.seen) == 2 and history.history["step"] == [0, 1]
    means = np.stack([model.encode(x)[start == j].mean(0) for j in range(2)])
    assert np.all(np.linalg.norm(model.centroids - means, axis=1) < 0.5)  # one step from the means
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
        dec.fit_dec(ae, x, 2, steps=1, initial_labels=labels(y))
