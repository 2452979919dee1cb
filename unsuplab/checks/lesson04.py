"""Checks for lesson 04 (sparse autoencoder): a KL-sparsity layer that adds its penalty with ``add_loss``."""

import numpy as np

from . import Wrong, call_student_layer, exercise, expect_close, to_numpy

EPS = 1e-7  # rho_hat is clipped to [EPS, 1 - EPS], as in unsuplab.losses.kl_sparsity


def kl_penalty(rho, beta, codes):
    """``beta * sum_j KL(rho || rho_hat_j)`` with ``rho_hat_j`` unit j's mean over the batch (Ng, CS294A notes)."""
    rho_hat = np.clip(np.asarray(codes, "float64").mean(axis=0), EPS, 1 - EPS)
    return beta * float(np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))


def _penalty(layer_class, rho, beta, codes):
    """The layer's output and the one loss it added when called on ``codes``."""
    layer, out = call_student_layer(layer_class, codes, "return the inputs unchanged (the layer only adds a loss)",
                                    rho=rho, beta=beta)
    if out.shape != codes.shape or not np.allclose(out, codes):
        raise Wrong(f"call() must return its input unchanged, shape {codes.shape}; it returned shape {out.shape} "
                    "or other values. Add the penalty with self.add_loss(...) and return inputs.")
    if len(layer.losses) == 0:
        raise Wrong("the layer adds no loss: call self.add_loss(penalty) inside call(), or the penalty never "
                    "reaches the model's loss.")
    if len(layer.losses) > 1:
        raise Wrong(f"the layer adds {len(layer.losses)} losses per call; add one scalar, the whole penalty.")
    value = to_numpy(layer.losses[0])
    if value.size != 1:
        raise Wrong(f"the loss you add has shape {value.shape}; add one number: sum the KL over the units.")
    return float(value.reshape(()))


def _wrong_variants(rho, beta, codes):
    """Closed forms of the usual slips, with the message each deserves."""
    h = np.asarray(codes, "float64")
    rho_hat = np.clip(h.mean(axis=0), EPS, 1 - EPS)
    first = rho * np.log(rho / rho_hat)
    second = (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    r_units = np.clip(h.mean(axis=1), EPS, 1 - EPS)  # mean over units instead of over the batch
    return [
        (beta * np.sum(first), "only the rho log(rho / rho_hat) part is there: add (1 - rho) log((1 - rho) / "
                               "(1 - rho_hat)), the 'off' half of the Bernoulli KL."),
        (beta * np.sum(rho_hat * np.log(rho_hat / rho) + (1 - rho_hat) * np.log((1 - rho_hat) / (1 - rho))),
         "the arguments of the KL are swapped: it is KL(rho || rho_hat), rho in the numerators."),
        (beta * np.mean(first + second), "you average over the units; the penalty is the SUM over units j."),
        (float(np.sum(first + second)), "the penalty is not multiplied by beta (self.beta)."),
        (beta * np.sum(rho * np.log(rho / r_units) + (1 - rho) * np.log((1 - rho) / (1 - r_units))),
         "rho_hat is each unit's mean over the BATCH (axis 0), not each sample's mean over the units."),
    ]


@exercise("Exercise 1 (a KL-sparsity layer), part 1: the contract", reference="unsuplab.layers:KLSparsity")
def kl_sparsity_layer_contract(layer_class):
    """Part 1 (shapes and types): ``layer_class(rho=..., beta=...)`` is a Keras layer that returns its input
    unchanged and adds one finite number with ``add_loss``; what the number is, is part 2."""
    codes = np.random.default_rng(0).uniform(0.01, 0.6, size=(6, 5)).astype("float32")
    got = _penalty(layer_class, 0.1, 0.5, codes)
    if not np.isfinite(got):
        raise Wrong(f"the loss your layer adds is {got}; clip rho_hat before taking logs.")
    return "a pass-through Keras layer that adds one number to the loss. Part 2 checks the number."


@exercise("Exercise 1 (a KL-sparsity layer)", reference="unsuplab.layers:KLSparsity")
def kl_sparsity_layer(layer_class):
    """``layer_class(rho=..., beta=...)``: a pass-through layer whose call adds
    ``beta * sum_j KL(rho || rho_hat_j)``."""
    import keras

    rng = np.random.default_rng(0)
    rho, beta = 0.1, 0.5
    codes = rng.uniform(0.01, 0.6, size=(6, 5)).astype("float32")
    got = _penalty(layer_class, rho, beta, codes)
    want = kl_penalty(rho, beta, codes)
    if np.isfinite(got) and not np.isclose(got, want, rtol=1e-4):
        for value, message in _wrong_variants(rho, beta, codes):
            if np.isclose(got, value, rtol=1e-4):
                raise Wrong(message)
    expect_close(got, want, f"the penalty for rho={rho}, beta={beta} on a (6, 5) batch", rtol=1e-4)
    at_target = np.full((4, 3), 0.05, "float32")
    expect_close(_penalty(layer_class, 0.05, beta, at_target), 0.0,
                 "the penalty when every unit's mean activation equals rho", atol=1e-6)
    silent = codes.copy()
    silent[:, 0] = 0.0  # a unit that is off for the whole batch: log(rho / 0) without a clip
    got = _penalty(layer_class, rho, beta, silent)
    if not np.isfinite(got):
        raise Wrong("a unit that is 0 for the whole batch makes the penalty infinite or NaN: clip rho_hat to "
                    "[1e-7, 1 - 1e-7] with keras.ops.clip before taking logs.")
    expect_close(got, kl_penalty(rho, beta, silent), "the penalty with one silent unit", rtol=1e-3)

    # the penalty must reach a model's loss and its gradient
    inputs = keras.Input((5,))
    layer = layer_class(rho=rho, beta=beta)
    model = keras.Model(inputs, keras.layers.Dense(5)(layer(keras.layers.Dense(4, activation="sigmoid")(inputs))))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = rng.uniform(size=(8, 5)).astype("float32")
    y_pred = model(x)
    codes_now = to_numpy(model.layers[1](x))
    total = float(to_numpy(model.compute_loss(x=x, y=x, y_pred=y_pred)))
    mse = float(np.mean((to_numpy(y_pred) - x) ** 2))
    expect_close(total - mse, kl_penalty(rho, beta, codes_now),
                 "the model's loss minus its MSE (the penalty as the model sees it)", rtol=1e-3, atol=1e-6)
    logs = model.train_on_batch(x, x, return_dict=True)
    if not np.isfinite(float(logs["loss"])):
        raise Wrong("one training step gave a NaN or infinite loss.")
    return "The penalty matches the closed form, is 0 at rho_hat = rho, and reaches the model's loss."


@exercise("Exercise 1 (a KL-sparsity layer), part 1: the contract, hidden cases",
          reference="unsuplab.layers:KLSparsity")
def hidden_kl_sparsity_layer_contract(layer_class):
    """The contract on another batch: (9, 7) codes, rho = 0.3, beta = 2."""
    codes = np.random.default_rng(6).uniform(0.05, 0.9, size=(9, 7)).astype("float32")
    got = _penalty(layer_class, 0.3, 2.0, codes)
    if not np.isfinite(got):
        raise Wrong(f"on a (9, 7) batch the loss your layer adds is {got}, not a finite number.")


@exercise("Exercise 1 (a KL-sparsity layer), hidden cases", reference="unsuplab.layers:KLSparsity")
def hidden_kl_sparsity_layer(layer_class):
    """Other rho, beta and batch shape than the visible check: rho = 0.3, beta = 2, a (9, 7) batch."""
    codes = np.random.default_rng(5).uniform(0.05, 0.9, size=(9, 7)).astype("float32")
    for rho, beta in ((0.3, 2.0), (0.02, 0.25)):
        expect_close(_penalty(layer_class, rho, beta, codes), kl_penalty(rho, beta, codes),
                     f"the penalty for rho={rho}, beta={beta} on a (9, 7) batch", rtol=1e-4)
