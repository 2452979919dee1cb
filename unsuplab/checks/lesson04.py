"""Checks for lesson 04 (sparse autoencoder)."""

import numpy as np

from . import Wrong, exercise, to_numpy


def _kl(rho, rho_hat):
    return float(np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))


@exercise("Exercise 1 (KL sparsity penalty)")
def kl_sparsity(student_fn):
    """``student_fn(rho, rho_hat)`` -> ``sum_j KL(rho || rho_hat_j)`` for Bernoulli means, a scalar."""
    rho_hat = np.array([0.01, 0.05, 0.2, 0.5, 0.9])
    got = float(np.squeeze(to_numpy(student_fn(0.05, np.full(3, 0.05)))))
    if abs(got) > 1e-6:
        raise Wrong(f"when every unit's mean activation equals rho the penalty must be 0, you return {got:.6g}.")
    got = float(np.squeeze(to_numpy(student_fn(0.05, rho_hat))))
    want = _kl(0.05, rho_hat)
    if np.isclose(got, float(np.sum(0.05 * np.log(0.05 / rho_hat))), rtol=1e-4):
        raise Wrong("only the rho log(rho / rho_hat) part is there: add (1 - rho) log((1 - rho) / (1 - rho_hat)), "
                    "the 'off' half of the Bernoulli KL.")
    if np.isclose(got, _kl(rho_hat, 0.05), rtol=1e-4):
        raise Wrong("the arguments of the KL are swapped: it is KL(rho || rho_hat), rho in the numerators.")
    if np.isclose(got, want / len(rho_hat), rtol=1e-4):
        raise Wrong("you average over the units; the penalty is the SUM over units j.")
    if not np.isclose(got, want, rtol=1e-4):
        raise Wrong(f"for rho=0.05 and rho_hat={rho_hat.tolist()} the penalty is {want:.5f}, you return {got:.5f}.")
    return "Zero at rho_hat = rho, and growing as a unit's mean activation moves away from rho."
