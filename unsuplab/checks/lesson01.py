"""Checks for lesson 01 (the dense autoencoder)."""

import math

import numpy as np

from .. import baselines
from . import Wrong, backend_specific_call, call_on_images, exercise, to_numpy


def _dense_layers(layer):
    """Every ``Dense`` layer inside ``layer``, nested models included, in order."""
    import keras

    found = []
    for sub in getattr(layer, "layers", []):
        if isinstance(sub, keras.layers.Dense):
            found.append(sub)
        else:
            found.extend(_dense_layers(sub))
    return found


def _activation(layer):
    return getattr(layer.activation, "__name__", str(layer.activation))


def _expect_lecture_model(student_fn, input_shape, code_size, hidden=128):
    """``(model, x, dense)``: the compiled model ``student_fn(input_shape, code_size)``, a batch and its Dense layers,
    once its layers, activations, output range and loss are right (everything but training)."""
    import keras

    pixels = math.prod(input_shape)
    name = backend_specific_call(student_fn)
    if name:
        raise Wrong(f"your code uses {name}, which runs on one backend only. Use keras.layers and keras.ops, "
                    "and let compile() and fit() do the training.")
    model = student_fn(input_shape, code_size)
    if model is None:
        raise Wrong("your function returns None; return the model.")
    if not isinstance(model, keras.Model):
        raise Wrong(f"return a keras.Model (keras.Model(inputs, outputs)), got {type(model).__name__}.")
    widths = [layer.units for layer in _dense_layers(model)]
    want = [hidden, code_size, hidden, pixels]
    if widths != want:
        raise Wrong(f"the Dense layers have {widths} units; the 784-128-32-128-784 model has {want} "
                    f"(hidden {hidden}, code {code_size}, hidden {hidden}, one output per pixel).")
    rng = np.random.default_rng(0)
    x, out = call_on_images(model, input_shape, 8, rng, hint=" and layers.Flatten()")
    if out.shape != x.shape:
        hint = " Add layers.Reshape(input_shape) after the last Dense layer." if out.size == x.size else ""
        raise Wrong(f"the output should have the input's shape {x.shape}, but has shape {out.shape}.{hint}")
    if not np.all(np.isfinite(out)):
        raise Wrong("the output contains NaN or infinity.")
    dense = _dense_layers(model)
    if _activation(dense[0]) != "relu" or _activation(dense[2]) != "relu":
        raise Wrong(f"the two hidden layers need activation='relu' (yours: {_activation(dense[0])}, "
                    f"{_activation(dense[2])}); without it the model is only as good as PCA.")
    if _activation(dense[1]) != "linear":
        raise Wrong(f"the code layer has activation '{_activation(dense[1])}'; this lesson uses a linear code "
                    "(activation=None): a ReLU code unit that is zero for every digit carries nothing.")
    big = to_numpy(model(20 * rng.normal(size=(4, *input_shape)).astype("float32")))
    if np.any(big < 0) or np.any(big > 1):
        raise Wrong("outputs outside [0, 1]: pixels lie in [0, 1], so the last layer needs activation='sigmoid'.")
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise Wrong("the model is not compiled: call model.compile(optimizer='adam', loss='mse') before returning it.")
    loss = float(to_numpy(model.compute_loss(x=x, y=x, y_pred=keras.ops.convert_to_tensor(out))))
    mse = float(np.mean((out - x) ** 2))
    if not np.isclose(loss, mse, rtol=1e-3):
        bce = float(np.mean(-(x * np.log(np.clip(out, 1e-7, 1)) + (1 - x) * np.log(np.clip(1 - out, 1e-7, 1)))))
        what = "binary cross-entropy" if np.isclose(loss, bce, rtol=1e-2) else f"a loss of {loss:.4g}"
        raise Wrong(f"the model is compiled with {what}, but this lesson trains and compares mean squared "
                    f"error ({mse:.4g} here): compile with loss='mse'.")
    return model, x, dense


@exercise("Exercise 1 (the 784-128-32-128-784 autoencoder in Keras)")
def lecture_autoencoder(student_fn, input_shape=(28, 28, 1), code_size=32, hidden=128):
    """``student_fn(input_shape, code_size)`` -> a compiled Keras model 784-128-code-128-784 (linear code, MSE loss)."""
    model, x, dense = _expect_lecture_model(student_fn, input_shape, code_size, hidden)
    pixels = math.prod(input_shape)
    first = to_numpy(dense[0].kernel).copy()
    logs = model.train_on_batch(x, x, return_dict=True)
    if not np.isfinite(float(logs["loss"])):
        raise Wrong("one training step gave a NaN or infinite loss.")
    if np.allclose(to_numpy(dense[0].kernel), first):
        raise Wrong("one training step left the encoder's first layer unchanged: the gradient does not reach "
                    "the encoder. Build one model from the image input to the reconstruction.")
    return f"{pixels}-{hidden}-{code_size}-{hidden}-{pixels}, compiled with MSE; one training step updates the encoder."


@exercise("Exercise 2 (MSE against code size)")
def mse_vs_code_size(student_fn, x_train, x_test, code_sizes):
    """``student_fn(code_sizes)`` must return ``{"AE": [...], "PCA": [...]}``, one test MSE per size."""
    result = student_fn(code_sizes)
    if not isinstance(result, dict) or set(result) != {"AE", "PCA"}:
        raise Wrong('return a dict with exactly the keys "AE" and "PCA".')
    for key in ("AE", "PCA"):
        values = np.asarray(result[key], dtype="float64")
        if values.shape != (len(code_sizes),):
            got = values.shape[0] if values.ndim else values
            raise Wrong(f'result["{key}"] needs one MSE per code size ({len(code_sizes)}), got {got}.')
        if not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(values > 0.25):
            raise Wrong(f'result["{key}"] = {values.round(4).tolist()}: '
                        'a test MSE of images in [0, 1] lies in (0, 0.25).')
    for k, got in zip(code_sizes, result["PCA"]):
        want = baselines.pca_reconstruct(x_train, x_test, k)[2]
        if not np.isclose(got, want, rtol=1e-3):
            raise Wrong(f"PCA's test MSE at code size {k} should be {want:.5f}, you have {got:.5f}. "
                        "Fit PCA on x_train and measure on x_test.")
    if np.any(np.diff(result["PCA"]) > 1e-6):
        raise Wrong("PCA's error must fall as the code grows; sort your code sizes.")
    return "Both curves are measured on the test set."


@exercise("Exercise 3 (a linear autoencoder)")
def linear_autoencoder(student_fn):
    """``student_fn(code_size)`` must return an untrained Keras model 784 -> code_size -> 784 with no non-linearity."""
    import keras

    model = student_fn(3)
    if not isinstance(model, keras.Model):
        raise Wrong(f"return a keras.Model, got {type(model).__name__}.")
    rng = np.random.default_rng(0)
    # large inputs of both signs: near zero a sigmoid or a ReLU can look linear
    a, b = ((20 * rng.normal(size=(2, 28, 28, 1))).astype("float32") for _ in range(2))
    try:
        fa, fb, fab = (to_numpy(model(v)) for v in (a, b, 0.3 * a + 0.7 * b))
    except Exception as exc:
        raise Wrong(f"the model must take images of shape (batch, 28, 28, 1): {exc}") from exc
    if fa.reshape(2, -1).shape[1] != 784:
        raise Wrong(f"the output must have 784 values per image, got shape {fa.shape}.")
    if not np.allclose(fab, 0.3 * fa + 0.7 * fb, atol=1e-4 * (1 + np.abs(fab).max())):
        raise Wrong("the model is not linear: f(0.3a + 0.7b) != 0.3 f(a) + 0.7 f(b). "
                    "Use activation=None (no ReLU, no sigmoid) in every layer.")
    widths = [w.shape[-1] for w in model.weights if len(w.shape) == 2]
    if 3 not in widths:
        raise Wrong(f"no layer has code_size=3 units (dense widths: {widths}).")
    return "A linear model with the requested bottleneck."


@exercise("Exercise 1 (the 784-128-32-128-784 autoencoder in Keras), hidden cases")
def hidden_lecture_autoencoder(student_fn):
    """Other images and codes: 8x8 grey images with a code of 5, 6x5 colour images with a code of 2 (the layers,
    activations, output and loss; no training)."""
    for input_shape, code_size in (((8, 8, 1), 5), ((6, 5, 3), 2)):
        _expect_lecture_model(student_fn, input_shape, code_size)


@exercise("Exercise 2 (MSE against code size), hidden cases")
def hidden_mse_vs_code_size(student_fn, x_train, x_test, code_sizes):
    """The edge case of no code size at all: two empty lists (the function must loop over its argument)."""
    result = student_fn([])
    if not isinstance(result, dict) or set(result) != {"AE", "PCA"}:
        raise Wrong('return a dict with exactly the keys "AE" and "PCA", also for an empty list of code sizes.')
    for key in ("AE", "PCA"):
        if len(np.ravel(np.asarray(result[key], dtype="float64"))) != 0:
            raise Wrong(f'for code_sizes=[] result["{key}"] should be empty, got {len(result[key])} value(s): '
                        "loop over the function's argument `code_sizes`, not a list from the notebook.")


@exercise("Exercise 3 (a linear autoencoder), hidden cases")
def hidden_linear_autoencoder(student_fn):
    """Other code sizes: 1 and 7 units, linear, 784 outputs."""
    import keras

    rng = np.random.default_rng(7)
    a, b = ((20 * rng.normal(size=(2, 28, 28, 1))).astype("float32") for _ in range(2))
    for code_size in (1, 7):
        model = student_fn(code_size)
        if not isinstance(model, keras.Model):
            raise Wrong(f"return a keras.Model, got {type(model).__name__}.")
        fa, fb, fab = (to_numpy(model(v)) for v in (a, b, 0.6 * a + 0.4 * b))
        if fa.reshape(2, -1).shape[1] != 784:
            raise Wrong(f"with code_size={code_size} the output must have 784 values per image, got {fa.shape}.")
        if not np.allclose(fab, 0.6 * fa + 0.4 * fb, atol=1e-4 * (1 + np.abs(fab).max())):
            raise Wrong(f"with code_size={code_size} the model is not linear: use activation=None everywhere.")
        widths = [w.shape[-1] for w in model.weights if len(w.shape) == 2]
        if min(widths) != code_size:
            raise Wrong(f"with code_size={code_size} the narrowest layer has {min(widths)} units (dense widths: "
                        f"{widths}); the bottleneck must have code_size units.")
