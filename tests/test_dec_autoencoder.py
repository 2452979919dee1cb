"""unsuplab.dec.build_dec_autoencoder: DEC's d-500-500-2000-10 autoencoder and its two training recipes."""

import keras
import numpy as np
import pytest

from unsuplab import dec
from unsuplab.layers import Corruption


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_default_shape_is_decs():
    ae = dec.build_dec_autoencoder()
    enc, dec_ = dense_layers(ae.encoder), dense_layers(ae.decoder)
    assert [layer.units for layer in enc] == [500, 500, 2000, 10]
    assert [layer.units for layer in dec_] == [2000, 500, 500, 784]
    assert tuple(ae.encoder.outputs[0].shape) == (None, 10)
    assert tuple(ae.decoder.outputs[0].shape) == (None, 28, 28, 1)
    assert enc[-1].activation is keras.activations.linear  # a linear code
    assert all(layer.activation is keras.activations.relu for layer in enc[:-1] + dec_[:-1])


def test_sgd_recipe_scaled_uniform_kernels_zero_biases():
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=3, hidden=(40, 30), seed=1)
    assert ae.compiled and isinstance(ae.optimizer, keras.optimizers.SGD)
    assert float(ae.optimizer.learning_rate) == pytest.approx(1.0)
    assert float(ae.optimizer.momentum) == pytest.approx(0.9)
    layers = dense_layers(ae.encoder) + dense_layers(ae.decoder)
    assert layers[-1].activation is keras.activations.linear  # linear output in this recipe
    for layer in layers:
        kernel, bias = keras.ops.convert_to_numpy(layer.kernel), keras.ops.convert_to_numpy(layer.bias)
        limit = np.sqrt(1.0 / kernel.shape[0])  # VarianceScaling(1/3, fan_in, uniform): sqrt(3 * scale / fan_in)
        assert np.abs(kernel).max() <= limit + 1e-6
        assert np.abs(kernel).max() > 0.8 * limit  # uniform on the whole interval, not a narrower draw
        assert not bias.any()


def test_seed_fixes_the_weights():
    def weights(seed):
        return dec.build_dec_autoencoder((8, 8, 1), code_size=3, hidden=(20,), seed=seed).get_weights()

    first, again, other = weights(3), weights(3), weights(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_adam_recipe_and_learning_rate():
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=3, hidden=(20,), recipe="adam")
    assert isinstance(ae.optimizer, keras.optimizers.Adam)
    assert float(ae.optimizer.learning_rate) == pytest.approx(1e-3)
    assert dense_layers(ae.decoder)[-1].activation is keras.activations.sigmoid
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=3, hidden=(20,), learning_rate=0.1)
    assert float(ae.optimizer.learning_rate) == pytest.approx(0.1)


def test_noise_makes_a_denoising_autoencoder():
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=3, hidden=(20,), noise=0.2)
    corruption = [layer for layer in ae.encoder.layers if isinstance(layer, Corruption)]
    assert len(corruption) == 1 and corruption[0].kind == "mask_pixels" and corruption[0].amount == 0.2
    assert not [layer for layer in dec.build_dec_autoencoder((8, 8, 1), 3, (20,)).encoder.layers
                if isinstance(layer, Corruption)]


@pytest.mark.parametrize("kwargs, error", [
    ({"recipe": "rmsprop"}, ValueError),
    ({"noise": 1.0}, ValueError),
    ({"noise": -0.1}, ValueError),
    ({"noise": "much"}, TypeError),
    ({"learning_rate": 0}, ValueError),
    ({"code_size": 0}, ValueError),
])
def test_bad_arguments_raise(kwargs, error):
    with pytest.raises(error):
        dec.build_dec_autoencoder((8, 8, 1), hidden=(20,), **kwargs)


def test_trains_and_starts_dec():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0.0, 0.3, (40, 8, 8, 1)), rng.uniform(0.7, 1.0, (40, 8, 8, 1))])
    x = x.astype("float32")
    keras.utils.set_random_seed(0)
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=2, hidden=(16,), learning_rate=0.05, seed=0)
    losses = ae.fit(x, x, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    model, history = dec.fit_dec(ae, x, 2, update_interval=3, max_steps=6, batch_size=16)
    assert model.assign(x).shape == (80,) and history.step[0] == 0
