"""Input checks shared by the data loaders, model builders and metrics.

Each check raises a ``ValueError`` or ``TypeError`` that names the argument and
says what was expected, before any training starts.
"""

import numpy as np


def as_images(x, name="x", *, rank=4, channels=None, height=None, width=None,
              value_range=(0.0, 1.0), allow_nan=False):
    """Return ``x`` as a float32 array of images, or raise a clear error.

    ``rank=4`` expects (batch, height, width, channels); ``rank=2`` flat vectors.
    ``value_range=None`` skips the range check.
    """
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"`{name}` must be a NumPy array, got {type(x).__name__}.")
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold numbers (float or int), got dtype {x.dtype}.")
    if x.ndim != rank:
        want = {4: "(batch, height, width, channels)", 3: "(batch, height, width)",
                2: "(batch, features)"}.get(rank, f"rank {rank}")
        raise ValueError(f"`{name}` must have shape {want}, got shape {x.shape}.")
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` is empty (shape {x.shape}).")
    for axis, want, label in ((1, height, "height"), (2, width, "width"), (-1, channels, "channels")):
        if want is not None and x.shape[axis] != want:
            raise ValueError(f"`{name}` must have {label} {want}, got shape {x.shape}.")
    if x.dtype.kind in "ub" or x.dtype == np.int64 or x.dtype.kind == "i":
        raise TypeError(
            f"`{name}` has integer dtype {x.dtype}; expected float images in [0, 1]. "
            "Divide uint8 pixels by 255 first (unsuplab.datasets.load does this).")
    x = x.astype("float32", copy=False)
    if not allow_nan and not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    if value_range is not None:
        lo, hi = value_range
        xmin, xmax = float(np.min(x)), float(np.max(x))
        if xmin < lo - 1e-6 or xmax > hi + 1e-6:
            raise ValueError(f"`{name}` must lie in [{lo}, {hi}], got values in [{xmin:.3g}, {xmax:.3g}].")
    return x


def positive_int(value, name, minimum=1, maximum=None, why=""):
    """Return ``value`` as an int in [``minimum``, ``maximum``], or raise naming ``name`` (and ``why``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}{why}, got {value}.")
    return int(value)


def points(x, name="x", dtype="float32", min_points=1):
    """Return ``x`` as a (n_points, n_features) array of ``dtype``, finite after the cast, or raise naming ``name``.

    The finiteness check comes after the cast, so 1e300 (finite in float64, inf in float32) is refused too.
    """
    if isinstance(x, str) or (not hasattr(x, "shape") and not isinstance(x, (list, tuple))):
        raise TypeError(f"`{name}` must be an array of numbers (n_points, n_features), got {type(x).__name__}.")
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"`{name}` must hold numbers, got dtype {x.dtype}.")
    if x.ndim != 2:
        raise ValueError(f"`{name}` must have shape (n_points, n_features), got shape {x.shape}; "
                         "flatten images first (unsuplab.baselines.flat).")
    if len(x) < min_points or x.shape[1] == 0:
        raise ValueError(f"`{name}` must hold at least {min_points} point(s) of at least one feature, "
                         f"got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    if x.dtype.kind == "f" and float(np.max(np.abs(x))) > float(np.finfo(dtype).max):
        raise ValueError(f"`{name}` holds values too large for {np.dtype(dtype).name} (largest magnitude "
                         f"{float(np.max(np.abs(x))):.3g}); rescale it first.")
    return x.astype(dtype, copy=False)


def float_samples(x, name="x", sample_shape=None, what="the model"):
    """Return ``x`` as a float32 array (samples, ...) with at least one sample, finite, or raise naming ``name``.

    ``sample_shape``: the shape one sample must have (e.g. an encoder's input), said as ``what`` expects it.
    """
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a NumPy array, got {type(x).__name__}.")
    if x.dtype.kind != "f":
        raise TypeError(f"`{name}` must hold floats (e.g. pixels / 255), got dtype {x.dtype}.")
    if sample_shape is not None and (x.ndim != len(sample_shape) + 1 or tuple(x.shape[1:]) != tuple(sample_shape)):
        raise ValueError(f"`{name}` must have shape (samples, {', '.join(str(d) for d in sample_shape)}) "
                         f"to match {what}, got shape {x.shape}.")
    if x.ndim < 2:
        raise ValueError(f"`{name}` must have shape (samples, ...), got shape {x.shape}.")
    if len(x) == 0:
        raise ValueError(f"`{name}` is empty (shape {x.shape}): at least one sample is needed.")
    x = x.astype("float32", copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return x


def ids(values, name, size=None):
    """Return ``values`` as a 1-D int64 array of ids in [0, ``size``), or raise naming ``name``."""
    values = np.asarray(values)
    if values.ndim != 1 or (values.dtype.kind not in "iu" and values.size):
        raise ValueError(f"`{name}` must be a 1-D array of integer ids, got shape {values.shape} "
                         f"dtype {values.dtype}.")
    values = values.astype("int64")
    if values.size and values.min() < 0:
        raise ValueError(f"`{name}` holds a negative id ({values.min()}); ids count from 0.")
    if size is not None and values.size and values.max() >= size:
        raise ValueError(f"`{name}` holds id {values.max()}, outside the vocabulary of {size} words "
                         f"(ids 0..{size - 1}).")
    return values


def number_at_least(value, name, minimum, maximum=None, why=""):
    """Return ``value`` as a finite float in [``minimum``, ``maximum``], or raise naming ``name`` (and ``why``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a number, got {value!r}.")
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"`{name}` must be a finite number >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}{why}, got {value}.")
    return float(value)


def flag(value, name):
    """Return ``value`` if it is True or False, or raise naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False, got {value!r}.")
    return value


def labels(y, name="y", length=None):
    """Return ``y`` as a 1-D int array, or raise naming ``name``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D array of labels, got shape {y.shape}.")
    if length is not None and len(y) != length:
        raise ValueError(f"`{name}` has {len(y)} labels but {length} samples were given.")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype("int64")
        else:
            raise TypeError(f"`{name}` must hold integer labels, got dtype {y.dtype}.")
    return y.astype("int64", copy=False)
