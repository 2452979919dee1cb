"""Check cells of lesson 07 (variational autoencoder)."""

import math

import numpy as np

from . import Wrong, backend_specific_call, exercise, expect_close, gradient_in_plain_words, to_numpy

# Three latent dimensions with different means and standard deviations 1, 0.5 and 2.
_MEAN = np.array([1.5, -2.0, 0.0], "float32")
_LOG_VAR = np.log(np.array([1.0, 0.25, 4.0], "float32"))
_DRAWS = 20000


def _r(values, digits):
    """A short list of plain floats for messages."""
    return [round(float(v), digits) + 0.0 for v in np.ravel(values)]


def _statistics(student_fn):
    """Mean and standard deviation of ``_DRAWS`` samples, per dimension, with clear errors on wrong shapes."""
    import keras

    z_mean = keras.ops.convert_to_tensor(np.tile(_MEAN, (_DRAWS, 1)))
    z_log_var = keras.ops.convert_to_tensor(np.tile(_LOG_VAR, (_DRAWS, 1)))
    z = student_fn(z_mean, z_log_var, keras.random.SeedGenerator(0))
    if z is None:
        raise Wrong("your function returns None; return z.")
    z = to_numpy(z)
    if z.shape != (_DRAWS, len(_MEAN)):
        raise Wrong(f"z should have the shape of z_mean, {(_DRAWS, len(_MEAN))}, got {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise Wrong("z contains NaN or infinity.")
    return z.mean(axis=0), z.std(axis=0)


def _probe_step(student_fn, lr=0.1, layer_class=None, beta=1.0):
    """One SGD step on ``mean(z ** 2)`` with ``z_mean``, ``z_log_var`` as trainable weights; returns their changes.

    Uses only ``keras.Model.train_on_batch``, so it runs on every backend. In expectation the
    gradients are ``2 mu / d`` and ``sigma^2 / d`` (d dimensions), since ``E z^2 = mu^2 + exp(log_var)``.
    With ``layer_class`` the probe samples with ``layer_class(beta=beta, seed=1)`` instead, whose added KL
    contributes ``beta * mu`` and ``beta * (sigma^2 - 1) / 2`` more.
    """
    import keras

    class Probe(keras.Model):  # a throw-away test harness, never saved
        def __init__(self):
            super().__init__()
            self.mu = self.add_weight(shape=(len(_MEAN),), initializer=keras.initializers.Constant(_MEAN))
            self.log_var = self.add_weight(shape=(len(_MEAN),), initializer=keras.initializers.Constant(_LOG_VAR))
            self.seed = keras.random.SeedGenerator(1)
            self.sampler = None if layer_class is None else layer_class(beta=beta, seed=1)

        def call(self, inputs):
            ones = keras.ops.ones_like(inputs)  # (n, 1): broadcast the weights to a batch
            if self.sampler is not None:
                return self.sampler([ones * self.mu, ones * self.log_var])
            return student_fn(ones * self.mu, ones * self.log_var, self.seed)

    probe = Probe()
    x = np.zeros((_DRAWS, 1), "float32")
    probe(x)  # build it eagerly, so a broken graph shows up as the gradient's error, not as a build error
    probe.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", run_eagerly=True)
    probe.train_on_batch(x, np.zeros((_DRAWS, len(_MEAN)), "float32"))
    return to_numpy(probe.mu) - _MEAN, to_numpy(probe.log_var) - _LOG_VAR


def _probe(what, advice, *args, **kwargs):
    """:func:`_probe_step`, with a crash inside the student's code turned into plain words."""
    return gradient_in_plain_words(lambda: _probe_step(*args, **kwargs), what, advice)


def _expect_sample_statistics(mean, std, noise_hint):
    """The per-dimension mean and spread of many draws of z must be z_mean and exp(0.5 * z_log_var)."""
    std_want = np.exp(0.5 * _LOG_VAR)
    if np.allclose(std, 0, atol=1e-3):
        raise Wrong(f"z has no noise: multiply exp(0.5 * z_log_var) by eps ~ N(0, I) {noise_hint}.")
    if np.allclose(mean, 0, atol=0.06) and not np.allclose(_MEAN, 0):
        raise Wrong(f"the samples average {_r(mean, 2)}, not z_mean = {_r(_MEAN, 2)}: add z_mean.")
    if not np.allclose(mean, _MEAN, atol=0.06):
        raise Wrong(f"the samples average {_r(mean, 2)}, they should average z_mean = {_r(_MEAN, 2)}.")
    if np.allclose(std, np.exp(_LOG_VAR), rtol=0.05):
        raise Wrong("the spread is exp(z_log_var), the variance; the standard deviation is exp(0.5 * z_log_var).")
    if not np.allclose(std, std_want, rtol=0.05):
        raise Wrong(f"the samples' standard deviations are {_r(std, 3)}, "
                    f"they should be exp(0.5 * z_log_var) = {_r(std_want, 3)}.")


@exercise("Exercise 1 (the reparameterisation trick)")
def sampling(student_fn):
    """``student_fn(z_mean, z_log_var, seed)`` -> ``z = z_mean + exp(z_log_var / 2) * eps``, ``eps ~ N(0, I)``."""
    mean, std = _statistics(student_fn)
    _expect_sample_statistics(mean, std, "from keras.random.normal")
    std_want = np.exp(0.5 * _LOG_VAR)
    lr, d = 0.1, len(_MEAN)
    d_mean, d_log_var = _probe("function", "Compute z with keras.ops and keras.random only, no NumPy.",
                               student_fn, lr)
    if np.allclose(d_mean, 0) and np.allclose(d_log_var, 0):
        raise Wrong("no gradient reaches z_mean or z_log_var: compute z with keras.ops and keras.random only "
                    "(NumPy or ops.stop_gradient cut the graph).")
    if np.allclose(d_mean, 0, atol=1e-6):
        raise Wrong("no gradient reaches z_mean: add z_mean itself to the noise, inside the graph "
                    "(not a NumPy copy or a stopped gradient).")
    if not np.allclose(d_mean, -lr * 2 * _MEAN / d, rtol=0.25, atol=0.01):
        raise Wrong("the gradient with respect to z_mean is wrong: z - z_mean must not depend on z_mean "
                    f"(one SGD step moved z_mean by {_r(d_mean, 4)}, "
                    f"expected about {_r(-lr * 2 * _MEAN / d, 4)}).")
    want = -lr * std_want ** 2 / d
    if np.allclose(d_log_var, 0, atol=1e-6):
        raise Wrong("no gradient reaches z_log_var: the noise must be scaled by exp(0.5 * z_log_var) inside the "
                    "graph, not by a constant or a stopped gradient.")
    if not np.allclose(d_log_var, want, rtol=0.25, atol=2e-3):
        raise Wrong(f"the gradient with respect to z_log_var is wrong (one SGD step moved it by "
                    f"{_r(d_log_var, 4)}, expected about {_r(want, 4)}).")
    return (f"over {_DRAWS} draws the means are {_r(mean, 2)} and the standard deviations "
            f"{_r(std, 2)}, and gradients reach both z_mean and z_log_var.")


def _terms(result, betas):
    if not isinstance(result, dict):
        raise Wrong(f"return a dict {{beta: {{'reconstruction': ..., 'kl': ...}}}}, got {type(result).__name__}.")
    keys, want = sorted(float(b) for b in result), sorted(float(b) for b in betas)
    if len(keys) != len(want) or not np.allclose(keys, want):
        raise Wrong(f"the dict's keys should be the betas {list(betas)}, got {list(result)}.")
    rows = []
    for beta in sorted(result, key=float):
        value = result[beta]
        if not isinstance(value, dict) or set(value) != {"reconstruction", "kl"}:
            raise Wrong(f"result[{beta}] should be a dict with the keys 'reconstruction' and 'kl', got {value!r}.")
        rec, kl = float(to_numpy(value["reconstruction"])), float(to_numpy(value["kl"]))
        if not (math.isfinite(rec) and math.isfinite(kl)):
            raise Wrong(f"the terms for beta={beta} are not finite: reconstruction {rec}, KL {kl}.")
        if kl < -1e-4:
            raise Wrong(f"the KL for beta={beta} is {kl:.4g} < 0, but a KL divergence is never negative.")
        if rec <= 0:
            raise Wrong(f"the reconstruction term for beta={beta} is {rec:.4g}; -log p(x|z) of a Bernoulli "
                        "decoder is positive (use unsuplab.losses.bernoulli_nll).")
        rows.append((float(beta), rec, kl))
    return rows


@exercise("Exercise 2 (vary beta)")
def beta_sweep(student_fn, x_train, x_test, betas=(0.1, 1.0, 10.0), epochs=3):
    """``student_fn(x_train, x_test, betas, epochs)`` -> ``{beta: {"reconstruction": nats, "kl": nats}}`` on x_test.

    Trains through the student's function, prints the table, and checks the trend of a
    beta-VAE (Higgins et al., 2017): a larger beta buys a smaller KL with a worse reconstruction.
    """
    rows = _terms(student_fn(x_train, x_test, tuple(betas), epochs), betas)
    print(f"{'beta':>8} {'-log p(x|z)':>12} {'KL (nats)':>10}")
    for beta, rec, kl in rows:
        print(f"{beta:>8g} {rec:>12.2f} {kl:>10.3f}")
    recs, kls = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    kl_down, rec_up = np.all(np.diff(kls) < 0), np.all(np.diff(recs) > 0)
    if not kl_down and not rec_up and np.all(np.diff(kls) > 0) and np.all(np.diff(recs) < 0):
        raise Wrong("both terms move the wrong way: are 'reconstruction' and 'kl' swapped?")
    if not kl_down:
        kl_times_beta = np.allclose(np.diff(kls / np.array([r[0] for r in rows])) < 0, True)
        hint = (" You may be reporting beta * KL, the weighted term in the loss; report the KL itself."
                if kl_times_beta else "")
        raise Wrong("the KL term should shrink as beta grows (beta is its weight in the loss), "
                    f"yours is {_r(kls, 3)}.{hint}")
    if not rec_up:
        raise Wrong("the reconstruction term -log p(x|z) should grow as beta grows (less information "
                    f"passes through z), yours is {_r(recs, 2)}.")
    return "a larger beta gives a smaller KL (codes closer to the prior) and a worse reconstruction."


# ----------------------------------------------------------------------------- Exercise 1: the Sampling layer

# A small batch with a different posterior per row, for the KL's closed form.
_KL_MEAN = np.array([[0.5, -1.0, 0.0], [2.0, 0.3, -0.7], [0.0, 0.0, 0.0], [-1.5, 1.0, 0.2]], "float32")
_KL_LOG_VAR = np.array([[0.0, -1.0, 0.5], [0.3, 0.0, -2.0], [0.0, 0.0, 0.0], [1.0, -0.5, 0.1]], "float32")


def gaussian_kl_reference(z_mean, z_log_var):
    """``KL(N(mu, sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)`` per row, in NumPy."""
    m, lv = np.asarray(z_mean, "float64"), np.asarray(z_log_var, "float64")
    return 0.5 * np.sum(m ** 2 + np.exp(lv) - lv - 1.0, axis=-1)


def _call_layer(layer, z_mean, z_log_var):
    import keras

    try:
        return layer([keras.ops.convert_to_tensor(z_mean), keras.ops.convert_to_tensor(z_log_var)])
    except ValueError as exc:
        if "add_loss" not in str(exc):
            raise
        raise Wrong("add_loss received a plain number: compute the KL as a tensor with keras.ops from z_mean and "
                    "z_log_var (NumPy, float() or .numpy() cut the gradient).") from exc


def _kl_added(layer_class, beta=0.3):
    """The losses one call of a fresh ``layer_class(beta=beta)`` adds on the small batch, and the right value."""
    layer = layer_class(beta=beta, seed=0)
    _call_layer(layer, _KL_MEAN, _KL_LOG_VAR)
    return [float(to_numpy(v)) for v in layer.losses], beta * gaussian_kl_reference(_KL_MEAN, _KL_LOG_VAR).mean()


def _kl_mistakes(beta):
    m, lv = _KL_MEAN.astype("float64"), _KL_LOG_VAR.astype("float64")
    kl = gaussian_kl_reference(m, lv)
    d = m.shape[1]
    return [
        (kl.mean(), "the KL you added is not weighted by beta: add self.beta * mean(KL)."),
        (beta * kl.sum(), "you summed the KL over the batch; take its mean over the batch, like the reconstruction "
                          "term (a sum makes the weight depend on the batch size)."),
        (-beta * kl.mean(), "your KL is negative, but a KL divergence never is: "
                            "KL = -0.5 * sum(1 + log_var - mean^2 - exp(log_var))."),
        (2 * beta * kl.mean(), "the factor 1/2 is missing: KL = -0.5 * sum(1 + log_var - mean^2 - exp(log_var))."),
        (beta * np.mean(0.5 * np.sum(m ** 2 + np.exp(0.5 * lv) - lv - 1, axis=-1)),
         "exp(z_log_var) is the variance sigma^2 that the KL needs, not exp(0.5 * z_log_var) (the std)."),
        (beta * np.mean(0.5 * np.sum(m ** 2 + np.exp(lv) - lv, axis=-1)),
         "the '- 1' (one per latent dimension) is missing: KL = -0.5 * sum(1 + log_var - mean^2 - exp(log_var))."),
        (beta * np.mean(0.5 * np.sum(np.exp(lv) - lv - 1, axis=-1)),
         "the mean^2 term is missing: KL = -0.5 * sum(1 + log_var - mean^2 - exp(log_var))."),
        (beta * kl.mean() / d, "sum the KL over the latent dimensions (then average over the batch), "
                               "not average over them."),
    ]


@exercise("Exercise 1 (the Sampling layer: reparameterisation and KL)", reference="unsuplab.layers:Sampling")
def sampling_layer(layer_class):
    """``layer_class(beta=..., seed=...)`` called on ``[z_mean, z_log_var]`` returns
    ``z = z_mean + exp(z_log_var / 2) * eps`` and adds ``beta * mean_batch KL(q(z|x) || N(0, I))`` with ``add_loss``;
    gradients of both the sample and the KL must reach ``z_mean`` and ``z_log_var``."""
    found = backend_specific_call(layer_class)
    if found:
        raise Wrong(f"your layer uses {found!r}, which only runs on one backend; use keras.ops and keras.random "
                    "so it runs on TensorFlow, JAX and PyTorch.")
    mean, std = _statistics(lambda m, lv, seed: _call_layer(layer_class(beta=1.0, seed=0), m, lv))
    _expect_sample_statistics(mean, std, "from keras.random.normal (with seed=self.seed_generator)")

    beta = 0.3  # no two of the usual slips give the same number at this beta and batch size (4)
    added, want = _kl_added(layer_class, beta)
    if not added:
        raise Wrong("the KL term is not added to the loss: call self.add_loss(self.beta * mean(KL)) inside call, "
                    "so that fit() minimises it with the reconstruction term.")
    if len(added) > 1:
        raise Wrong(f"call added {len(added)} losses ({[round(v, 4) for v in added]}); add the KL term once.")
    got = added[0]
    if not np.isclose(got, want, rtol=1e-4):
        for candidate, message in _kl_mistakes(beta):
            if np.isclose(got, candidate, rtol=1e-4):
                raise Wrong(message)
    expect_close(got, want, f"the loss your layer adds with beta={beta} (beta * batch mean of the KL)", rtol=1e-4)

    lr, d, b = 0.1, len(_MEAN), 1.0
    d_mean, d_log_var = _probe("layer", "Compute z and the KL with keras.ops and keras.random only, no NumPy.",
                               None, lr, layer_class=layer_class, beta=b)
    sigma2 = np.exp(_LOG_VAR)
    from_z_mean, from_kl_mean = -lr * 2 * _MEAN / d, -lr * b * _MEAN
    from_z_lv, from_kl_lv = -lr * sigma2 / d, -lr * b * 0.5 * (sigma2 - 1)
    if np.allclose(d_mean, 0, atol=1e-6) and np.allclose(d_log_var, 0, atol=1e-6):
        raise Wrong("no gradient reaches z_mean or z_log_var: compute z and the KL with keras.ops and keras.random "
                    "only (NumPy or ops.stop_gradient cut the graph).")
    if np.allclose(d_mean, from_kl_mean, rtol=0.1, atol=2e-3):
        raise Wrong("no gradient reaches z_mean through z (only through the KL): add z_mean itself to the noise, "
                    "inside the graph (not a NumPy copy or a stopped gradient).")
    if np.allclose(d_mean, from_z_mean, rtol=0.1, atol=2e-3):
        raise Wrong("the KL's gradient does not reach z_mean: compute the KL from z_mean and z_log_var with "
                    "keras.ops (no NumPy, no stop_gradient).")
    if not np.allclose(d_mean, from_z_mean + from_kl_mean, rtol=0.25, atol=0.01):
        raise Wrong(f"the gradient with respect to z_mean is wrong (one SGD step moved it by {_r(d_mean, 4)}, "
                    f"expected about {_r(from_z_mean + from_kl_mean, 4)}).")
    if np.allclose(d_log_var, from_kl_lv, rtol=0.1, atol=2e-3):
        raise Wrong("no gradient reaches z_log_var through z: scale the noise by exp(0.5 * z_log_var) inside the "
                    "graph, not by a constant or a stopped gradient.")
    if not np.allclose(d_log_var, from_z_lv + from_kl_lv, rtol=0.25, atol=3e-3):
        raise Wrong(f"the gradient with respect to z_log_var is wrong (one SGD step moved it by {_r(d_log_var, 4)}, "
                    f"expected about {_r(from_z_lv + from_kl_lv, 4)}).")
    return (f"over {_DRAWS} draws the means are {_r(mean, 2)} and the standard deviations {_r(std, 2)}; "
            f"the KL you add ({got:.4f} at beta={beta}) matches the closed form, and gradients of z and of the KL "
            "reach both z_mean and z_log_var.")


@exercise("Exercise 1 (the Sampling layer: reparameterisation and KL), hidden cases",
          reference="unsuplab.layers:Sampling")
def hidden_sampling_layer(layer_class):
    """Two latent dimensions with standard deviations 0.3 and 3, beta = 2.5 on a batch of 5."""
    rng = np.random.default_rng(70)
    mean, log_var = np.array([-1.0, 3.0], "float32"), np.log(np.array([0.09, 9.0], "float32"))
    z = to_numpy(_call_layer(layer_class(beta=1.0, seed=3), np.tile(mean, (_DRAWS, 1)),
                             np.tile(log_var, (_DRAWS, 1))))
    if z.shape != (_DRAWS, 2):
        raise Wrong(f"z should have the shape of z_mean, {(_DRAWS, 2)}, got {z.shape}.")
    if not np.allclose(z.mean(axis=0), mean, atol=0.08) or not np.allclose(z.std(axis=0), [0.3, 3.0], rtol=0.05):
        raise Wrong(f"with z_mean = {_r(mean, 2)} and standard deviations [0.3, 3.0] your samples average "
                    f"{_r(z.mean(axis=0), 2)} with standard deviations {_r(z.std(axis=0), 3)}.")
    beta, m, lv = 2.5, rng.normal(size=(5, 2)).astype("float32"), rng.normal(0, 0.5, (5, 2)).astype("float32")
    layer = layer_class(beta=beta, seed=0)
    _call_layer(layer, m, lv)
    added = [float(to_numpy(v)) for v in layer.losses]
    if len(added) != 1:
        raise Wrong(f"one call on a batch of 5 added {len(added)} losses; add the KL term once.")
    expect_close(added[0], beta * gaussian_kl_reference(m, lv).mean(), f"the loss your layer adds with "
                 f"beta={beta} on a batch of 5 in 2 dimensions", rtol=1e-4)


@exercise("Exercise 2 (vary beta), hidden cases")
def hidden_beta_sweep(student_fn, x_train, x_test, betas=(0.1, 1.0, 10.0), epochs=3):
    """Other betas (0.5, 2.0) and no training (epochs = 0) on small subsets: the keys are the betas asked for,
    and the terms are measured on the x_test given (inverted test images must change them)."""
    small_train, small_test = x_train[:64], x_test[:32]
    asked = (0.5, 2.0)
    first = _terms(student_fn(small_train, small_test, asked, 0), asked)
    second = _terms(student_fn(small_train, 1.0 - small_test, asked, 0), asked)
    if np.allclose([r[1:] for r in first], [r[1:] for r in second]):
        raise Wrong("your terms are the same for two different test sets: measure them on the x_test argument "
                    "(the encoder and decoder applied to it), not on fixed numbers or the notebook's data.")
