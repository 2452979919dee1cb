"""Sparse autoencoders: an L1 or KL sparsity penalty on the code (Ng, CS294A notes; Goodfellow et al., 2016, 14.2.1)."""

from ..layers import KLSparsity, L1Sparsity
from .blocks import check_weight
from .dense import build_dense_autoencoder

PENALTIES = ("l1", "kl")


def build_sparse_autoencoder(input_shape=(28, 28, 1), code_size=64, hidden=(256,), penalty="kl", weight=None,
                             rho=0.05, activation="relu", output_activation="sigmoid", name="sparse_autoencoder",
                             corruption=None, decoder_hidden=None):
    """Dense autoencoder whose code pays a sparsity penalty; may be overcomplete (``code_size`` > pixels).

    ``penalty="l1"``: ReLU code, loss ``+ weight * sum_j |h_j|`` (default weight 1e-4).
    ``penalty="kl"``: sigmoid code, loss ``+ weight * sum_j KL(rho || rho_hat_j)`` (Ng's beta; default 1e-3,
    scaled to a per-pixel mean squared error loss).
    """
    if penalty not in PENALTIES:
        raise ValueError(f"`penalty` must be one of {PENALTIES}, got {penalty!r}.")
    if penalty == "l1":
        weight = 1e-4 if weight is None else check_weight(weight)
        code_activation, layer = "relu", L1Sparsity(weight, name="l1_sparsity")
    else:
        weight = 1e-3 if weight is None else check_weight(weight)
        code_activation, layer = "sigmoid", KLSparsity(rho, weight, name="kl_sparsity")
    return build_dense_autoencoder(input_shape, code_size, hidden, activation, code_activation, output_activation,
                                   decoder_hidden, name=name, corruption=corruption, code_layers=[layer])
