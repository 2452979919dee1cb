"""Variational autoencoder (Kingma and Welling, 2014), dense or convolutional, with beta (Higgins et al., 2017).

Loss per sample: ``-log p(x | z) + beta * KL(q(z | x) || N(0, I))``; the weighted KL is added by the
:class:`~unsuplab.layers.Sampling` layer (``add_loss``, summed in by Keras with any other added loss),
the reconstruction term in :meth:`VAE.compute_loss`, so ``compile(optimizer)`` + ``fit(x)`` works on
every backend. The ELBO (beta = 1, in nats per image, higher is better) is computed from its own
explicit KL and reported per sample as the metric ``elbo`` (and ``val_elbo``).
"""

import keras
import numpy as np
from keras import layers, ops

from .. import losses
from ..layers import Sampling
from ..validation import positive_int
from .base import Autoencoder
from .blocks import check_activation, check_shape, check_units, crop_to, image_input, sizes

RECONSTRUCTIONS = ("bernoulli", "gaussian")


@keras.saving.register_keras_serializable(package="unsuplab")
class VAE(Autoencoder):
    """``encoder: x -> [z_mean, z_log_var, z]``, ``decoder: z -> x_hat`` (pixel means); ``.sampler`` is the decoder.

    ``reconstruction="bernoulli"``: ``-log p(x|z)`` is the summed binary cross-entropy;
    ``"gaussian"``: ``sum (x - x_hat)^2 / (2 sigma^2) + const`` with fixed ``sigma``.
    """

    def __init__(self, encoder, decoder, reconstruction="bernoulli", sigma=0.1, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"`reconstruction` must be one of {RECONSTRUCTIONS}, got {reconstruction!r}.")
        if not float(sigma) > 0:
            raise ValueError(f"`sigma` must be > 0, got {sigma}.")
        self.reconstruction, self.sigma = reconstruction, float(sigma)
        self.value_range = (0.0, 1.0) if reconstruction == "bernoulli" else None
        samplers = [layer for layer in _all_layers(encoder) if isinstance(layer, Sampling)]
        if len(samplers) != 1:
            raise ValueError(f"`encoder` must contain exactly one Sampling layer, found {len(samplers)}.")
        self.beta = samplers[0].beta
        self.code_size = int(decoder.inputs[0].shape[-1])
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        self._posterior = None

    needs_target = False  # fit(x): the target is the input

    @property
    def sampler(self):
        """The generator ``z -> x_hat``: the decoder."""
        return self.decoder

    def call(self, inputs, training=None):
        z_mean, z_log_var, z = self.encoder(inputs, training=training)
        # Read by compute_loss in the same (traced) step. Not add_loss: the elbo metric needs the posterior, and
        # a metric updated here is lost on JAX, whose stateless call threads metric variables through
        # compute_loss only.
        self._posterior = (z_mean, z_log_var)
        return self.decoder(z, training=training)

    def reconstruction_nll(self, x, x_hat):
        """``-log p(x | z)`` per sample."""
        if self.reconstruction == "bernoulli":
            return losses.bernoulli_nll(x, x_hat)
        return losses.gaussian_nll(x, x_hat, self.sigma)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``mean(-log p(x|z))`` + every added loss (the Sampling layer's ``beta * KL``, summed in by Keras).

        The ``elbo`` metric gets ``-(nll + KL)`` per sample, with the KL computed here from the posterior,
        so it is the beta = 1 ELBO whatever ``beta`` or other added losses are, weighted by batch size.
        """
        target = x if y is None else y
        nll = self.reconstruction_nll(target, y_pred)
        kl = losses.gaussian_kl(*self._posterior)
        self.elbo_tracker.update_state(-(nll + ops.cast(kl, nll.dtype)))
        added = super().compute_loss(x, y, y_pred, sample_weight, training)  # sums self.losses
        return ops.mean(nll) + ops.cast(added, nll.dtype)

    def reconstruct(self, x, batch_size=256):
        """Reconstructions decoded from the posterior mean ``z_mean`` (deterministic)."""
        z_mean = self.encoder.predict(self.check_inputs(x), batch_size=batch_size, verbose=0)[0]
        return self.decoder.predict(z_mean, batch_size=batch_size, verbose=0)

    def generate(self, n=16, seed=0):
        """``n`` images decoded from ``z ~ N(0, I)`` (the prior), as NumPy."""
        n = positive_int(n, "n")
        z = np.random.default_rng(seed).standard_normal((n, self.code_size)).astype("float32")
        return self.decoder.predict(z, verbose=0)

    def get_config(self):
        return {**super().get_config(), "reconstruction": self.reconstruction, "sigma": self.sigma}


def _all_layers(model):
    """Every layer inside ``model``, nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def build_vae(input_shape=(28, 28, 1), code_size=2, hidden=(512,), conv=False, beta=1.0,
              reconstruction="bernoulli", sigma=0.1, filters=(32, 64), activation="relu", seed=None,
              name="vae", corruption=None):
    """A VAE; ``fit(x)`` trains it after ``compile(optimizer)`` (no loss argument).

    Dense: ``x -> hidden... -> (z_mean, z_log_var)``; ``conv=True`` puts stride-2 convolutions
    ``filters`` before ``hidden`` and transposed ones after (the keras.io VAE shape). ``beta`` > 0
    weights the KL; ``reconstruction`` is ``"bernoulli"`` (images in [0, 1]) or ``"gaussian"``.
    """
    input_shape = check_shape(input_shape, rank=3 if conv else None)
    code_size = check_units(code_size, "code_size")
    hidden = sizes(hidden, "hidden")
    filters = sizes(filters, "filters") if conv else ()
    check_activation(activation)
    if conv and not filters:
        raise ValueError("`filters` must name at least one convolution when conv=True, got ().")
    if reconstruction not in RECONSTRUCTIONS:
        raise ValueError(f"`reconstruction` must be one of {RECONSTRUCTIONS}, got {reconstruction!r}.")
    if conv and (input_shape[0] < 2 ** len(filters) or input_shape[1] < 2 ** len(filters)):
        raise ValueError(f"`input_shape` {input_shape} is too small for {len(filters)} stride-2 convolutions; "
                         "use fewer `filters`.")

    x, h = image_input(input_shape, corruption)
    map_sizes = []
    for i, f in enumerate(filters):
        map_sizes.append(tuple(h.shape[1:3]))
        h = layers.Conv2D(f, 3, strides=2, padding="same", activation=activation, name=f"enc_conv_{i}")(h)
    map_shape = tuple(h.shape[1:])
    h = layers.Flatten()(h)
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation=activation, name=f"enc_{i}")(h)
    z_mean = layers.Dense(code_size, name="z_mean")(h)
    z_log_var = layers.Dense(code_size, name="z_log_var")(h)
    z = Sampling(beta, seed=seed, name="z")([z_mean, z_log_var])
    encoder = keras.Model(x, [z_mean, z_log_var, z], name="encoder")

    z_in = keras.Input((code_size,), name="z_in")
    h = z_in
    for i, units in enumerate(reversed(hidden)):
        h = layers.Dense(units, activation=activation, name=f"dec_{i}")(h)
    if conv:
        h = layers.Dense(int(np.prod(map_shape)), activation=activation, name="from_z")(h)
        h = layers.Reshape(map_shape)(h)
        out_filters = list(reversed(filters[:-1])) + [filters[0]]
        for step, i in enumerate(reversed(range(len(filters)))):
            h = layers.Conv2DTranspose(out_filters[step], 3, strides=2, padding="same", activation=activation,
                                       name=f"dec_tconv_{i}")(h)
            h = crop_to(h, map_sizes[i])
        out = layers.Conv2D(input_shape[-1], 3, padding="same", activation="sigmoid", name="pixels")(h)
    else:
        out = layers.Dense(int(np.prod(input_shape)), activation="sigmoid", name="pixels")(h)
        out = layers.Reshape(input_shape, name="image_out")(out)
    decoder = keras.Model(z_in, out, name="decoder")
    return VAE(encoder, decoder, reconstruction=reconstruction, sigma=sigma, name=name)
