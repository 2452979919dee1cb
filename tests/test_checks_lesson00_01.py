import numpy as np

from unsuplab.checks import lesson00


def _pca(x_train, x_test, k):
    mean = x_train.mean(0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    codes = (x_test - mean) @ vt[:k].T
    return codes, codes @ vt[:k] + mean


def _todo(*args):
    raise NotImplementedError()


def test_lesson00_pca():
    assert lesson00.pca_encode_decode(_pca)
    no_mean = lesson00.pca_encode_decode(lambda a, b, k: (_pca(a, b, k)[0], _pca(a, b, k)[1] - a.mean(0)))
    assert not no_mean and "mean" in no_mean.message
    assert lesson00.pca_encode_decode(_todo).status == "todo"


def _pca_model(mean, components, encode_bias=True, decode_bias=True):
    import keras

    k, d = components.shape
    inputs = keras.Input((d,))
    encode, decode = keras.layers.Dense(k), keras.layers.Dense(d)
    model = keras.Model(inputs, decode(encode(inputs)))
    encode.set_weights([components.T, -mean @ components.T if encode_bias else np.zeros(k, "float32")])
    decode.set_weights([components, mean if decode_bias else np.zeros(d, "float32")])
    return model


def test_lesson00_pca_as_keras():
    from unsuplab.baselines import pca_autoencoder

    assert lesson00.pca_as_keras(_pca_model)
    assert lesson00.pca_as_keras(pca_autoencoder)
    assert "CENTRED" in lesson00.pca_as_keras(lambda m, c: _pca_model(m, c, encode_bias=False)).message
    no_mean = lesson00.pca_as_keras(lambda m, c: _pca_model(m, c, decode_bias=False))
    assert "decoder's bias is the mean" in no_mean.message
    def image_input(mean, components):  # built for (6, 2) images, called on flat vectors
        import keras

        inputs = keras.Input((6, 2))
        return keras.Model(inputs, keras.layers.Dense(12)(keras.layers.Flatten()(inputs)))

    assert "Input shape (d,)" in lesson00.pca_as_keras(image_input).message
    assert "returns None" in lesson00.pca_as_keras(lambda m, c: None).message
    assert lesson00.pca_as_keras(_todo).status == "todo"

    def uses_tf(mean, components):
        import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)

    assert "one backend only" in lesson00.pca_as_keras(uses_tf).message


def test_lesson00_pca_as_keras_names_keras_slips():
    """Issue 28: set_weights before the layers are built, and swapped kernels, got Keras' raw ValueError."""
    import keras

    def weights_before_build(mean, components):
        k, d = components.shape
        encode, decode = keras.layers.Dense(k), keras.layers.Dense(d)
        encode.set_weights([components.T, -mean @ components.T])
        inputs = keras.Input((d,))
        return keras.Model(inputs, decode(encode(inputs)))

    def swapped(mean, components):
        k, d = components.shape
        inputs = keras.Input((d,))
        encode, decode = keras.layers.Dense(k), keras.layers.Dense(d)
        model = keras.Model(inputs, decode(encode(inputs)))
        encode.set_weights([components, -mean @ components.T])
        return model

    message = lesson00.pca_as_keras(weights_before_build).message
    assert "before it was built" in message and "Traceback" not in message
    message = lesson00.pca_as_keras(swapped).message
    assert "components.T (d, k)" in message and "wrong shape" in message
