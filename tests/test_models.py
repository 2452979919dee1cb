"""Every builder: shapes, clear errors, a loss that goes down (the .keras round trips: tests/test_registration.py)."""

import keras
import numpy as np
import pytest
from keras import ops

from unsuplab import datasets, losses
from unsuplab.models import (
    VAE,
    Autoencoder,
    SwitchAutoencoder,
    build_contractive_autoencoder,
    build_conv_autoencoder,
    build_deep_autoencoder,
    build_denoising_autoencoder,
    build_dense_autoencoder,
    build_sparse_autoencoder,
    build_vae,
    check_training_data,
)

# small versions of every builder, so each trains in a second or two
BUILDERS = {
    "dense": lambda: build_dense_autoencoder(code_size=16, hidden=(64,)),
    "deep": lambda: build_deep_autoencoder(hidden=(128, 64), code_size=16),
    "conv_unpool": lambda: build_conv_autoencoder(filters=(8, 16), decoder="unpool"),
    "conv_upsample": lambda: build_conv_autoencoder(filters=(8, 16), decoder="upsample", code_size=16),
    "conv_transpose": lambda: build_conv_autoencoder(filters=(8, 16), decoder="transpose"),
    "sparse_l1": lambda: build_sparse_autoencoder(code_size=32, hidden=(64,), penalty="l1"),
    "sparse_kl": lambda: build_sparse_autoencoder(code_size=32, hidden=(64,), penalty="kl"),
    "denoising": lambda: build_denoising_autoencoder(kind="mask_pixels", amount=0.3, code_size=16, hidden=(64,)),
    "denoising_shifted": lambda: build_dense_autoencoder(code_size=16, hidden=(64,), corruption=[
        keras.layers.RandomTranslation(1 / 28, 1 / 28, fill_mode="constant"), {"kind": "mask_pixels", "amount": 0.5}]),
    "contractive": lambda: build_contractive_autoencoder(code_size=16),
    "contractive_estimate": lambda: build_contractive_autoencoder(code_size=16, hidden=(32,), method="estimate"),
    "vae": lambda: build_vae(code_size=2, hidden=(64,)),
    "vae_conv": lambda: build_vae(code_size=2, hidden=(32,), conv=True, filters=(8, 16), reconstruction="gaussian"),
}


@pytest.fixture(scope="module")
def mnist():
    split = datasets.load("mnist_small")
    return split.x_train[:256], split.x_test[:64]


def compile_model(model):
    if isinstance(model, VAE):
        model.compile(keras.optimizers.Adam(2e-3))
    else:
        model.compile(keras.optimizers.Adam(2e-3), "mse")
    return model


def fit(model, x, epochs=3):
    return model.fit(x, None if isinstance(model, VAE) else x, epochs=epochs, batch_size=32, verbose=0, shuffle=False)


# ----------------------------------------------------------------------------- shapes

@pytest.mark.parametrize("name", BUILDERS)
def test_builder_shapes(name):
    model = BUILDERS[name]()
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    assert isinstance(model, Autoencoder)
    assert tuple(model(x).shape) == (3, 28, 28, 1)
    codes = model.encoder(x)
    if isinstance(model, VAE):
        assert [tuple(c.shape) for c in codes] == [(3, 2)] * 3
        assert tuple(model.decoder(codes[2]).shape) == (3, 28, 28, 1)
    elif isinstance(model, SwitchAutoencoder):
        code, *switches = model.pooling_encoder(x)
        assert tuple(codes.shape) == tuple(code.shape) == (3, 7, 7, 16)
        assert [tuple(s.shape) for s in switches] == [(3, 14, 14, 8), (3, 7, 7, 16)]
        assert tuple(model.decoder([code, *switches]).shape) == (3, 28, 28, 1)
    else:
        assert tuple(model.decoder(codes).shape) == (3, 28, 28, 1)


@pytest.mark.parametrize("shape", [(8, 8, 1), (32, 32, 3), (28, 28, 1), (15, 9, 2)])
@pytest.mark.parametrize("decoder", ["unpool", "upsample", "transpose"])
def test_conv_decoders_serve_other_shapes_and_odd_sizes(shape, decoder):
    model = build_conv_autoencoder(shape, filters=(4, 4, 4) if min(shape[:2]) >= 8 else (4,), decoder=decoder)
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    assert tuple(model(x).shape) == (2, *shape)


def test_three_conv_decoders_are_comparable_at_equal_code_size():
    models = {d: build_conv_autoencoder(filters=(8, 16), decoder=d, code_size=10)
              for d in ("unpool", "upsample", "transpose")}
    assert {tuple(m.encoder.output.shape) for m in models.values()} == {(None, 10)}
    sizes = {d: sum(sub.count_params() for sub in (getattr(m, "pooling_encoder", m.encoder), m.decoder))
             for d, m in models.items()}
    assert len(set(sizes.values())) == 1, sizes


def test_other_input_shapes():
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    for model in (build_dense_autoencoder((8, 8, 1), code_size=4), build_sparse_autoencoder((8, 8, 1), code_size=200),
                  build_vae((8, 8, 1), conv=True, filters=(4,)), build_contractive_autoencoder((8, 8, 1), code_size=4)):
        assert tuple(model(x).shape) == (2, 8, 8, 1)
    overcomplete = build_sparse_autoencoder((8, 8, 1), code_size=200)
    assert tuple(overcomplete.encoder(x).shape) == (2, 200)  # more code units than pixels


# ----------------------------------------------------------------------------- errors before training

@pytest.mark.parametrize("call,match", [
    (lambda: build_conv_autoencoder((784,)), "input_shape"),
    (lambda: build_conv_autoencoder((8, 8, 1), filters=(4, 4, 4, 4)), "too small"),
    (lambda: build_conv_autoencoder(decoder="bilinear"), "decoder"),
    (lambda: build_conv_autoencoder(filters=()), "filters"),
    (lambda: build_dense_autoencoder(code_size=0), "code_size"),
    (lambda: build_deep_autoencoder(hidden=(100, -5)), "hidden"),
    (lambda: build_dense_autoencoder(input_shape=(28, 0, 1)), "input_shape"),
    (lambda: build_sparse_autoencoder(penalty="l2"), "penalty"),
    (lambda: build_sparse_autoencoder(rho=2.0), "rho"),
    (lambda: build_contractive_autoencoder(hidden=(64,)), "hidden"),
    (lambda: build_contractive_autoencoder(activation="tanh"), "activation"),
    (lambda: build_contractive_autoencoder(method="exact"), "method"),
    (lambda: build_vae(beta=0), "beta"),
    (lambda: build_vae(reconstruction="poisson"), "reconstruction"),
    (lambda: build_vae((784,), conv=True), "input_shape"),
    (lambda: build_denoising_autoencoder(kind="blur"), "kind"),
    (lambda: build_dense_autoencoder(corruption=3), "corruption"),
])
def test_impossible_arguments_raise_clear_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_check_training_data_rejects_bad_data():
    model = build_dense_autoencoder(code_size=4)
    good = np.zeros((2, 28, 28, 1), "float32")
    assert check_training_data(good, model).dtype == np.float32
    with pytest.raises(ValueError, match="NaN"):
        check_training_data(np.where(good == 0, np.nan, good), model)
    with pytest.raises(TypeError, match="integer"):
        check_training_data(np.zeros((2, 28, 28, 1), "uint8"), model)
    with pytest.raises(ValueError, match="shape"):
        check_training_data(np.zeros((2, 8, 8, 1), "float32"), model)
    with pytest.raises(TypeError, match="numbers"):
        check_training_data(np.array([["a"]]), model)


def test_vae_fit_validates_before_training():
    model = compile_model(build_vae(hidden=(8,)))
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="`x` contains NaN"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(np.zeros((4, 28, 28, 1), "float32"), validation_data=(np.zeros((4, 8, 8, 1), "float32"),), verbose=0)


# ----------------------------------------------------------------------------- training

@pytest.mark.parametrize("name", BUILDERS)
def test_loss_goes_down_on_mnist_small(name, mnist):
    x, _ = mnist
    keras.utils.set_random_seed(0)
    model = compile_model(BUILDERS[name]())
    history = fit(model, x).history["loss"]
    assert np.all(np.isfinite(history))
    assert history[-1] < 0.9 * history[0], history


def test_vae_reports_elbo_and_generates_from_the_prior(mnist):
    x, x_test = mnist
    keras.utils.set_random_seed(0)
    model = compile_model(build_vae(code_size=3, hidden=(32,)))
    history = model.fit(x, epochs=2, batch_size=64, verbose=0, validation_data=(x_test,)).history
    assert {"elbo", "val_elbo", "loss", "val_loss"} <= set(history)
    np.testing.assert_allclose(history["elbo"], -np.asarray(history["loss"]), rtol=1e-5)  # beta = 1
    scores = model.evaluate(x_test, verbose=0, return_dict=True)
    assert scores["elbo"] < 0 and np.isclose(scores["elbo"], -scores["loss"], rtol=1e-5)
    images = model.generate(5, seed=1)
    assert images.shape == (5, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    assert tuple(model.sampler(np.zeros((2, 3), "float32")).shape) == (2, 28, 28, 1)


def test_vae_kl_term_equals_closed_form(mnist):
    x = mnist[0][:16]
    model = build_vae(code_size=4, hidden=(16,), beta=2.5)
    z_mean, z_log_var, _ = model.encoder(x)
    want = 2.5 * np.mean(ops.convert_to_numpy(losses.gaussian_kl(z_mean, z_log_var)))
    model(x)
    assert np.isclose(float(ops.convert_to_numpy(model.losses[0])), want, rtol=1e-5)


def _independent_nll_and_kl(x, x_hat, z_mean, z_log_var):
    """Bernoulli NLL and Gaussian KL per sample, in NumPy (not through unsuplab.losses)."""
    x, p = x.reshape(len(x), -1).astype("float64"), np.clip(x_hat.reshape(len(x), -1), 1e-7, 1 - 1e-7)
    nll = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    kl = 0.5 * np.sum(z_mean ** 2 + np.exp(z_log_var) - 1.0 - z_log_var, axis=1)
    return nll, kl


@pytest.mark.parametrize("beta", [1.0, 4.0])
def test_vae_loss_and_elbo_equal_an_independent_nll_plus_kl(mnist, beta):
    x = mnist[0][:32]
    model = compile_model(build_vae(code_size=2, hidden=(16,), beta=beta, seed=0))
    x_hat = model(x, training=True)
    loss = float(ops.convert_to_numpy(model.compute_loss(x, None, x_hat)))
    z_mean, z_log_var, _ = (ops.convert_to_numpy(t) for t in model.encoder(x))
    nll, kl = _independent_nll_and_kl(x, ops.convert_to_numpy(x_hat), z_mean, z_log_var)
    assert np.isclose(loss, np.mean(nll) + beta * np.mean(kl), rtol=1e-4)
    assert np.isclose(float(model.elbo_tracker.result()), -np.mean(nll + kl), rtol=1e-4)  # the KL counted once


def test_vae_elbo_is_minus_the_loss_with_a_short_last_batch(mnist):
    """100 images in batches of 64: the last batch has 36; both metrics weight batches by size."""
    keras.utils.set_random_seed(0)
    model = compile_model(build_vae(code_size=2, hidden=(16,), seed=0))
    history = model.fit(mnist[0][:100], epochs=2, batch_size=64, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["elbo"], -np.asarray(history["loss"]), rtol=1e-5)
    scores = model.evaluate(mnist[1][:50], batch_size=32, verbose=0, return_dict=True)
    assert np.isclose(scores["elbo"], -scores["loss"], rtol=1e-5)


def test_corruption_only_while_training(mnist):
    x = mnist[1][:8]
    model = build_denoising_autoencoder(build_conv_autoencoder, kind="gaussian", amount=0.5, filters=(4,))
    np.testing.assert_array_equal(model.encode(x), model.encode(x))
    assert not np.allclose(ops.convert_to_numpy(model(x, training=True)), ops.convert_to_numpy(model(x)))


def test_a_list_of_corruptions_applies_in_order_while_training_only(mnist):
    x = mnist[1][:8]
    shift = keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=0)
    model = build_dense_autoencoder(code_size=4, corruption=[shift, "mask_pixels"])
    first, second = model.encoder.layers[1:3]
    assert first is shift and second.kind == "mask_pixels"
    np.testing.assert_array_equal(model.encode(x), model.encode(x))
    seen = keras.Model(model.encoder.input, second.output)(x, training=True)
    blank_after, blank_before = (ops.convert_to_numpy(seen) == 0).mean(), (x == 0).mean()
    assert blank_after > blank_before + 0.05  # the mask blanks about half of the inked pixels too
    with pytest.raises(TypeError, match="corruption"):
        build_dense_autoencoder(corruption=["mask_pixels", 3])
