"""The penalty terms equal their closed forms, and the contractive closed form equals the autodiff Jacobian."""

import keras
import numpy as np
import pytest
from autodiff import gradient
from keras import ops

from unsuplab import losses


def to_np(t):
    return np.asarray(ops.convert_to_numpy(t), dtype="float64")


def test_kl_sparsity_closed_form():
    rho, rho_hat = 0.05, np.array([0.05, 0.2, 0.5, 0.9], "float32")
    want = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert np.isclose(to_np(losses.kl_sparsity(rho, rho_hat)), want, rtol=1e-5)
    assert abs(to_np(losses.kl_sparsity(0.3, np.full(5, 0.3, "float32")))) < 1e-6  # zero at the target
    assert np.isfinite(to_np(losses.kl_sparsity(0.05, np.array([0.0, 1.0], "float32"))))  # clipped, no inf


def test_kl_sparsity_rejects_bad_rho():
    with pytest.raises(ValueError, match="rho"):
        losses.kl_sparsity(1.5, np.full(3, 0.5, "float32"))


def test_gaussian_kl_closed_form():
    mean = np.array([[0.0, 0.0], [1.0, -2.0]], "float32")
    log_var = np.array([[0.0, 0.0], [np.log(4.0), 0.0]], "float32")
    # per dimension: 0.5 (var + mean^2 - 1 - log var)
    want = [0.0, 0.5 * (4 + 1 - 1 - np.log(4.0)) + 0.5 * (1 + 4 - 1 - 0)]
    np.testing.assert_allclose(to_np(losses.gaussian_kl(mean, log_var)), want, rtol=1e-6, atol=1e-7)


def test_reconstruction_nlls():
    rng = np.random.default_rng(0)
    x, x_hat = rng.random((3, 4, 4, 1)).astype("float32"), rng.uniform(0.1, 0.9, (3, 4, 4, 1)).astype("float32")
    a, b = x.reshape(3, -1).astype("float64"), x_hat.reshape(3, -1).astype("float64")
    bce = -np.sum(a * np.log(b) + (1 - a) * np.log(1 - b), axis=1)
    np.testing.assert_allclose(to_np(losses.bernoulli_nll(x, x_hat)), bce, rtol=1e-5)
    gauss = np.sum((a - b) ** 2, 1) / (2 * 0.2 ** 2) + 16 * np.log(0.2 * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(to_np(losses.gaussian_nll(x, x_hat, 0.2)), gauss, rtol=1e-5)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_contractive_closed_form_equals_autodiff_jacobian(activation):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 7)).astype("float32")
    kernel, bias = rng.normal(size=(7, 5)).astype("float32"), rng.normal(size=5).astype("float32")
    act = {"sigmoid": ops.sigmoid, "relu": ops.relu}[activation]

    def encoder(v):
        return act(ops.matmul(v, kernel) + bias)

    jac = gradient(encoder, x, jacobian=True)
    assert jac.shape == (6, 5, 7)
    frobenius_sq = np.sum(jac ** 2, axis=(1, 2))
    closed = to_np(losses.contractive_closed_form(encoder(x), kernel, activation))
    np.testing.assert_allclose(closed, frobenius_sq, rtol=1e-5, atol=1e-5)


def test_contractive_estimate_agrees_with_closed_form():
    """Stochastic estimate with sigma=0.01 and 400 draws: batch mean within 5% of the exact value."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 20)).astype("float32")
    kernel, bias = (0.3 * rng.normal(size=(20, 10))).astype("float32"), np.zeros(10, "float32")

    def encoder(v):
        return ops.sigmoid(ops.matmul(v, kernel) + bias)

    exact = to_np(losses.contractive_closed_form(encoder(x), kernel, "sigmoid"))
    estimate = to_np(losses.contractive_estimate(encoder, x, sigma=0.01, samples=400,
                                                 seed=keras.random.SeedGenerator(0)))
    assert estimate.shape == (8,)
    assert abs(estimate.mean() - exact.mean()) / exact.mean() < 0.05
    np.testing.assert_allclose(estimate, exact, rtol=0.25)


def test_closed_form_rejects_other_activations():
    with pytest.raises(ValueError, match="activation"):
        losses.contractive_closed_form(np.ones((2, 3), "float32"), np.ones((4, 3), "float32"), "tanh")
