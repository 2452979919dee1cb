"""The model every autoencoder builder returns: an encoder and a decoder, saved as one ``.keras`` file."""

import keras


def parts_config(owner, names):
    """Config entries for the sub-models (or layers) ``names`` of ``owner``; ``None`` stays ``None``."""
    return {n: None if getattr(owner, n) is None else keras.saving.serialize_keras_object(getattr(owner, n))
            for n in names}


def parts_from_config(config, names):
    """Rebuild the sub-models ``names`` saved by :func:`parts_config`: returns ``(parts, rest of config)``."""
    rest = dict(config)
    parts = {n: rest.pop(n, None) for n in names}
    return {n: None if v is None else keras.saving.deserialize_keras_object(v) for n, v in parts.items()}, rest


@keras.saving.register_keras_serializable(package="unsuplab")
class Autoencoder(keras.Model):
    """``x_hat = decoder(encoder(x))``, with ``.encoder`` and ``.decoder`` usable on their own.

    Penalties (sparsity, contraction, KL) are added by layers inside the encoder
    with ``add_loss``, so ``compile(loss=...)`` + ``fit(x, x)`` trains every variant
    on every backend.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` after checking in-memory data (shape, dtype, NaN) against the model's input."""
        from .training_data import _is_array, check_training_data

        if _is_array(x):
            check_training_data(x, self, "x", value_range=None)
        if _is_array(y):
            check_training_data(y, self, "y", value_range=None)
        return super().fit(x, y, *args, **kwargs)

    def encode(self, x, batch_size=256):
        """The codes of ``x`` as a NumPy array."""
        return self.encoder.predict(x, batch_size=batch_size, verbose=0)

    def reconstruct(self, x, batch_size=256):
        """The reconstructions of ``x`` as a NumPy array."""
        return self.predict(x, batch_size=batch_size, verbose=0)

    _parts = ("encoder", "decoder")  # the sub-models saved in the config, in constructor order

    def get_config(self):
        return {**keras.Model.get_config(self), **parts_config(self, self._parts)}

    @classmethod
    def from_config(cls, config):
        parts, rest = parts_from_config(config, cls._parts)
        return cls(*parts.values(), **rest)
