"""unsuplab.dec.build_dec_autoencoder: DEC's d-500-500-2000-10 autoencoder (not compiled) and its two recipes, whose
optimisers come from unsuplab.dec.recipe_optimizer."""

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
    assert not ae.compiled  # the builder leaves compiling to its caller
    optimizer = dec.recipe_optimizer("sgd")
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer is not dec.recipe_optimizer("sgd")  # a new one
    assert float(optimizer.learning_rate) == pytest.approx(1.0)
    assert float(optimizer.momentum) == pytest.approx(0.9)
    assert isinstance(dec.recipe_optimizer(), keras.optimizers.SGD)  # "sgd" is the default recipe
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
    assert not ae.compiled
    optimizer = dec.recipe_optimizer("adam")
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(1e-3)
    assert dense_layers(ae.decoder)[-1].activation is keras.activations.sigmoid
    sgd = dec.recipe_optimizer("sgd", learning_rate=0.1)
    assert isinstance(sgd, keras.optimizers.SGD) and float(sgd.learning_rate) == pytest.approx(0.1)
    assert float(sgd.momentum) == pytest.approx(0.9)
    assert float(dec.recipe_optimizer("adam", 0.01).learning_rate) == pytest.approx(0.01)
    ae.compile(optimizer=dec.recipe_optimizer("adam"), loss="mse")  # the old compiled model, by hand
    assert ae.compiled and isinstance(ae.optimizer, keras.optimizers.Adam) and ae.loss == "mse"


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
    ({"learning_rate": 0.1}, TypeError),  # the learning rate belongs to recipe_optimizer now
    ({"code_size": 0}, ValueError),
])
def test_bad_arguments_raise(kwargs, error):
    with pytest.raises(error):
        dec.build_dec_autoencoder((8, 8, 1), hidden=(20,), **kwargs)


@pytest.mark.parametrize("args, error, words", [
    (("rmsprop",), ValueError, "recipe"),
    (("sgd", 0), ValueError, "learning_rate"),
    (("adam", 0), ValueError, "learning_rate"),
    (("sgd", -0.1), ValueError, "learning_rate"),
    (("adam", float("inf")), ValueError, "learning_rate"),
    (("sgd", "fast"), TypeError, "learning_rate"),
])
def test_bad_recipe_optimizer_arguments_are_named(args, error, words):
    with pytest.raises(error, match=words):
        dec.recipe_optimizer(*args)


def test_trains_and_starts_dec():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0.0, 0.3, (40, 8, 8, 1)), rng.uniform(0.7, 1.0, (40, 8, 8, 1))])
    x = x.astype("float32")
    keras.utils.set_random_seed(0)
    ae = dec.build_dec_autoencoder((8, 8, 1), code_size=2, hidden=(16,), seed=0)
    ae.compile(optimizer=dec.recipe_optimizer("sgd", 0.05), loss="mse")  # what the builder did with learning_rate
    losses = ae.fit(x, x, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    history = dec.fit_dec(ae, x, 2, update_interval=3, steps=6, batch_size=16)
    assert history.model.assign(x).shape == (80,) and history.history["step"][0] == 0
