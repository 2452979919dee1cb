"""Check cells of lesson 12 (anomaly detection)."""

import inspect

import numpy as np

from . import Wrong, backend_specific_call, exercise, expect_close, innermost_error, to_numpy

_SHAPE = (6, 6, 1)  # small images for the check


def _error(exc):
    """The student's own error in a few words (not Keras' wrapper around it)."""
    exc = innermost_error(exc)
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _call_layer(layer, x, x_hat):
    """``layer([x, x_hat])`` as NumPy, or :class:`Wrong` in plain words."""
    import keras

    try:
        out = layer([keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(x_hat)])
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Wrong(f"your layer raised {_error(exc)}.") from exc
    if out is None:
        raise Wrong("call() returns None: return the scores.")
    if isinstance(out, (np.ndarray, np.generic)):  # PyTorch runs NumPy code even on symbolic inputs: say it here
        raise Wrong("your layer returns a NumPy array: it computes with NumPy, which works on arrays but not "
                    "inside a model (no gradient flows through NumPy). Use keras.ops only.")
    return to_numpy(out).astype("float64")


def _expect_scores(got, x, x_hat):
    """``got`` must be the per-sample mean squared error of ``x - x_hat``; the usual slips get their message."""
    axes = tuple(range(1, x.ndim))
    diff = np.asarray(x, "float64") - np.asarray(x_hat, "float64")
    want = np.mean(diff ** 2, axis=axes)
    n = len(x)
    if got.size == 1:
        raise Wrong(f"you return one number for the whole batch; return one score per image, shape ({n},): "
                    "average over every axis but the batch (axis 0).")
    if got.shape == x.shape:
        raise Wrong(f"you return a map of squared errors, shape {got.shape}, one per pixel; average it over every "
                    f"axis but the batch to get one score per image, shape ({n},).")
    if got.shape == x.shape[1:]:
        raise Wrong(f"your scores have shape {got.shape}: you averaged over the batch (axis 0). Keep axis 0 and "
                    "average over all the others: axis=tuple(range(1, len(x.shape))).")
    if got.shape != (n,):
        raise Wrong(f"for {n} samples of shape {x.shape[1:]} return {n} scores, shape ({n},); yours have shape "
                    f"{got.shape}. Average over EVERY axis but the batch (axes 1, 2 and 3 for images): "
                    "axis=tuple(range(1, len(x.shape))), without keepdims.")
    if not np.all(np.isfinite(got)):
        raise Wrong("your scores contain NaN or infinity; look for a division by 0 or a log.")
    size = int(np.prod(x.shape[1:]))
    if np.allclose(got, size * want, rtol=1e-4):
        raise Wrong(f"you sum the squared errors over the {size} values of each sample; take their mean "
                    "(ops.mean). The ranking, and so the AUROC, would not change, but the score would grow with "
                    "the image size, and a threshold fixed on 28x28 images would mean nothing on larger ones.")
    if np.allclose(got, np.mean(np.abs(diff), axis=axes), rtol=1e-4):
        raise Wrong("this is the mean ABSOLUTE error; the lesson's score squares the differences "
                    "(ops.square) before averaging them.")
    if np.allclose(got, np.sqrt(want), rtol=1e-4):
        raise Wrong("this is the root of the mean squared error; the lesson's score is the mean squared error "
                    "itself (the ranking is the same, but compare like with like).")
    if np.allclose(got, -want, rtol=1e-4):
        raise Wrong("your scores have the wrong sign: a larger error must mean more anomalous.")
    expect_close(got, want, "your score", rtol=1e-4)


def _check_layer(layer_class):
    import keras

    name = backend_specific_call(layer_class)
    if name:
        raise Wrong(f"your layer uses {name}, which runs on one backend only. Use keras.ops "
                    "(ops.square, ops.mean...).")
    try:
        layer = layer_class()
    except (NotImplementedError, Wrong):
        raise
    except Exception as exc:
        raise Wrong(f"MyReconstructionError() raised {_error(exc)}; the layer takes no arguments.") from exc
    if not isinstance(layer, keras.layers.Layer):
        raise Wrong(f"the class must subclass keras.layers.Layer, got {type(layer).__name__}.")
    required = [p for p in list(inspect.signature(layer_class.call).parameters.values())[1:]
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) > 1:
        raise Wrong(f"call() takes {len(required)} arguments ({', '.join(p.name for p in required)}), but Keras "
                    "passes ONE, the list [x, x_hat]: write def call(self, inputs): and unpack it with "
                    "x, x_hat = inputs.")
    rng = np.random.default_rng(0)
    x, x_hat = rng.random((5, *_SHAPE)).astype("float32"), rng.random((5, *_SHAPE)).astype("float32")
    _expect_scores(_call_layer(layer, x, x_hat), x, x_hat)
    v, v_hat = rng.random((4, 10)).astype("float32"), rng.random((4, 10)).astype("float32")
    try:
        _expect_scores(_call_layer(layer_class(), v, v_hat), v, v_hat)
    except Wrong as wrong:
        raise Wrong("right on images, but not on a batch of vectors, shape (4, 10): average over every axis "
                    "but the first, whatever the rank, axis=tuple(range(1, len(x.shape))) (axis=(1, 2, 3) "
                    "exists for images only).") from wrong
    a, b = keras.Input(_SHAPE), keras.Input(_SHAPE)
    try:
        keras.Model([a, b], layer_class()([a, b]))
    except Exception as exc:  # NotImplementedError too: NumPy iterating over a symbolic tensor raises it
        raise Wrong(f"your layer works on arrays but not inside a model ({_error(exc)}). A model is built on "
                    "symbolic tensors: use keras.ops only, no NumPy, and read the rank with len(x.shape).") from exc


def _check_scorer(build_fn, layer_class):
    import keras

    name = backend_specific_call(build_fn)
    if name:
        raise Wrong(f"build_my_scorer uses {name}, which runs on one backend only. Use keras.Input and "
                    "keras.Model.")
    dense = dict(kernel_initializer=keras.initializers.GlorotUniform(seed=12))  # leaves the lesson's seeds alone
    autoencoder = keras.Sequential([keras.Input(_SHAPE), keras.layers.Flatten(), keras.layers.Dense(3, **dense),
                                    keras.layers.Dense(36, activation="sigmoid", **dense),
                                    keras.layers.Reshape(_SHAPE)], name="check_autoencoder")
    scorer = build_fn(autoencoder, _SHAPE)
    if scorer is None:
        raise Wrong("build_my_scorer returns None; return keras.Model(inputs, scores).")
    if not isinstance(scorer, keras.Model):
        raise Wrong(f"build_my_scorer must return a keras.Model (keras.Model(inputs, scores)), "
                    f"got {type(scorer).__name__}.")
    if not any(isinstance(layer, layer_class) for layer in scorer.layers):
        raise Wrong("the scorer does not use your MyReconstructionError layer: end it with "
                    "MyReconstructionError()([inputs, autoencoder(inputs)]).")
    x = np.random.default_rng(1).random((5, *_SHAPE)).astype("float32")
    try:
        got = to_numpy(scorer(x)).astype("float64")
    except Exception as exc:
        raise Wrong(f"the scorer must take the images alone, shape (batch, {', '.join(map(str, _SHAPE))}) "
                    f"({_error(exc)}): inputs = keras.Input(shape=input_shape), and the autoencoder is called "
                    "inside the model.") from exc
    if got.shape != (len(x),):
        raise Wrong(f"the scorer should return one score per image, shape ({len(x)},), got shape {got.shape}.")
    want = np.mean((x - to_numpy(autoencoder(x))) ** 2, axis=(1, 2, 3))
    if np.allclose(got, 0, atol=1e-7):
        raise Wrong("every score is 0: the scorer compares the images with themselves. Pass the autoencoder's "
                    "reconstruction as the second input: [inputs, autoencoder(inputs)].")
    if not np.allclose(got, want, rtol=1e-4, atol=1e-7):
        raise Wrong("the scores are not the mean squared error between the images and the reconstructions of "
                    "the autoencoder you are given: call that autoencoder on the inputs, autoencoder(inputs) "
                    "(do not build a new one).")
    try:
        predicted = to_numpy(scorer.predict(x, verbose=0))
    except Exception as exc:
        raise Wrong(f"scorer.predict fails ({_error(exc)}): predict compiles the model, so the layer must use "
                    "keras.ops only.") from exc
    expect_close(predicted, want, "the scores from scorer.predict", rtol=1e-4, atol=1e-7)
    kernel = to_numpy(autoencoder.layers[1].kernel).copy()
    scorer.compile(optimizer=keras.optimizers.SGD(0.5), loss=lambda y_true, y_pred: keras.ops.mean(y_pred),
                   run_eagerly=True)  # one step on the mean score: no compiling
    try:
        logs = scorer.train_on_batch(x, np.zeros(len(x), "float32"), return_dict=True)
    except (ValueError, RuntimeError) as exc:  # TensorFlow: "No gradients provided"; PyTorch: "does not require grad"
        if "grad" not in str(exc).lower():
            raise
        logs = None
    if logs is not None and not np.isfinite(float(logs["loss"])):
        raise Wrong("one training step on the mean score gave a NaN or infinite loss.")
    if logs is None or np.allclose(to_numpy(autoencoder.layers[1].kernel), kernel):
        raise Wrong("one training step on the mean score leaves the autoencoder you were given unchanged: no "
                    "gradient flows back to it. Call that autoencoder inside the scorer, autoencoder(inputs), "
                    "and compute the score with keras.ops only (no ops.stop_gradient, no NumPy).")


@exercise("Exercise 1 (the detector as one Keras model), part 1: the score layer",
          reference="unsuplab.layers:ReconstructionError")
def reconstruction_error_layer(layer_class):
    """Part 1: ``layer_class()`` called on ``[x, x_hat]`` -> the mean squared error of each sample, shape
    (batch,), on images and vectors and inside a model; the scorer built with it is part 2."""
    _check_layer(layer_class)
    return "your layer gives one mean squared error per sample. Part 2 checks the scorer built with it."


@exercise("Exercise 1 (the detector as one Keras model)", reference="unsuplab.layers:ReconstructionError")
def anomaly_scorer(layer_class, build_fn=None):
    """``layer_class()`` called on ``[x, x_hat]`` -> the mean squared error of each sample, shape (batch,);
    ``build_fn(autoencoder, input_shape)`` -> ``keras.Model(x, layer_class()([x, autoencoder(x)]))``.

    Checks: keras.ops only (any backend), one score per sample on images and on vectors, the mean squared error
    (not the sum, the absolute error, the root or one number for the batch), works inside a model; then the
    scorer: one model around the given autoencoder, images in, scores out, ``predict`` works, and one
    training step on the mean score reaches the autoencoder's weights.
    """
    _check_layer(layer_class)
    if build_fn is None:
        return "Your layer gives one mean squared error per sample."
    _check_scorer(build_fn, layer_class)
    return ("Your layer gives one mean squared error per sample, and your scorer is the whole detector in one "
            "model (the score is differentiable: the same layer could serve as a training loss).")


@exercise("Exercise 2 (a threshold for a target false-positive rate)")
def threshold_for_fpr(student_fn):
    """``student_fn(normal_scores, fpr)`` -> the threshold above which a fraction ``fpr`` of normal scores lie."""
    scores = np.random.default_rng(1).gamma(2.0, 1.0, 2000)
    for fpr in (0.05, 0.2):
        got = float(np.asarray(student_fn(scores.copy(), fpr)))
        flagged = float(np.mean(scores > got))
        if abs(flagged - (1 - fpr)) < 0.01:
            raise Wrong(f"with fpr={fpr} your threshold flags {flagged:.0%} of the normal images: you took the "
                        f"{fpr} quantile; take the (1 - fpr) quantile, so that only {fpr:.0%} lie above it.")
        if abs(flagged - fpr) > 0.005:
            raise Wrong(f"with fpr={fpr} your threshold {got:.4g} flags {flagged:.1%} of the normal images "
                        f"as anomalies; it should flag {fpr:.0%}.")
    return "Only the normal validation scores are needed to fix the false alarms."


@exercise("Exercise 2 (a threshold for a target false-positive rate), hidden cases")
def hidden_threshold_for_fpr(student_fn):
    """Another score distribution (log-normal, 3,000 scores) and rates 1% and 50%."""
    scores = np.random.default_rng(6).lognormal(0.0, 0.7, 3000)
    for fpr in (0.01, 0.5):
        flagged = float(np.mean(scores > float(np.asarray(student_fn(scores.copy(), fpr)))))
        if abs(flagged - fpr) > 0.005:
            raise Wrong(f"on 3,000 log-normal scores with fpr={fpr} your threshold flags {flagged:.1%}.")


def _expect_hidden_scores(layer_class, rng):
    """The layer on colour images (two channels) and on sequences (rank 3)."""
    for shape in ((3, 5, 4, 2), (4, 6, 3)):
        x, x_hat = rng.random(shape).astype("float32"), rng.random(shape).astype("float32")
        want = np.mean((x.astype("float64") - x_hat) ** 2, axis=tuple(range(1, len(shape))))
        expect_close(_call_layer(layer_class(), x, x_hat), want, f"your scores for inputs of shape {shape}",
                     rtol=1e-4)


@exercise("Exercise 1 (the detector as one Keras model), part 1: the score layer, hidden cases",
          reference="unsuplab.layers:ReconstructionError")
def hidden_reconstruction_error_layer(layer_class):
    """Colour images (two channels) and sequences (rank 3)."""
    _expect_hidden_scores(layer_class, np.random.default_rng(12))


@exercise("Exercise 1 (the detector as one Keras model), hidden cases", reference="unsuplab.layers:ReconstructionError")
def hidden_anomaly_scorer(layer_class, build_fn=None):
    """Colour images (two channels) and sequences (rank 3) for the layer; a scorer for 4x5 two-channel images
    around another autoencoder."""
    import keras

    rng = np.random.default_rng(12)
    _expect_hidden_scores(layer_class, rng)
    if build_fn is None:
        return
    shape = (4, 5, 2)
    autoencoder = keras.Sequential([keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(
        2, kernel_initializer=keras.initializers.GlorotUniform(seed=5)), keras.layers.Dense(
        40, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=6)),
        keras.layers.Reshape(shape)])
    x = rng.random((3, *shape)).astype("float32")
    try:
        got = to_numpy(build_fn(autoencoder, shape)(x))
    except Exception as exc:
        raise Wrong(f"a scorer built for images of shape {shape} must take them ({_error(exc)}): "
                    "inputs = keras.Input(shape=input_shape).") from exc
    expect_close(got, np.mean((x - to_numpy(autoencoder(x))) ** 2, axis=(1, 2, 3)),
                 f"the scores of a scorer for images of shape {shape}", rtol=1e-4, atol=1e-7)
