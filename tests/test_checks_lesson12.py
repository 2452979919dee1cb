import keras
import numpy as np
from checks_reference import twin
from keras import ops

from unsuplab.checks import lesson12
from unsuplab.layers import ReconstructionError


def _todo(*args):
    raise NotImplementedError()


def _layer(score):
    """A layer class whose call returns ``score(x, x_hat)``."""
    class Scores(keras.layers.Layer):
        def call(self, inputs):
            x, x_hat = inputs
            return score(x, x_hat)
    return Scores


def _all_but_batch(x):
    return tuple(range(1, len(x.shape)))


RIGHT = _layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=_all_but_batch(x)))


def _scorer(layer_class=RIGHT, second="reconstruction"):
    def build(autoencoder, input_shape):
        inputs = keras.Input(shape=input_shape)
        other = {"reconstruction": autoencoder, "itself": lambda t: t,
                 "new": keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(3),
                                          keras.layers.Dense(int(np.prod(input_shape)), activation="sigmoid"),
                                          keras.layers.Reshape(input_shape)]),
                 "clone": keras.models.clone_model(autoencoder)}[second]
        return keras.Model(inputs, layer_class()([inputs, other(inputs)]))
    return build


def _message(layer_class, build_fn=None):
    feedback = lesson12.anomaly_scorer(layer_class, build_fn)
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_scorer_check_accepts_the_mean_squared_error_and_the_library_layer(capsys):
    assert lesson12.anomaly_scorer(RIGHT)
    assert lesson12.anomaly_scorer(RIGHT, _scorer())
    library = twin(ReconstructionError)
    assert lesson12.anomaly_scorer(library, _scorer(library))
    flat = _layer(lambda x, x_hat: ops.mean(ops.square(ops.reshape(x - x_hat, (ops.shape(x)[0], -1))), axis=1))
    assert lesson12.anomaly_scorer(flat, _scorer(flat))
    assert "[ok]" in capsys.readouterr().out


def test_scorer_check_names_each_misconception():
    assert "one number for the whole batch" in _message(_layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat))))
    assert "sum the squared errors" in _message(
        _layer(lambda x, x_hat: ops.sum(ops.square(x - x_hat), axis=_all_but_batch(x))))
    assert "mean ABSOLUTE error" in _message(
        _layer(lambda x, x_hat: ops.mean(ops.abs(x - x_hat), axis=_all_but_batch(x))))
    assert "one per pixel" in _message(_layer(lambda x, x_hat: ops.square(x - x_hat)))
    assert "over the batch (axis 0)" in _message(_layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=0)))
    assert "EVERY axis but the batch" in _message(
        _layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=-1)))
    assert "EVERY axis but the batch" in _message(
        _layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=(1, 2, 3), keepdims=True)))
    assert "not on a batch of vectors" in _message(
        _layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=(1, 2, 3))))
    assert "root of the mean squared error" in _message(
        _layer(lambda x, x_hat: ops.sqrt(ops.mean(ops.square(x - x_hat), axis=_all_but_batch(x)))))
    assert "wrong sign" in _message(
        _layer(lambda x, x_hat: -ops.mean(ops.square(x - x_hat), axis=_all_but_batch(x))))
    assert "passes ONE" in _message(type("TwoArgs", (keras.layers.Layer,), {"call": lambda self, x, x_hat: x}))
    numpy_layer = _layer(lambda x, x_hat: np.mean((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=_all_but_batch(x)))
    assert "not inside a model" in _message(numpy_layer)


def test_scorer_check_names_each_wrong_scorer():
    assert "compares the images with themselves" in _message(RIGHT, _scorer(second="itself"))
    assert "do not build a new one" in _message(RIGHT, _scorer(second="new"))
    assert "leaves the autoencoder you were given unchanged" in _message(RIGHT, _scorer(second="clone"))
    assert "does not use your MyReconstructionError" in _message(RIGHT, _scorer(ReconstructionError))
    assert "returns None" in _message(RIGHT, lambda autoencoder, input_shape: None)
    assert "keras.Model" in _message(RIGHT, lambda autoencoder, input_shape: RIGHT())

    def two_inputs(autoencoder, input_shape):
        a, b = keras.Input(input_shape), keras.Input(input_shape)
        return keras.Model([a, b], RIGHT()([a, b]))

    assert "images alone" in _message(RIGHT, two_inputs)
    stopped = _layer(lambda x, x_hat: ops.mean(ops.square(x - ops.stop_gradient(x_hat)), axis=_all_but_batch(x)))
    assert "no gradient flows back" in _message(stopped, _scorer(stopped))


def test_scorer_check_rejects_nan_non_layers_and_backend_code():
    nan = _layer(lambda x, x_hat: ops.mean(ops.square(x - x_hat), axis=_all_but_batch(x)) * float("nan"))
    assert "NaN" in _message(nan)
    assert "subclass keras.layers.Layer" in _message(lambda: 0.5)

    class UsesTf(keras.layers.Layer):
        def call(self, inputs):
            import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)
            return tf.reduce_mean(inputs[0])

    assert "one backend only" in _message(UsesTf)

    def builds_with_tf(autoencoder, input_shape):
        import tensorflow as tf  # noqa: F401
        return tf.keras.Model()

    assert "one backend only" in _message(RIGHT, builds_with_tf)


def test_scorer_check_waits_for_unfinished():
    class Todo(keras.layers.Layer):
        def call(self, inputs):
            x, x_hat = inputs
            raise NotImplementedError()

    assert lesson12.anomaly_scorer(Todo).status == "todo"
    assert lesson12.anomaly_scorer(Todo, _scorer(Todo)).status == "todo"
    assert lesson12.anomaly_scorer(RIGHT, _todo).status == "todo"


def test_threshold_check_accepts_the_upper_quantile_and_rejects_the_lower_one():
    def right(scores, fpr):
        return np.quantile(scores, 1 - fpr)

    def lower(scores, fpr):
        return np.quantile(scores, fpr)

    def mean(scores, fpr):
        return scores.mean()

    assert lesson12.threshold_for_fpr(right)
    wrong = lesson12.threshold_for_fpr(lower)
    assert wrong.status == "wrong" and "(1 - fpr) quantile" in wrong.message
    assert "should flag 5%" in lesson12.threshold_for_fpr(mean).message
    assert lesson12.threshold_for_fpr(_todo).status == "todo"


def test_partial_credit_a_right_layer_earns_part_1_with_a_wrong_scorer():
    """Issue 27, item 5: the layer and the scorer are graded in two cells (the second has '# part: the scorer')."""
    assert lesson12.reconstruction_error_layer(RIGHT).ok
    assert lesson12.hidden_reconstruction_error_layer(RIGHT).ok
    broken_scorer = lesson12.anomaly_scorer(RIGHT, _scorer(second="itself"))
    assert broken_scorer.status == "wrong" and "compares the images with themselves" in broken_scorer.message
    summed = _layer(lambda x, x_hat: ops.sum(ops.square(x - x_hat), axis=_all_but_batch(x)))
    assert lesson12.reconstruction_error_layer(summed).status == "wrong"
    assert lesson12.reconstruction_error_layer(_todo).status == "todo"
