"""The model every autoencoder builder returns: an encoder and a decoder, saved as one ``.keras`` file."""

import keras

from ..serialization import SavedInParts
from .blocks import check_images, is_in_memory

__all__ = ["Autoencoder"]


@keras.saving.register_keras_serializable(package="unsuplab")
class Autoencoder(SavedInParts, keras.Model):
    """``x_hat = decoder(encoder(x))``, with ``.encoder`` and ``.decoder`` usable on their own.

    Penalties (sparsity, contraction, KL) are added by layers inside the encoder
    with ``add_loss``, so ``compile(loss=...)`` + ``fit(x, x)`` trains every variant
    on every backend. Every entry point that takes images (``fit`` and its ``validation_data``,
    ``predict``, ``encode``, ``reconstruct``) checks in-memory arrays first, with one check
    (:func:`~unsuplab.models.blocks.check_images`): float images in ``value_range``, the model's shape,
    a batch axis, at least one image. Datasets and generators go to Keras unchecked.
    """

    value_range = (0.0, 1.0)  # pixel range the inputs must lie in (None: any finite values)
    needs_target = True  # fit(x, y): the reconstruction target is passed explicitly

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    # ------------------------------------------------------------------ input checks

    def _input(self):
        return (getattr(self, "pooling_encoder", None) or self.encoder).inputs[0]

    def check_inputs(self, x, name="x"):
        """``x`` as checked float32 images if it is in memory; datasets and generators unchanged."""
        return check_images(x, self._input(), name, self.value_range) if is_in_memory(x) else x

    def _check_target(self, y, name):
        return check_images(y, self.decoder.outputs[0], name, None) if is_in_memory(y) else y

    def _check_validation(self, data):
        """``validation_data`` as Keras reads it: ``(x, y[, sample_weight])``, or ``x`` alone; arrays checked."""
        if isinstance(data, (tuple, list)):
            if not 1 <= len(data) <= 3:
                raise ValueError(f"`validation_data` must be (x_val, y_val), got a sequence of {len(data)} items.")
            x, y, rest = data[0], (data[1] if len(data) > 1 else None), tuple(data[2:])
        elif is_in_memory(data):
            x, y, rest = data, None, ()
        else:
            return data  # a dataset or generator: Keras reads it
        if not is_in_memory(x):
            return data
        if y is None and self.needs_target:
            raise ValueError("`validation_data` must be (x_val, y_val) for this model, e.g. (x_val, x_val).")
        x = self.check_inputs(x, "validation_data[0]")
        return (x, None if y is None else self._check_target(y, "validation_data[1]"), *rest)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` after checking in-memory data, before Keras builds its train function.

        A wrong call raises here, so the model stays usable for the corrected call (on TensorFlow a
        failed first trace would otherwise leave it broken until ``compile`` runs again).
        """
        if is_in_memory(x):
            x = self.check_inputs(x, "x")
            if y is None and self.needs_target:
                raise ValueError("`y` is missing: train an autoencoder with fit(x, x) (the target is the input).")
        if y is not None:
            y = self._check_target(y, "y")
        if "validation_data" in kwargs:
            kwargs["validation_data"] = self._check_validation(kwargs["validation_data"])
        return super().fit(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """``keras.Model.predict`` after checking in-memory images."""
        return super().predict(self.check_inputs(x), *args, **kwargs)

    def encode(self, x, batch_size=256):
        """The codes of ``x`` as a NumPy array."""
        return self.encoder.predict(self.check_inputs(x), batch_size=batch_size, verbose=0)

    def reconstruct(self, x, batch_size=256):
        """The reconstructions of ``x`` as a NumPy array."""
        return self.predict(x, batch_size=batch_size, verbose=0)

    _parts = ("encoder", "decoder")  # saved in the config (SavedInParts: atomic save, get_config, from_config)
