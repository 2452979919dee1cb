"""Check cells of lesson 10 (colorization)."""

import numpy as np

from .. import degrade
from . import CONV_TYPES, Wrong, exercise, expect_close, student_model, to_numpy, two_steps_update

POOL_TYPES = ("MaxPooling2D", "AveragePooling2D")
MERGE_TYPES = ("Concatenate", "Add")  # the Keras layers, and keras.ops.concatenate / add in a functional model
SIZES = ((16, 16), (8, 24))  # two sizes: the model must take any height and width, up to three halvings


def _all_operations(model):
    """Every layer or op inside ``model``, nested models included, in order."""
    found = []
    for op in getattr(model, "operations", None) or getattr(model, "layers", []):
        found.append(op)
        found.extend(_all_operations(op))
    return found


def _downsamples(op):
    """True for a pooling layer, a strided convolution, or a nested model holding one."""
    name = type(op).__name__
    if name in POOL_TYPES or (name in CONV_TYPES and name != "Conv2DTranspose"
                              and max(getattr(op, "strides", (1,))) > 1):
        return True
    return any(_downsamples(sub) for sub in getattr(op, "layers", []))


def _downsampling_above(tensor, memo):
    """The downsampling operations on the paths from the model's input to ``tensor`` (ids), via Keras' graph."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return frozenset()
    key = (id(history.operation), history.node_index)
    if key not in memo:
        memo[key] = frozenset()  # guards against a cycle while this node is visited
        node = history.operation._inbound_nodes[history.node_index]
        found = set()
        for parent in node.input_tensors:
            found |= _downsampling_above(parent, memo)
        if _downsamples(history.operation):
            found.add(id(history.operation))
        memo[key] = frozenset(found)
    return memo[key]


def _has_skip(model):
    """True when some Concatenate or Add joins two maps that passed through different downsamplings: a skip
    connection that carries an encoder map around the bottleneck (Ronneberger et al., U-Net, 2015)."""
    memo = {}
    for op in _all_operations(model):
        if type(op).__name__ not in MERGE_TYPES:
            continue
        for node in getattr(op, "_inbound_nodes", []):
            paths = {_downsampling_above(t, memo) for t in node.input_tensors}
            if len(paths) > 1:
                return True
    return False


def _colour(model, size, rng):
    """``(L, model(L))`` for random lightness patches of ``size``, as NumPy, or :class:`Wrong` in plain words."""
    lightness = rng.uniform(size=(4, *size, 1)).astype("float32")
    try:
        return lightness, to_numpy(model(lightness))
    except Exception as exc:
        text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if "concat" in str(exc).lower():
            raise Wrong(f"colouring patches of {size[0]}x{size[1]} pixels failed in the Concatenate ({text}). "
                        "A Concatenate joins maps of the same height and width: upsample the decoder map back "
                        "to the resolution of the encoder map you join it with, and halve at most three times "
                        "(8 pixels halved four times give 1, which doubles back to 2).") from exc
        raise Wrong(f"the model must colour lightness patches of any size, shape (batch, height, width, 1); "
                    f"{size[0]}x{size[1]} failed with {text}. Start with keras.Input(shape=input_shape): the "
                    "lesson passes (None, None, 1), height and width left open.") from exc


@exercise("Exercise 1 (a colorizer with a skip connection)")
def unet_colorizer(student_fn, input_shape=(None, None, 1)):
    """``student_fn(input_shape)`` -> an uncompiled Keras model, L (batch, H, W, 1) in, ab (batch, H, W, 2) out.

    Checks: no backend-only calls; a convolution; any height and width (two sizes); 2 channels at the input's
    resolution; outputs in [-1, 1] and not all >= 0 (tanh, as ``degrade.split_lab`` scales ab); finite; a
    downsampling and a skip connection around it; two training steps that change the first convolution.
    """

    model = student_model(student_fn, input_shape)
    operations = _all_operations(model)
    convs = [op for op in operations if type(op).__name__ in CONV_TYPES]
    if not convs:
        kinds = sorted({type(op).__name__ for op in operations} - {"InputLayer"})
        raise Wrong(f"the model has no convolution layer (its layers: {', '.join(kinds) or 'none'}). "
                    "Colour depends on a pixel's neighbourhood: use layers.Conv2D(filters, 3, padding='same', "
                    "activation='relu').")
    rng = np.random.default_rng(0)
    for size in SIZES:
        lightness, ab = _colour(model, size, rng)
        want = (len(lightness), *size, 2)
        if ab.shape == want:
            continue
        if ab.ndim == 4 and ab.shape[1:3] == tuple(size):
            hint = (" The last layer needs 2 filters, one for a and one for b: the model predicts the colour only, "
                    "and the lesson puts the true L back (degrade.join_lab).")
        elif ab.ndim == 4:
            hint = (" Each MaxPooling2D (or Conv2D with strides=2) halves the height and width and each "
                    "UpSampling2D doubles them: use as many of each, at most three, all with padding='same'.")
        else:
            hint = " End with a convolution that keeps the image layout (no Flatten or Dense at the end)."
        raise Wrong(f"for L of shape {lightness.shape} the output should have shape {want}, but has shape "
                    f"{ab.shape}.{hint}")
    if not np.all(np.isfinite(ab)):
        raise Wrong("the output contains NaN or infinity.")
    big = to_numpy(model(20 * rng.normal(size=(4, *SIZES[0], 1)).astype("float32")))
    if not np.all(np.isfinite(big)) or np.any(np.abs(big) > 1):
        raise Wrong("outputs outside [-1, 1]: the lesson scales a and b by 1/128 (degrade.split_lab), so they lie "
                    "in about [-1, 1]; end with activation='tanh'.")
    if np.all(ab >= 0) and np.all(big >= 0):
        raise Wrong("your outputs are never negative, but a is negative for green and b for blue: end with "
                    "activation='tanh' (sigmoid and relu stop at 0).")
    if not any(_downsamples(op) for op in operations):
        raise Wrong("the model never lowers the resolution (no MaxPooling2D and no Conv2D with strides=2), so it "
                    "is not an encoder-decoder: a few 3x3 convolutions at full resolution see only a few pixels "
                    "around each one, too few to tell sky from water. Halve the resolution once, then "
                    "UpSampling2D back.")
    if not _has_skip(model):
        raise Wrong("no skip connection: every path from the input to the output goes through the downsampling, "
                    "so the decoder works from a coarse map and cannot put a colour edge exactly where the "
                    "lightness edge is (colours bleed across outlines). Join a full-resolution encoder map with "
                    "the upsampled decoder map: h = layers.Concatenate()([upsampled, encoder_map]).")
    lightness = rng.uniform(size=(4, *SIZES[0], 1)).astype("float32")
    target = np.clip(0.3 * rng.normal(size=(4, *SIZES[0], 2)), -1, 1).astype("float32")
    two_steps_update(model, convs[0], "mse", lightness, target, "the L input to the ab output")
    return (f"{len(convs)} convolution layer(s), ab out at the input's height and width in [-1, 1], a skip "
            "connection around the downsampling; two training steps update the first convolution.")


def _colour_patches():
    rng = np.random.default_rng(0)
    x = rng.random((4, 6, 6, 3)).astype("float32")
    x[1] = x[1, ..., :1]  # a gray image among them
    x[2, ..., 0] = np.minimum(1.0, x[2, ..., 0] + 0.5)  # a reddish one
    return np.clip(x, 0, 1).astype("float32")


@exercise("Exercise 2 (the gray baseline)")
def gray_baseline(student_fn):
    """``student_fn(x_rgb)`` -> the luminance of each image repeated in 3 channels, shape (N, H, W, 3)."""
    x = _colour_patches()
    got = to_numpy(student_fn(x.copy()))
    want = degrade.gray_to_rgb(degrade.to_gray(x))
    if got.shape == want.shape[:-1] + (1,):
        raise Wrong(f"you return one channel {got.shape}; repeat it 3 times so it is an RGB image like "
                    f"the model's output, shape {want.shape} (np.repeat(gray, 3, axis=-1)).")
    if got.shape != want.shape:
        raise Wrong(f"the baseline should have shape {want.shape}, got {got.shape}.")
    if np.allclose(got, np.repeat(x.mean(-1, keepdims=True), 3, -1), atol=1e-5):
        raise Wrong("a plain mean (R + G + B) / 3 is not the luminance: use Y = 0.2125 R + 0.7154 G + "
                    "0.0721 B (degrade.to_gray, or skimage.color.rgb2gray).")
    if not np.allclose(got[..., 0], got[..., 1], atol=1e-6) or not np.allclose(got[..., 0], got[..., 2], atol=1e-6):
        raise Wrong("the three channels must be equal: a gray image has R = G = B.")
    expect_close(got, want, "your gray image", rtol=1e-4, atol=1e-4)
    return "R = G = B = 0.2125 R + 0.7154 G + 0.0721 B of the colour image."


@exercise("Exercise 2 (the gray baseline), hidden cases")
def hidden_gray_baseline(student_fn):
    """Images of another size and number, one of them pure blue."""
    x = np.random.default_rng(4).random((3, 5, 9, 3)).astype("float32")
    x[0] = [0.0, 0.0, 1.0]
    expect_close(to_numpy(student_fn(x.copy())), degrade.gray_to_rgb(degrade.to_gray(x)),
                 "your gray images of 3 colour images of 5 x 9 pixels", rtol=1e-4, atol=1e-4)


@exercise("Exercise 1 (a colorizer with a skip connection), hidden cases")
def hidden_unet_colorizer(student_fn):
    """A model built for one fixed size, 24x40 (input_shape given in full), and the open-size model on one
    40x8 patch; ab out at the input's height and width, in [-1, 1] (no training)."""
    rng = np.random.default_rng(10)
    for input_shape, size in (((24, 40, 1), (24, 40)), ((None, None, 1), (40, 8))):
        model = student_model(student_fn, input_shape)
        lightness, ab = _colour(model, size, rng)
        if ab.shape != (len(lightness), *size, 2):
            raise Wrong(f"for input_shape={input_shape} and L of shape {lightness.shape} the output should have "
                        f"shape {(len(lightness), *size, 2)}, got {ab.shape}.")
        if not np.all(np.isfinite(ab)) or np.abs(ab).max() > 1:
            raise Wrong(f"for input_shape={input_shape} the outputs are not all in [-1, 1].")
