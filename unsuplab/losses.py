"""The penalty and likelihood terms of the autoencoder family, in ``keras.ops`` (every backend, jit-safe).

* :func:`kl_sparsity`: Ng's sparse-autoencoder penalty ``sum_j KL(rho || rho_hat_j)``.
* :func:`gaussian_kl`: ``KL(N(mu, sigma^2) || N(0, 1))`` of the VAE (Kingma and Welling, 2014, appendix B).
* :func:`contractive_closed_form` / :func:`contractive_estimate`: ``||J_f(x)||_F^2`` of the
  contractive autoencoder (Rifai et al., 2011), exact for one dense layer, estimated for any encoder.
* :func:`bernoulli_nll` / :func:`gaussian_nll`: the VAE's reconstruction term ``-log p(x | z)``.

Per-sample functions return shape ``(batch,)``; the layers in :mod:`unsuplab.layers` take their mean.
"""

import math

import keras
from keras import ops

EPS = 1e-7
ACTIVATIONS_WITH_CLOSED_FORM = ("sigmoid", "relu")


CONTRACTIVE_SIGMA = 0.05  # noise scale of the contractive estimate (layer and function share it)


def flatten_features(x):
    """(batch, ...) -> (batch, features)."""
    x = ops.convert_to_tensor(x)
    return ops.reshape(x, (-1, math.prod(x.shape[1:]))) if len(x.shape) > 2 else x


def kl_sparsity(rho, rho_hat):
    """``sum_j rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))``.

    Ng, CS294A notes, the equation of section 3.

    ``rho`` is the target mean activation, ``rho_hat`` the mean activation of each unit over the batch
    (shape ``(units,)``); ``rho_hat`` is clipped to ``[1e-7, 1 - 1e-7]``. Returns a scalar.
    """
    rho = float(rho)
    if not 0.0 < rho < 1.0:
        raise ValueError(f"`rho` must lie strictly between 0 and 1, got {rho}.")
    rho_hat = ops.clip(ops.convert_to_tensor(rho_hat), EPS, 1.0 - EPS)
    kl = rho * ops.log(rho / rho_hat) + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - rho_hat))
    return ops.sum(kl, axis=-1)


def gaussian_kl(z_mean, z_log_var):
    """``KL(N(z_mean, exp(z_log_var)) || N(0, I)) = -0.5 sum(1 + log_var - mean^2 - exp(log_var))``, per sample."""
    z_mean, z_log_var = ops.convert_to_tensor(z_mean), ops.convert_to_tensor(z_log_var)
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def contractive_closed_form(code, kernel, activation="sigmoid"):
    """``||J||_F^2 = sum_j f'(a_j)^2 sum_i W_ij^2`` for ``code = f(x W + b)`` (Rifai et al., 2011, eq. 4), per sample.

    ``code`` is the layer's output (batch, units) and ``kernel`` its weights (inputs, units).
    ``f' = h (1 - h)`` for the sigmoid and ``1[h > 0]`` for the ReLU.
    """
    code, kernel = ops.convert_to_tensor(code), ops.convert_to_tensor(kernel)
    if activation == "sigmoid":
        slope_sq = ops.square(code * (1.0 - code))
    elif activation == "relu":
        slope_sq = ops.cast(code > 0, code.dtype)
    else:
        raise ValueError(f"`activation` must be one of {ACTIVATIONS_WITH_CLOSED_FORM} for the closed form, "
                         f"got {activation!r}; use contractive_estimate for other encoders.")
    column_norms = ops.sum(ops.square(ops.cast(kernel, code.dtype)), axis=0)  # (units,)
    return ops.sum(slope_sq * column_norms, axis=-1)


def contractive_estimate(encoder, x, sigma=CONTRACTIVE_SIGMA, samples=1, seed=None):
    """Stochastic estimate of ``||J_f(x)||_F^2``, per sample, for any encoder ``f``.

    ``E_eps ||f(x + sigma eps) - f(x)||^2 / sigma^2`` with ``eps ~ N(0, I)``, which tends to
    ``||J||_F^2`` as ``sigma -> 0`` (Rifai et al., 2011b, CAE+H, eq. 5). Averages ``samples`` draws;
    ``seed`` is an int, ``None`` or a ``keras.random.SeedGenerator`` (what a layer passes).
    Uses forward passes only, so it runs on every backend and under jit.
    """
    if samples < 1:
        raise ValueError(f"`samples` must be at least 1, got {samples}.")
    if not sigma > 0:
        raise ValueError(f"`sigma` must be > 0, got {sigma}.")
    x = ops.convert_to_tensor(x)
    clean = flatten_features(encoder(x))
    total = 0.0
    for _ in range(int(samples)):
        noise = keras.random.normal(ops.shape(x), stddev=sigma, dtype=x.dtype, seed=seed)
        total = total + ops.sum(ops.square(flatten_features(encoder(x + noise)) - clean), axis=-1)
    return total / (samples * sigma ** 2)


def bernoulli_nll(x, x_hat):
    """``-log p(x | z) = -sum_i x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)``, per sample (nats)."""
    x, x_hat = flatten_features(x), ops.clip(flatten_features(x_hat), EPS, 1.0 - EPS)
    return -ops.sum(x * ops.log(x_hat) + (1.0 - x) * ops.log(1.0 - x_hat), axis=-1)


def gaussian_nll(x, x_hat, sigma=0.1):
    """``-log N(x; x_hat, sigma^2 I) = sum_i (x_i - x_hat_i)^2 / (2 sigma^2) + log(sigma sqrt(2 pi))``, per sample."""
    x, x_hat = flatten_features(x), flatten_features(x_hat)
    d = x.shape[-1]
    return ops.sum(ops.square(x - x_hat), axis=-1) / (2.0 * sigma ** 2) + d * math.log(sigma * math.sqrt(2 * math.pi))
