import keras
import numpy as np
from checks_reference import twin
from keras import ops

from unsuplab.checks import lesson07


def right_sampling(z_mean, z_log_var, seed=None):
    eps = keras.random.normal(ops.shape(z_mean), seed=seed)
    return z_mean + ops.exp(0.5 * z_log_var) * eps


def test_sampling_check_accepts_the_reparameterisation(capsys):
    assert lesson07.sampling(right_sampling)
    assert "[ok]" in capsys.readouterr().out


def test_sampling_check_names_the_variance_mistake():
    def variance_as_std(z_mean, z_log_var, seed=None):
        return z_mean + ops.exp(z_log_var) * keras.random.normal(ops.shape(z_mean), seed=seed)

    wrong = lesson07.sampling(variance_as_std)
    assert wrong.status == "wrong" and "exp(0.5 * z_log_var)" in wrong.message


def test_sampling_check_names_a_missing_mean():
    def no_mean(z_mean, z_log_var, seed=None):
        return ops.exp(0.5 * z_log_var) * keras.random.normal(ops.shape(z_mean), seed=seed)

    wrong = lesson07.sampling(no_mean)
    assert wrong.status == "wrong" and "add z_mean" in wrong.message


def test_sampling_check_sees_a_cut_gradient():
    def numpy_sampling(z_mean, z_log_var, seed=None):  # right statistics, but NumPy cuts the graph
        mean, log_var = ops.convert_to_numpy(z_mean), ops.convert_to_numpy(z_log_var)
        return mean + np.exp(0.5 * log_var) * np.random.default_rng(0).standard_normal(mean.shape)

    def stopped_log_var(z_mean, z_log_var, seed=None):
        eps = keras.random.normal(ops.shape(z_mean), seed=seed)
        return z_mean + ops.exp(0.5 * ops.stop_gradient(z_log_var)) * eps

    wrong = lesson07.sampling(numpy_sampling)
    assert wrong.status == "wrong" and "gradient" in wrong.message
    wrong = lesson07.sampling(stopped_log_var)
    assert wrong.status == "wrong" and "z_log_var" in wrong.message and "gradient" in wrong.message


def test_sampling_check_waits_for_unfinished():
    def todo(z_mean, z_log_var, seed=None):
        raise NotImplementedError()

    assert lesson07.sampling(todo).status == "todo"


def fake_sweep(reconstruction, kl):
    def sweep(x_train, x_test, betas, epochs):
        return {b: {"reconstruction": reconstruction(b), "kl": kl(b)} for b in betas}
    return sweep


X = np.zeros((4, 8, 8, 1), "float32")


def test_beta_sweep_check_accepts_the_beta_vae_trend(capsys):
    ok = lesson07.beta_sweep(fake_sweep(lambda b: 100 + np.log(b + 1), lambda b: 5 / (1 + b)), X, X)
    assert ok
    out = capsys.readouterr().out
    assert "[ok]" in out and "KL (nats)" in out


def test_beta_sweep_check_names_the_weighted_kl_and_swapped_terms():
    weighted = lesson07.beta_sweep(fake_sweep(lambda b: 100 + b, lambda b: b * 5 / (1 + b)), X, X)
    assert weighted.status == "wrong" and "beta * KL" in weighted.message
    swapped = lesson07.beta_sweep(fake_sweep(lambda b: 5 / (1 + b), lambda b: 100 + b), X, X)
    assert swapped.status == "wrong" and "swapped" in swapped.message
    flat_recon = lesson07.beta_sweep(fake_sweep(lambda b: 100.0, lambda b: 5 / (1 + b)), X, X)
    assert flat_recon.status == "wrong" and "reconstruction term" in flat_recon.message


def test_beta_sweep_check_names_missing_keys_and_waits_for_unfinished():
    def missing(x_train, x_test, betas, epochs):
        return {b: {"kl": 1.0} for b in betas}

    def todo(x_train, x_test, betas, epochs):
        raise NotImplementedError()

    wrong = lesson07.beta_sweep(missing, X, X)
    assert wrong.status == "wrong" and "'reconstruction'" in wrong.message
    assert lesson07.beta_sweep(todo, X, X).status == "todo"


def test_sampling_check_sees_a_stopped_mean():
    def stopped_mean(z_mean, z_log_var, seed=None):
        eps = keras.random.normal(ops.shape(z_mean), seed=seed)
        return ops.stop_gradient(z_mean) + ops.exp(0.5 * z_log_var) * eps

    wrong = lesson07.sampling(stopped_mean)
    assert wrong.status == "wrong" and "no gradient reaches z_mean" in wrong.message


# ----------------------------------------------------------------------------- Exercise 1: the Sampling layer

import pytest  # noqa: E402

from unsuplab import losses  # noqa: E402
from unsuplab.layers import Sampling  # noqa: E402


def _kl(m, lv):
    return -0.5 * ops.sum(1.0 + lv - ops.square(m) - ops.exp(lv), axis=-1)


def _layer(kl=None, sample=None, add=1):
    """A Sampling subclass whose call adds ``kl(layer, m, lv)`` ``add`` times and returns ``sample(layer, m, lv)``."""

    def right_kl(layer, m, lv):
        return layer.beta * ops.mean(_kl(m, lv))

    def right_sample(layer, m, lv):
        return m + ops.exp(0.5 * lv) * keras.random.normal(ops.shape(m), dtype=m.dtype, seed=layer.seed_generator)

    class Layer(Sampling):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            for _ in range(add):
                self.add_loss((kl or right_kl)(self, z_mean, z_log_var))
            return (sample or right_sample)(self, z_mean, z_log_var)

    return Layer


class PlainLayer(keras.layers.Layer):
    """The exercise written from scratch, without the library's Sampling."""

    def __init__(self, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.beta, self.seed_generator = beta, keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        self.add_loss(self.beta * ops.mean(losses.gaussian_kl(z_mean, z_log_var)))
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


class TodoLayer(Sampling):
    def call(self, inputs):
        raise NotImplementedError()


class JaxLayer(Sampling):
    def call(self, inputs):
        return jnp.zeros(1)  # noqa: F821  (never runs: the check reads the source first)


def _eps(layer, m):
    return keras.random.normal(ops.shape(m), dtype=m.dtype, seed=layer.seed_generator)


def test_kl_reference_is_the_library_closed_form():
    m, lv = lesson07._KL_MEAN, lesson07._KL_LOG_VAR
    np.testing.assert_allclose(lesson07.gaussian_kl_reference(m, lv),
                               ops.convert_to_numpy(losses.gaussian_kl(m, lv)), rtol=1e-5)


def test_sampling_layer_check_accepts_right_layers(capsys):
    assert lesson07.sampling_layer(_layer())
    assert "[ok]" in capsys.readouterr().out
    assert lesson07.sampling_layer(PlainLayer)
    assert lesson07.sampling_layer(twin(Sampling))  # the library's own layer


@pytest.mark.parametrize("layer, says", [
    (_layer(add=0), "not added"),
    (_layer(add=2), "once"),
    (_layer(kl=lambda ly, m, lv: ops.mean(_kl(m, lv))), "not weighted by beta"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.sum(_kl(m, lv))), "summed the KL over the batch"),
    (_layer(kl=lambda ly, m, lv: -ly.beta * ops.mean(_kl(m, lv))), "never is"),
    (_layer(kl=lambda ly, m, lv: 2 * ly.beta * ops.mean(_kl(m, lv))), "factor 1/2"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(-0.5 * ops.sum(1 + lv - m ** 2 - ops.exp(0.5 * lv), -1))),
     "not exp(0.5 * z_log_var)"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(0.5 * ops.sum(m ** 2 + ops.exp(lv) - lv, -1))), "'- 1'"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(0.5 * ops.sum(ops.exp(lv) - lv - 1, -1))), "mean^2"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(_kl(m, lv)) / 3), "sum the KL over the latent"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(_kl(ops.stop_gradient(m), lv))), "KL's gradient does not reach"),
    (_layer(sample=lambda ly, m, lv: ops.stop_gradient(m) + ops.exp(0.5 * lv) * _eps(ly, m)), "through z"),
    (_layer(sample=lambda ly, m, lv: m + ops.exp(0.5 * ops.stop_gradient(lv)) * _eps(ly, m)), "z_log_var through z"),
    (_layer(sample=lambda ly, m, lv: m + ops.exp(lv) * _eps(ly, m)), "exp(0.5 * z_log_var)"),
    (_layer(sample=lambda ly, m, lv: ops.exp(0.5 * lv) * _eps(ly, m)), "add z_mean"),
    (_layer(sample=lambda ly, m, lv: m), "no noise"),
    (_layer(sample=lambda ly, m, lv: m[:, :2]), "shape"),
    (_layer(sample=lambda ly, m, lv: m * np.nan), "NaN"),
    (_layer(kl=lambda ly, m, lv: ly.beta * ops.mean(ops.log(-ops.abs(_kl(m, lv))))), "NaN"),
    (JaxLayer, "only runs on one backend"),
])
def test_sampling_layer_check_names_each_mistake(layer, says):
    result = lesson07.sampling_layer(layer)
    assert result.status == "wrong", result.message
    if says is not None:
        assert says in result.message, result.message


def test_sampling_layer_check_sees_a_numpy_kl():
    def numpy_kl(layer, m, lv):
        m, lv = ops.convert_to_numpy(m), ops.convert_to_numpy(lv)
        return float(layer.beta * lesson07.gaussian_kl_reference(m, lv).mean())

    result = lesson07.sampling_layer(_layer(kl=numpy_kl))
    assert result.status == "wrong" and "gradient" in result.message, result.message


def test_sampling_layer_check_waits_for_an_unfinished_layer():
    assert lesson07.sampling_layer(TodoLayer).status == "todo"
