import keras
import numpy as np
from checks_reference import twin
from keras import ops

from unsuplab.checks import lesson13
from unsuplab.layers import StraightThroughBinarize


def _todo(*args):
    raise NotImplementedError()


def _right(distances, query_labels, database_labels, k):
    nearest = np.argsort(distances, axis=1)[:, :k]
    return np.mean(database_labels[nearest] == query_labels[:, None])


def test_precision_check_accepts_right_and_names_each_mistake(capsys):
    def farthest(d, q, db, k):
        return _right(-d, q, db, k)

    def per_query(d, q, db, k):
        return np.mean(db[np.argsort(d, axis=1)[:, :k]] == q[:, None], axis=1)

    assert lesson13.precision_at_k(_right)
    wrong = lesson13.precision_at_k(farthest)
    assert wrong.status == "wrong" and "largest distance" in wrong.message
    assert "return their mean" in lesson13.precision_at_k(per_query).message
    assert lesson13.precision_at_k(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


def _binarizer(bits=None):
    """A binarising layer class; ``bits(inputs)`` replaces the right straight-through answer when given."""

    class Layer(keras.layers.Layer):
        def call(self, inputs):
            if bits is None:
                return inputs + ops.stop_gradient(ops.round(inputs) - inputs)
            return bits(inputs)

    return Layer


def _binarize_message(bits):
    feedback = lesson13.binarize_layer(_binarizer(bits))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_binarize_check_accepts_right_answers(capsys):
    assert lesson13.binarize_layer(_binarizer())
    assert lesson13.binarize_layer(twin(StraightThroughBinarize))  # the library's layer, which the lesson falls back on
    assert lesson13.binarize_layer(_binarizer(lambda x: ops.round(x) + x - ops.stop_gradient(x)))
    assert "[ok]" in capsys.readouterr().out


def test_binarize_check_names_each_misconception():
    assert "soft code" in _binarize_message(lambda x: x)
    at_zero = _binarize_message(lambda x: x + ops.stop_gradient(ops.cast(x > 0, x.dtype) - x))
    assert "thresholded at 0" in at_zero
    assert "gradient does not reach the encoder" in _binarize_message(ops.round)
    assert "gradient does not reach the encoder" in _binarize_message(lambda x: ops.cast(x > 0.5, x.dtype))
    assert "booleans" in _binarize_message(lambda x: x > 0.5)
    assert "-1 and +1" in _binarize_message(lambda x: x + ops.stop_gradient(ops.sign(x - 0.5) - x))
    assert "should give the bit" in _binarize_message(lambda x: x + ops.stop_gradient(1 - ops.round(x) - x))
    doubled = _binarize_message(lambda x: 2 * x + ops.stop_gradient(ops.round(x) - 2 * x))
    assert "as if the layer were the identity" in doubled
    assert "shape" in _binarize_message(lambda x: ops.round(x)[:, :4])
    assert "None" in _binarize_message(lambda x: None)


def test_binarize_check_rejects_nan_non_layers_and_backend_code():
    assert "NaN" in _binarize_message(lambda x: x * float("nan"))
    assert lesson13.binarize_layer(lambda: float("nan")).status == "wrong"

    class NotALayer:
        def __call__(self, inputs):
            return ops.round(inputs)

    assert "keras.layers.Layer" in lesson13.binarize_layer(NotALayer).message

    class UsesTF(keras.layers.Layer):
        def call(self, inputs):
            import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)
            return tf.round(inputs)

    assert "one backend only" in lesson13.binarize_layer(UsesTF).message


def test_binarize_check_waits_for_unfinished():
    class Todo(keras.layers.Layer):
        def call(self, inputs):
            raise NotImplementedError()

    assert lesson13.binarize_layer(Todo).status == "todo"
    keras.backend.clear_session()
