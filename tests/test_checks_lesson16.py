"""Lesson 16's check cells: a correct answer passes, each named mistake is named, an unfinished one waits."""

import numpy as np
import pytest
from keras import ops

from unsuplab.checks import lesson16


def todo(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------------------- exercise 1a: q

def q_answer(power=None, normalise=True, divide=True, axis=1, squared=True):
    """A keras.ops soft assignment, right by default, or with one mistake."""
    def fn(z, centroids, alpha=1.0):
        diff = ops.expand_dims(z, 1) - ops.expand_dims(centroids, 0)
        d = ops.sum(ops.square(diff), axis=-1)
        if not squared:
            d = ops.sqrt(d)
        exponent = -(alpha + 1.0) / 2.0 if power is None else power(alpha)
        kernel = ops.power(1.0 + (d / alpha if divide else d), exponent)
        return kernel / ops.sum(kernel, axis=axis, keepdims=True) if normalise else kernel
    return fn


def test_soft_assignment_check_passes_a_right_answer(capsys):
    assert lesson16.soft_assignment(q_answer())
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("answer, words", [
    (q_answer(normalise=False), "do not sum to 1"),
    (q_answer(axis=0), "over the clusters j (axis=1"),
    (q_answer(power=lambda a: -(a + 1.0)), "not -(alpha + 1)"),
    (q_answer(power=lambda a: -a), "not -alpha"),
    (q_answer(power=lambda a: -1.0), "only for alpha = 1"),
    (q_answer(divide=False), "divide the squared distance by alpha"),
    (q_answer(squared=False), "squared distance"),
])
def test_soft_assignment_check_names_each_mistake(answer, words):
    wrong = lesson16.soft_assignment(answer)
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_soft_assignment_check_other_wrong_answers():
    assert lesson16.soft_assignment(todo).status == "todo"
    assert lesson16.soft_assignment(lambda z, c, alpha=1.0: None).status == "wrong"
    wrong = lesson16.soft_assignment(lambda z, c, alpha=1.0: ops.transpose(q_answer()(z, c, alpha)))
    assert wrong.status == "wrong" and "one row per point" in wrong.message
    wrong = lesson16.soft_assignment(lambda z, c: q_answer()(z, c))  # no alpha argument
    assert wrong.status == "wrong"

    def numpy_answer(z, centroids, alpha=1.0):
        z, centroids = np.asarray(z), np.asarray(centroids)
        d = ((z[:, None] - centroids[None]) ** 2).sum(-1)
        kernel = (1 + d / alpha) ** (-(alpha + 1) / 2)
        return kernel / kernel.sum(1, keepdims=True)

    wrong = lesson16.soft_assignment(numpy_answer)
    assert wrong.status == "wrong" and "keras.ops" in wrong.message


def test_soft_assignment_check_rejects_nan():
    assert lesson16.soft_assignment(lambda z, c, alpha=1.0: ops.full((len(z), len(c)), np.nan)).status == "wrong"


# ----------------------------------------------------------------------------- exercise 1b: P

def p_answer(divide=True, square=True, normalise=True, f_axis=0):
    def fn(q):
        w = ops.square(q) if square else q
        if divide:
            w = w / ops.sum(q, axis=f_axis, keepdims=True)
        return w / ops.sum(w, axis=1, keepdims=True) if normalise else w
    return fn


def test_target_distribution_check_passes_a_right_answer(capsys):
    assert lesson16.target_distribution(p_answer())
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("answer, words", [
    (p_answer(divide=False), "cluster frequency f_j"),
    (p_answer(normalise=False), "do not sum to 1"),
    (p_answer(square=False), "square q"),
    (p_answer(f_axis=1), "summed q over the clusters"),  # a row sum of q is 1: the same as not dividing
])
def test_target_distribution_check_names_each_mistake(answer, words):
    wrong = lesson16.target_distribution(answer)
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_target_distribution_check_other_wrong_answers():
    assert lesson16.target_distribution(todo).status == "todo"
    assert lesson16.target_distribution(lambda q: None).status == "wrong"
    assert lesson16.target_distribution(lambda q: q).status == "wrong"
    assert lesson16.target_distribution(lambda q: ops.full(ops.shape(q), np.nan)).status == "wrong"

    def numpy_answer(q):
        q = np.asarray(q, "float64")
        w = q ** 2 / q.sum(0)
        return w / w.sum(1, keepdims=True)

    wrong = lesson16.target_distribution(numpy_answer)
    assert wrong.status == "wrong" and "keras.ops" in wrong.message


# ----------------------------------------------------------------------------- exercise 2: triplet loss

def triplet_answer(with_self=False, hinge=True, over_all=False, use_margin=True, squared=True):
    def fn(embeddings, labels, margin=0.2):
        e = ops.convert_to_tensor(embeddings)
        labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
        d = ops.sum(ops.square(ops.expand_dims(e, 1) - ops.expand_dims(e, 0)), axis=-1)
        if not squared:
            d = ops.sqrt(ops.maximum(d, 0.0))
        same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
        positive = same if with_self else ops.logical_and(same, ops.logical_not(
            ops.cast(ops.eye(ops.shape(labels)[0]), "bool")))
        valid = ops.cast(ops.logical_and(ops.expand_dims(positive, 2),
                                         ops.expand_dims(ops.logical_not(same), 1)), e.dtype)
        value = ops.expand_dims(d, 2) - ops.expand_dims(d, 1) + (margin if use_margin else 0.0)
        if hinge:
            value = ops.relu(value)
        count = ops.cast(ops.size(valid), e.dtype) if over_all else ops.maximum(ops.sum(valid), 1.0)
        return ops.sum(value * valid) / count
    return fn


def test_triplet_loss_check_passes_a_right_answer(capsys):
    assert lesson16.triplet_loss(triplet_answer())
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("answer, words", [
    (triplet_answer(with_self=True), "j = i"),
    (triplet_answer(hinge=False), "no hinge"),
    (triplet_answer(over_all=True), "number of valid triplets"),
    (triplet_answer(use_margin=False), "margin is missing"),
    (triplet_answer(squared=False), "not the distances themselves"),  # issue 28: this branch never fired
    (lambda e, lab, margin=0.2: triplet_answer()(e, lab), "ignores its `margin`"),
])
def test_triplet_loss_check_names_each_mistake(answer, words):
    wrong = lesson16.triplet_loss(answer)
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_triplet_loss_check_other_wrong_answers():
    assert lesson16.triplet_loss(todo).status == "todo"
    assert lesson16.triplet_loss(lambda e, lab, margin=0.2: None).status == "wrong"
    assert lesson16.triplet_loss(lambda e, lab, margin=0.2: ops.convert_to_tensor(np.nan)).status == "wrong"
    wrong = lesson16.triplet_loss(lambda e, lab, margin=0.2: ops.zeros((3,)))
    assert wrong.status == "wrong" and "one number" in wrong.message

    def nan_without_triplets(e, lab, margin=0.2):  # right, but 0/0 when no triplet is valid
        e = ops.convert_to_tensor(e)
        lab = ops.convert_to_tensor(lab)
        same = ops.equal(ops.expand_dims(lab, 1), ops.expand_dims(lab, 0))
        valid = ops.cast(ops.logical_and(ops.expand_dims(ops.logical_and(same, ops.logical_not(
            ops.cast(ops.eye(ops.shape(lab)[0]), "bool"))), 2), ops.expand_dims(ops.logical_not(same), 1)), e.dtype)
        d = ops.sum(ops.square(ops.expand_dims(e, 1) - ops.expand_dims(e, 0)), axis=-1)
        hinge = ops.relu(ops.expand_dims(d, 2) - ops.expand_dims(d, 1) + margin)
        return ops.sum(hinge * valid) / ops.sum(valid)

    wrong = lesson16.triplet_loss(nan_without_triplets)
    assert wrong.status == "wrong"

    def numpy_answer(e, lab, margin=0.2):
        e, lab = np.asarray(e, "float64"), np.asarray(lab)
        d = ((e[:, None] - e[None]) ** 2).sum(-1)
        same = lab[:, None] == lab[None]
        valid = (same & ~np.eye(len(lab), dtype=bool))[:, :, None] & ~same[:, None, :]
        hinge = np.maximum(d[:, :, None] - d[:, None, :] + margin, 0)
        return float((hinge * valid).sum() / max(valid.sum(), 1))

    wrong = lesson16.triplet_loss(numpy_answer)
    assert wrong.status == "wrong" and "keras.ops" in wrong.message


def test_checks_refuse_backend_specific_code():
    def tf_answer(q):
        import tensorflow as tf  # noqa: F401 (the check reads the source, never runs it)
        return tf.square(q)

    wrong = lesson16.target_distribution(tf_answer)
    assert wrong.status == "wrong" and "one backend" in wrong.message


# ----------------------------------------------------------------------------- exercise 1c: the clustering layer

def layer_answer(q_fn=None, trainable=True, config=True, use_alpha=True, as_numpy=False):
    """A DEC clustering layer, right by default, or with one mistake."""
    import keras

    q_fn = q_fn or q_answer()

    class Layer(keras.layers.Layer):
        def __init__(self, n_clusters, alpha=1.0, **kwargs):
            super().__init__(**kwargs)
            self.n_clusters, self.alpha = n_clusters, alpha

        def build(self, input_shape):
            self.centroids = self.add_weight(shape=(self.n_clusters, input_shape[-1]), initializer="glorot_uniform",
                                             name="centroids", trainable=trainable)

        def call(self, z):
            centroids = ops.convert_to_numpy(self.centroids) if as_numpy else self.centroids
            return q_fn(z, centroids, self.alpha if use_alpha else 1.0)

        def get_config(self):
            extra = {"n_clusters": self.n_clusters, "alpha": self.alpha} if config else {}
            return {**super().get_config(), **extra}

    return Layer


def test_clustering_layer_check_passes_a_right_answer(capsys):
    assert lesson16.clustering_layer(layer_answer())
    out = capsys.readouterr().out
    assert "[ok]" in out and "unsuplab/dec.py, ClusteringLayer" in out


@pytest.mark.parametrize("answer, words", [
    (layer_answer(trainable=False), "not trainable"),
    (layer_answer(q_answer(power=lambda a: -(a + 1.0))), "not -(alpha + 1)"),
    (layer_answer(q_answer(power=lambda a: -1.0)), "only for alpha = 1"),
    (layer_answer(use_alpha=False), "use self.alpha"),
    (layer_answer(q_answer(divide=False)), "divide the squared distance by alpha"),
    (layer_answer(q_answer(normalise=False)), "do not sum to 1"),
    (layer_answer(q_answer(axis=0)), "over the clusters j (axis=1"),
    (layer_answer(lambda z, c, alpha: ops.full((z.shape[0], c.shape[0]), np.nan)), "NaN"),
    (layer_answer(config=False), "get_config() must return n_clusters"),
    (layer_answer(as_numpy=True), "gradient"),  # TensorFlow: no gradient; JAX, PyTorch: the conversion fails
])
def test_clustering_layer_check_names_each_mistake(answer, words):
    wrong = lesson16.clustering_layer(answer)
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_clustering_layer_check_other_wrong_answers():
    import keras

    from unsuplab.dec import ClusteringLayer, soft_assignment

    class Todo(keras.layers.Layer):
        def __init__(self, n_clusters, alpha=1.0, **kwargs):
            super().__init__(**kwargs)

        def build(self, input_shape):
            raise NotImplementedError()

    assert lesson16.clustering_layer(Todo).status == "todo"

    class NoWeights(Todo):  # centroids as a constant: nothing to train
        def build(self, input_shape):
            self.fixed = np.zeros((3, input_shape[-1]), "float32")

        def call(self, z):
            return q_answer()(z, self.fixed)

    wrong = lesson16.clustering_layer(NoWeights)
    assert wrong.status == "wrong" and "add_weight" in wrong.message

    class Same(ClusteringLayer):
        pass

    wrong = lesson16.clustering_layer(Same)
    assert wrong.status == "wrong" and "adds nothing" in wrong.message

    class Calls(layer_answer()):
        def call(self, z):
            return soft_assignment(z, self.centroids, self.alpha)

    wrong = lesson16.clustering_layer(Calls)
    assert wrong.status == "wrong" and "library's soft_assignment" in wrong.message
    wrong = lesson16.clustering_layer(layer_answer()(3))  # an instance, not the class
    assert wrong.status == "wrong" and "the class itself" in wrong.message


def test_hidden_clustering_layer_check():
    assert lesson16.hidden_clustering_layer(layer_answer())
    assert lesson16.hidden_clustering_layer(layer_answer(use_alpha=False)).status == "wrong"
