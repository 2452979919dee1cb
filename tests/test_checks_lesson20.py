"""Lesson 20's check cells: a correct answer passes, each named mistake is named, an unfinished one waits."""

import numpy as np
import pytest
from keras import ops

from unsuplab.checks import lesson20
from unsuplab.selfsupervised import ContrastiveViews


def todo(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------------------- exercise 1: NT-Xent

def nt_xent_answer(normalise=True, divide=True, mask_self=True, both=True, positive_in=True, cross_only=False,
                   reduce="mean"):
    """A keras.ops NT-Xent, right by default or with one mistake."""
    def fn(z1, z2, temperature):
        if normalise:
            z1 = z1 / ops.norm(z1, axis=1, keepdims=True)
            z2 = z2 / ops.norm(z2, axis=1, keepdims=True)
        n = ops.shape(z1)[0]
        if cross_only:
            s = ops.matmul(z1, ops.transpose(z2))
            s = s / temperature if divide else s
            rows = -ops.diagonal(s) + ops.logsumexp(s, axis=1)
        else:
            z = ops.concatenate([z1, z2], axis=0)
            s = ops.matmul(z, ops.transpose(z))
            s = s / temperature if divide else s
            pos = ops.concatenate([ops.arange(n) + n, ops.arange(n)])
            positive_mask = ops.one_hot(pos, 2 * n)
            if mask_self:
                s_den = s - 1e9 * ops.eye(2 * n)
            else:
                s_den = s
            if not positive_in:
                s_den = s_den - 1e9 * positive_mask
            rows = -ops.sum(s * positive_mask, axis=1) + ops.logsumexp(s_den, axis=1)
            rows = rows if both else rows[:n]
        return ops.sum(rows) if reduce == "sum" else ops.mean(rows)
    return fn


def test_nt_xent_check_passes_a_right_answer(capsys):
    assert lesson20.nt_xent(nt_xent_answer())
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("answer, words", [
    (nt_xent_answer(normalise=False), "unit length"),
    (nt_xent_answer(divide=False), "divide the similarities by the temperature"),
    (nt_xent_answer(mask_self=False), "its own candidate"),
    (nt_xent_answer(both=False), "all 2N anchors"),
    (nt_xent_answer(positive_in=False), "the positive included"),
    (nt_xent_answer(cross_only=True), "not only the N candidates"),
    (nt_xent_answer(reduce="sum"), "not the sum"),
    (lambda z1, z2, temperature: ops.mean(z1) * 0 + 1.0, "should be"),
])
def test_nt_xent_check_names_each_mistake(answer, words):
    wrong = lesson20.nt_xent(answer)
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_nt_xent_check_other_wrong_answers():
    assert lesson20.nt_xent(todo).status == "todo"
    assert lesson20.nt_xent(lambda z1, z2, temperature: None).status == "wrong"
    assert lesson20.nt_xent(lambda z1, z2, temperature: ops.full((), np.nan)).status == "wrong"
    wrong = lesson20.nt_xent(lambda z1, z2, temperature: float(ops.convert_to_numpy(nt_xent_answer()(z1, z2,
                                                                                                    temperature))))
    assert wrong.status == "wrong" and "keras.ops" in wrong.message

    def tf_answer(z1, z2, temperature):
        import tensorflow as tf  # noqa: F401
        return nt_xent_answer()(z1, z2, temperature)

    wrong = lesson20.nt_xent(tf_answer)
    assert wrong.status == "wrong" and "one backend" in wrong.message


def test_nt_xent_check_gives_private_inputs():
    def spoiler(z1, z2, temperature):  # changes what it was given, then answers
        result = nt_xent_answer()(z1, z2, temperature)
        z1_np = ops.convert_to_numpy(z1)
        z1_np[...] = 0.0
        return result

    assert lesson20.nt_xent(spoiler)


# ----------------------------------------------------------------------------- exercise 2: momentum update

def ema_answer(kind="right"):
    def fn(keys, queries, momentum):
        m = momentum
        if kind == "swapped":
            return [m * q + (1 - m) * k for k, q in zip(keys, queries)]
        if kind == "copy":
            return list(queries)
        if kind == "unchanged":
            return list(keys)
        if kind == "m_both":
            return [m * k + m * q for k, q in zip(keys, queries)]
        if kind == "no_weight":
            return [m * k + q for k, q in zip(keys, queries)]
        if kind == "one":
            return m * keys[0] + (1 - m) * queries[0]
        return [m * k + (1 - m) * q for k, q in zip(keys, queries)]
    return fn


def test_momentum_check_passes_a_right_answer(capsys):
    assert lesson20.momentum_update(ema_answer())
    assert lesson20.momentum_update(lambda k, q, m: [ops.add(ops.multiply(m, a), ops.multiply(1 - m, b))
                                                     for a, b in zip(k, q)])
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("kind, words", [("swapped", "wrong way round"), ("copy", "copied the query"),
                                         ("unchanged", "did not change"), ("m_both", "(1 - m), not m"),
                                         ("no_weight", "weight is (1 - m)"), ("one", "one new value per weight")])
def test_momentum_check_names_each_mistake(kind, words):
    wrong = lesson20.momentum_update(ema_answer(kind))
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_momentum_check_other_wrong_answers():
    assert lesson20.momentum_update(todo).status == "todo"
    assert lesson20.momentum_update(lambda k, q, m: None).status == "wrong"
    assert lesson20.momentum_update(lambda k, q, m: [a * np.nan for a in k]).status == "wrong"
    wrong = lesson20.momentum_update(lambda k, q, m: [a[:1] for a in ema_answer()(k, q, m)])
    assert wrong.status == "wrong" and "keeps its shape" in wrong.message


# ----------------------------------------------------------------------------- exercise 3: views

def views_answer(kind="right"):
    def fn(crop):
        if kind == "right":
            return ContrastiveViews(crop=(0.6, 1.0) if crop else (1.0, 1.0))
        if kind == "never":
            return ContrastiveViews(crop=(1.0, 1.0))
        if kind == "always":
            return ContrastiveViews(crop=(0.6, 1.0))
        if kind == "bare":
            return ContrastiveViews(crop=(0.6, 1.0)) if crop else ContrastiveViews((1.0, 1.0), brightness=0,
                                                                                   contrast=0)
        if kind == "flip":
            return ContrastiveViews(crop=(0.6, 1.0) if crop else (1.0, 1.0), flip=True)
        if kind == "more":
            return ContrastiveViews(crop=(0.6, 1.0), brightness=0.8) if crop else ContrastiveViews((1.0, 1.0))
        if kind == "noise":
            return ContrastiveViews(crop=(0.6, 1.0) if crop else (1.0, 1.0), noise=0.05)
        return "a layer"
    return fn


def test_views_check_passes_a_right_answer(capsys):
    assert lesson20.views_with_and_without_crop(views_answer())
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("kind, words", [("never", "not cropped"), ("always", "pixels still move"),
                                         ("bare", "keep the brightness/contrast"), ("flip", "turn flips off"),
                                         ("more", "more than the crop"), ("noise", "noise"),
                                         ("text", "return a Keras layer")])
def test_views_check_names_each_mistake(kind, words):
    wrong = lesson20.views_with_and_without_crop(views_answer(kind))
    assert wrong.status == "wrong" and words in wrong.message, wrong.message


def test_views_check_other_wrong_answers():
    import keras

    assert lesson20.views_with_and_without_crop(todo).status == "todo"
    assert lesson20.views_with_and_without_crop(lambda crop: None).status == "wrong"

    class Broken(keras.layers.Layer):
        def call(self, x, training=None):
            return x * np.nan if training else x

    wrong = lesson20.views_with_and_without_crop(lambda crop: Broken())
    assert wrong.status == "wrong" and "[0, 1]" in wrong.message
