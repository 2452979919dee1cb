"""Check training data against a model before ``fit``: shape, dtype, NaN, range."""

import numpy as np

from ..validation import as_images


def check_training_data(x, model, name="x", value_range=(0.0, 1.0)):
    """Return ``x`` as float32 if it fits ``model``'s input, else raise a clear ValueError/TypeError naming ``name``.

    Checks: a numeric non-integer array, the model's input shape (without the batch axis),
    no NaN or infinity, values in ``value_range`` (``None`` skips that check).
    """
    source = getattr(model, "pooling_encoder", None) or getattr(model, "encoder", None) or model
    want = tuple(source.inputs[0].shape[1:])
    x = as_images(x, name, rank=len(want) + 1, value_range=value_range)
    if tuple(x.shape[1:]) != want:
        raise ValueError(f"`{name}` must have shape (batch, {', '.join(map(str, want))}) for this model, "
                         f"got {x.shape}.")
    return x


def _is_array(x):
    """True for in-memory arrays (checked); datasets and generators are left to Keras."""
    return isinstance(x, (np.ndarray, list, tuple)) or (hasattr(x, "shape") and hasattr(x, "dtype"))
