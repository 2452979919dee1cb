import keras
import numpy as np
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
