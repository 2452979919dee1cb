"""fit_dec trains a clustering layer it is given (lesson 16's own): any layer with a trainable `centroids`."""

import keras
import numpy as np
import pytest
from keras import ops
from test_dec_start import blobs  # noqa: F401  (the fixture: a small autoencoder, two blobs)

from unsuplab import dec


class OwnLayer(keras.layers.Layer):
    """A student's clustering layer: DEC eq. 1 with alpha = 1, written without the library."""

    def __init__(self, n_clusters, trainable_centroids=True, **kwargs):
        super().__init__(**kwargs)
        self.n_clusters, self.trainable_centroids = n_clusters, trainable_centroids

    def build(self, input_shape):
        self.centroids = self.add_weight(shape=(self.n_clusters, input_shape[-1]), initializer="zeros",
                                         name="centroids", trainable=self.trainable_centroids)

    def call(self, z):
        squared = ops.sum(ops.square(ops.expand_dims(z, 1) - ops.expand_dims(self.centroids, 0)), axis=-1)
        kernel = 1.0 / (1.0 + squared)
        return kernel / ops.sum(kernel, axis=1, keepdims=True)


def test_fit_dec_trains_the_layer_it_is_given(blobs):  # noqa: F811 (the imported fixture)
    ae, x, _ = blobs
    layer = OwnLayer(2, name="own")
    history = dec.fit_dec(ae, x, 2, update_interval=5, steps=20, batch_size=32, clustering=layer)
    model = history.model
    assert model.clustering is layer and model.n_clusters == 2
    kmeans = np.stack([model.encode(x)[history.initial_labels == j].mean(0) for j in range(2)])
    assert not np.allclose(model.centroids, 0)  # set from k-means, then trained
    assert history.history["step"][-1] > 0 and not np.allclose(model.centroids, kmeans, atol=1e-7)
    q = model.cluster_probabilities(x)
    np.testing.assert_allclose(q, ops.convert_to_numpy(dec.soft_assignment(model.encode(x), model.centroids)),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layer, words", [
    (keras.layers.Dense(2), "trainable weight `self.centroids"),
    (OwnLayer(2, trainable_centroids=False), "trainable weight `self.centroids"),
    (OwnLayer(3), "3 centroids, but `n_clusters` is 2"),
    ("not a layer", "Keras layer"),
])
def test_a_layer_fit_dec_cannot_train_is_named(blobs, layer, words):  # noqa: F811
    ae, x, _ = blobs
    with pytest.raises((ValueError, TypeError), match=words):
        dec.fit_dec(ae, x, 2, steps=2, clustering=layer)
