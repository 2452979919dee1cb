"""Check cells of lesson 09 (inpainting)."""

import numpy as np

from . import (
    CONV_TYPES,
    Wrong,
    all_layers,
    changed_inputs,
    exercise,
    expect_close,
    student_model,
    to_numpy,
    two_steps_update,
)


@exercise("Exercise 1 (blank a square)")
def blank_square(student_fn):
    """``student_fn(x, row, col, size)`` -> ``(x_masked, mask)``: the square at (row, col) set to 0."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, (2, 9, 7, 1)).astype("float32")
    original = x.copy()
    row, col, size = 1, 3, 4
    want_mask = np.zeros(x.shape, bool)
    want_mask[:, row:row + size, col:col + size] = True
    result = student_fn(x, row, col, size)
    if not isinstance(result, tuple) or len(result) != 2:
        raise Wrong("return a pair (x_masked, mask).")
    x_masked, mask = to_numpy(result[0]), to_numpy(result[1])
    if changed_inputs(student_fn) or not np.array_equal(x, original):
        raise Wrong("your function changed `x` itself; work on a copy (x.copy() or np.where) so the "
                    "clean images stay clean.")
    if x_masked.shape != x.shape:
        raise Wrong(f"`x_masked` should have the shape of `x` {x.shape}, got {x_masked.shape}.")
    if mask.dtype != bool:
        raise Wrong(f"`mask` should be boolean (True inside the square), got dtype {mask.dtype}.")
    if mask.shape != x.shape:
        raise Wrong(f"`mask` should have the shape of `x` {x.shape}, got {mask.shape}.")
    swapped = np.zeros(x.shape, bool)
    swapped[:, col:col + size, row:row + size] = True
    if np.array_equal(mask, swapped):
        raise Wrong("the square is at (col, row): `row` indexes the height axis (axis 1), `col` the "
                    "width axis (axis 2).")
    if np.array_equal(mask, ~want_mask):
        raise Wrong("the mask is inverted: it must be True inside the square (the pixels to fill).")
    inside = int(mask[0, ..., 0].sum())
    if inside != size * size:
        raise Wrong(f"the mask marks {inside} pixels per image; a {size}x{size} square has {size * size}. "
                    "Remember x[r:r + size] takes exactly `size` rows.")
    if not np.array_equal(mask, want_mask):
        raise Wrong(f"the square should cover rows {row}..{row + size - 1} and columns {col}..{col + size - 1}.")
    expect_close(x_masked, np.where(want_mask, 0.0, x), "`x_masked`")
    return "the hole is zero, everything else untouched."


def _holes(n, input_shape, top, size):
    """Float masks (n, *input_shape): 1 on the square of side ``size`` at (top, top), 0 elsewhere."""
    mask = np.zeros((n, *input_shape), "float32")
    mask[:, top:top + size, top:top + size] = 1.0
    return mask


@exercise("Exercise 2 (an inpainter that keeps the known pixels)")
def inpainter(student_fn, input_shape=(28, 28, 1)):
    """``student_fn(input_shape)`` -> an uncompiled Keras model ``[x_holed, mask] -> (1 - mask) * x_holed +
    mask * prediction`` (mask 1 inside the hole), the prediction from a convolutional network that sees both.

    Checks: no backend-only calls, two inputs, a convolution, the output shape, finite; known pixels passed
    through exactly (misconceptions: composite inverted, no composite); the hole filled by the network (it
    depends on the image and on the mask: mask ignored); the hole in [0, 1] (sigmoid); two training steps
    change the first convolution's kernel.
    """

    model = student_model(student_fn, input_shape, how="keras.Model([image, mask], outputs)",
                          advice="Use keras.layers (and keras.ops or + - * on Keras tensors); compile() and fit() "
                                 "do the training.")
    if len(model.inputs) != 2:
        raise Wrong(f"the model takes {len(model.inputs)} input(s); it needs two, the holed image and the mask: "
                    "image = keras.Input(shape=input_shape), mask = keras.Input(shape=input_shape), then "
                    "keras.Model([image, mask], outputs).")
    convs = [layer for layer in all_layers(model) if type(layer).__name__ in CONV_TYPES]
    if not convs:
        raise Wrong("the model has no convolution layer: the guess for the hole should come from a "
                    "convolutional network (layers.Conv2D(32, 3, padding='same', activation='relu') ...).")
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, *input_shape)).astype("float32")
    mask = _holes(4, input_shape, 8, 10)
    hole, known = mask > 0, mask == 0
    holed = x * (1 - mask)
    try:
        out = to_numpy(model([holed, mask]))
    except Exception as exc:
        raise Wrong(f"the model must take [holed images, masks], both of shape (batch, "
                    f"{', '.join(map(str, input_shape))}): {type(exc).__name__}: {exc}") from exc
    if out.shape != x.shape:
        hint = (f" The last convolution needs {input_shape[-1]} filter(s), one per image channel."
                if out.ndim == 4 and out.shape[1:3] == x.shape[1:3] else
                " Use as many UpSampling2D as MaxPooling2D (28 -> 14 -> 7 -> 14 -> 28), all with padding='same'.")
        raise Wrong(f"the output should have the image's shape {x.shape}, but has shape {out.shape}.{hint}")
    if not np.all(np.isfinite(out)):
        raise Wrong("the output contains NaN or infinity.")
    if not np.allclose(out[known], holed[known], atol=1e-6):
        if np.allclose(out[hole], holed[hole], atol=1e-6):
            raise Wrong("the composite is inverted: your model keeps the input inside the hole (its zeros) and "
                        "replaces the pixels it knows. The mask is 1 inside the hole, so keep the image where "
                        "the mask is 0 and take the guess where it is 1: (1 - mask) * image + mask * guess.")
        raise Wrong("the pixels outside the hole changed: the network's output replaces the whole image. Finish "
                    "with the composite outputs = (1 - mask) * image + mask * guess, so the known pixels pass "
                    "through exactly and only the hole is filled (inputs in the order [image, mask]).")
    if np.allclose(out[hole], holed[hole], atol=1e-6):
        raise Wrong("the hole still holds the input's zeros: take the network's guess there (mask * guess).")
    other = to_numpy(model([rng.uniform(size=x.shape).astype("float32") * (1 - mask), mask]))
    if np.allclose(out[hole], other[hole], atol=1e-6):
        raise Wrong("the hole gets the same values whatever the image: fill it with the guess of a network "
                    "that reads the image (mask * guess, guess = the last convolution's output).")
    bigger = _holes(4, input_shape, 6, 14)  # holds the first hole: only the mask changes there
    if np.allclose(out[hole], to_numpy(model([holed, bigger]))[hole], atol=1e-6):
        raise Wrong("the network ignores the mask: the same image with another mask gets the same guess. The "
                    "hole is 0 and so is the black background, so without the mask the network cannot tell "
                    "them apart: give it both, layers.Concatenate()([image, mask]) before the first convolution.")
    big = to_numpy(model([20 * rng.normal(size=x.shape).astype("float32") * (1 - mask), mask]))[hole]
    if not np.all(np.isfinite(big)) or np.any(big < 0) or np.any(big > 1):
        raise Wrong("the hole gets values outside [0, 1]: pixels lie in [0, 1], so the last convolution needs "
                    "activation='sigmoid'.")
    two_steps_update(model, convs[0], "binary_crossentropy", [holed, mask], x, "the two inputs to the output")
    return (f"known pixels pass through exactly, the hole gets the guess of {len(convs)} convolution layer(s) "
            "that see the image and the mask, in [0, 1]; two training steps update the first convolution.")


@exercise("Exercise 1 (blank a square), hidden cases")
def hidden_blank_square(student_fn):
    """Another shape (two channels), a square at the left border and one at the bottom edge."""
    x = np.random.default_rng(5).uniform(0.1, 1.0, (3, 10, 12, 2)).astype("float32")
    for row, col, size in ((5, 0, 3), (7, 8, 3)):
        result = student_fn(x, row, col, size)
        if not isinstance(result, tuple) or len(result) != 2:
            raise Wrong("return a pair (x_masked, mask).")
        mask = np.zeros(x.shape, bool)
        mask[:, row:row + size, col:col + size] = True
        expect_close(to_numpy(result[1]).astype("float64"), mask, f"the mask of a {size}x{size} square at "
                     f"({row}, {col}) in (3, 10, 12, 2) images")
        expect_close(result[0], np.where(mask, 0.0, x), f"the blanked images, square at ({row}, {col})")


@exercise("Exercise 2 (an inpainter that keeps the known pixels), hidden cases")
def hidden_inpainter(student_fn):
    """Colour images of 12x16 pixels with a hole at the border: known pixels pass through exactly, the hole is
    filled with values in [0, 1] (no training)."""
    input_shape = (12, 16, 3)
    model = student_model(student_fn, input_shape, how="keras.Model([image, mask], outputs)")
    x = np.random.default_rng(9).uniform(size=(3, *input_shape)).astype("float32")
    mask = np.zeros(x.shape, "float32")
    mask[:, 6:, :5] = 1.0  # the bottom-left corner
    try:
        out = to_numpy(model([x * (1 - mask), mask]))
    except Exception as exc:
        raise Wrong(f"for images of shape {input_shape} the model must take [holed images, masks] of that "
                    f"shape ({type(exc).__name__}: {exc}): build it from input_shape.") from exc
    if out.shape != x.shape:
        raise Wrong(f"for images of shape {input_shape} the output should have shape {x.shape}, got {out.shape}.")
    known, hole = mask == 0, mask > 0
    expect_close(out[known], x[known], f"the known pixels of {input_shape} images (they must pass through)",
                 atol=1e-6)
    if not np.all(np.isfinite(out[hole])) or out[hole].min() < 0 or out[hole].max() > 1:
        raise Wrong(f"for images of shape {input_shape} the hole gets values outside [0, 1].")
    if np.allclose(out[hole], 0.0, atol=1e-6):
        raise Wrong(f"for images of shape {input_shape} the hole still holds the input's zeros.")
