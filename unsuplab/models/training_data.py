"""Check training data against a model before ``fit``: shape, dtype, NaN, range (see :func:`blocks.check_images`)."""

from .blocks import check_images


def model_input(model):
    """The Keras input tensor of an autoencoder (its encoder's) or of any functional model."""
    source = getattr(model, "pooling_encoder", None) or getattr(model, "encoder", None) or model
    return source.inputs[0]


def check_training_data(x, model, name="x", value_range=(0.0, 1.0)):
    """Return ``x`` as float32 if it fits ``model``'s input, else raise a clear ValueError/TypeError naming ``name``.

    Checks: a numeric non-integer array, the model's input shape (without the batch axis),
    no NaN or infinity, values in ``value_range`` (``None`` skips that check).
    """
    return check_images(x, model_input(model), name, value_range)
