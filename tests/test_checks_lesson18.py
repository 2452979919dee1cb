"""Lesson 18 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted', NaN is wrong."""

import numpy as np
from checks_reference import twin
from keras import ops

from unsuplab import embeddings
from unsuplab.checks import lesson18


def _todo(*args):
    raise NotImplementedError()


def _nan(*args):
    return float("nan")


# ----------------------------------------------------------------------------- exercise 1: skip-gram pairs

def _pairs(ids, window):
    ids = np.asarray(ids)
    centers, contexts = [], []
    for o in range(1, window + 1):
        centers += [ids[:-o], ids[o:]]
        contexts += [ids[o:], ids[:-o]]
    return np.concatenate(centers), np.concatenate(contexts)


def _loop_pairs(ids, window):  # a plain Python loop is right too
    pairs = [(ids[i], ids[j]) for i in range(len(ids)) for j in range(max(0, i - window), min(len(ids), i + window + 1))
             if i != j]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _with_self(ids, window):
    c, x = _pairs(ids, window)
    return np.r_[c, ids], np.r_[x, ids]


def _one_side(ids, window):
    ids = np.asarray(ids)
    return (np.concatenate([ids[:-o] for o in range(1, window + 1)]),
            np.concatenate([ids[o:] for o in range(1, window + 1)]))


def _short_window(ids, window):
    return _pairs(ids, window - 1) if window > 1 else (np.zeros(0, "int32"), np.zeros(0, "int32"))


def _rolled(ids, window):
    ids = np.asarray(ids)
    return (np.concatenate([ids for o in range(1, window + 1) for _ in (0, 1)]),
            np.concatenate([np.roll(ids, s * o) for o in range(1, window + 1) for s in (1, -1)]))


def _doubled(ids, window):
    c, x = _pairs(ids, window)
    return np.r_[c, c], np.r_[x, x]


def _positions(ids, window):
    return _pairs(np.arange(len(ids)), window)


def _message(fn, check=lesson18.skipgram_pairs):
    feedback = check(fn)
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_skipgram_pairs_right_answers(capsys):
    assert lesson18.skipgram_pairs(_pairs)
    assert lesson18.skipgram_pairs(_loop_pairs)
    assert lesson18.skipgram_pairs(twin(embeddings.skipgram_pairs))
    assert "[ok]" in capsys.readouterr().out


def test_skipgram_pairs_misconceptions():
    assert "never offset 0" in _message(_with_self)
    assert "one side" in _message(_one_side)
    assert "range(1, window + 1)" in _message(_short_window)
    assert "np.roll" in _message(_rolled)
    assert "more than once" in _message(_doubled)
    assert "not their positions" in _message(_positions)
    assert "returns None" in _message(lambda ids, w: None)
    assert "two arrays" in _message(lambda ids, w: ids)
    assert "same length" in _message(lambda ids, w: (ids, ids[:-1]))
    assert "integer word ids" in _message(lambda ids, w: tuple(a.astype("float32") for a in _pairs(ids, w)))


def test_skipgram_pairs_unfinished_and_nan():
    assert lesson18.skipgram_pairs(_todo).status == "todo"
    assert lesson18.skipgram_pairs(_nan).status == "wrong"
    nan_pairs = lesson18.skipgram_pairs(lambda ids, w: tuple(np.full(10, np.nan) for _ in range(2)))
    assert nan_pairs.status == "wrong"


# ----------------------------------------------------------------------------- exercise 2: the loss

def _right_loss(labels, logits):
    labels = ops.cast(labels, logits.dtype) if hasattr(logits, "dtype") else labels
    return ops.sum(labels * ops.softplus(-logits) + (1 - labels) * ops.softplus(logits), axis=-1)


def _log_sigmoid_loss(labels, logits):
    return -ops.sum(labels * ops.log_sigmoid(logits) + (1 - labels) * ops.log_sigmoid(-logits), axis=-1)


def _naive_log(labels, logits):
    return -ops.sum(labels * ops.log(ops.sigmoid(logits)) + (1 - labels) * ops.log(1 - ops.sigmoid(logits)),
                    axis=-1)


def _naive_log_sigmoid(labels, logits):  # issue 28: finite at +-60 (sigma(-60) = 8.8e-27), so it passed
    return -ops.sum(labels * ops.log(ops.sigmoid(logits)) + (1 - labels) * ops.log(ops.sigmoid(-logits)), axis=-1)


def _mean_over_candidates(labels, logits):
    return ops.mean(_right_loss(labels, logits)[:, None] / ops.cast(ops.shape(logits)[1], "float32"), axis=-1)


def _positive_only(labels, logits):
    return ops.sum(labels * ops.softplus(-logits), axis=-1)


def _all_positive(labels, logits):
    return ops.sum(ops.softplus(-logits), axis=-1)


def _flipped(labels, logits):
    return -_right_loss(labels, logits)


def _softmax(labels, logits):
    return -ops.sum(labels * ops.log_softmax(logits, axis=-1), axis=-1)


def _column_zero(labels, logits):
    return ops.softplus(-logits[:, 0]) + ops.sum(ops.softplus(logits[:, 1:]), axis=-1)


def _numpy_loss(labels, logits):
    logits, labels = np.asarray(logits), np.asarray(labels)
    return np.sum(labels * np.logaddexp(0, -logits) + (1 - labels) * np.logaddexp(0, logits), axis=-1)


def _loss_message(fn):
    feedback = lesson18.negative_sampling_loss(fn)
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_loss_right_answers(capsys):
    assert lesson18.negative_sampling_loss(_right_loss)
    assert lesson18.negative_sampling_loss(_log_sigmoid_loss)
    assert lesson18.negative_sampling_loss(twin(embeddings.negative_sampling_loss))
    assert lesson18.negative_sampling_loss(lambda y, s: ops.mean(_right_loss(y, s)))  # the batch mean is fine
    assert "[ok]" in capsys.readouterr().out


def test_loss_misconceptions():
    assert "softplus" in _loss_message(_naive_log)
    assert "softplus" in _loss_message(_naive_log_sigmoid)
    assert "sum over axis -1" in _loss_message(_mean_over_candidates)
    assert "only the true word" in _loss_message(_positive_only)
    assert "noise words like the true word" in _loss_message(_all_positive)
    assert "sign is flipped" in _loss_message(_flipped)
    assert "sampled softmax" in _loss_message(_softmax)
    assert "use `labels`" in _loss_message(_column_zero)
    assert "keras.ops only" in _loss_message(_numpy_loss)
    assert "one loss per row" in _loss_message(lambda y, s: ops.zeros((2, 2)))
    assert "returns None" in _loss_message(lambda y, s: None)

    def uses_tf(labels, logits):
        import tensorflow as tf  # noqa: F401  (the check reads the source; it never runs this)
        return tf.reduce_sum(logits)

    assert "one backend only" in _loss_message(uses_tf)


def test_loss_unfinished_and_nan():
    assert lesson18.negative_sampling_loss(_todo).status == "todo"
    assert lesson18.negative_sampling_loss(_nan).status == "wrong"
    assert lesson18.negative_sampling_loss(lambda y, s: ops.log(s - 100.0)).status == "wrong"


# ----------------------------------------------------------------------------- exercise 3: analogy

def _analogy(vectors, words, a, b, c, normalise=True, exclude=True, reverse=False, index=False):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if normalise else vectors
    row = {w: i for i, w in enumerate(words)}
    query = unit[row[a]] - unit[row[b]] + unit[row[c]] if reverse else unit[row[b]] - unit[row[a]] + unit[row[c]]
    scores = unit @ query
    if exclude:
        scores[[row[a], row[b], row[c]]] = -np.inf
    best = int(np.argmax(scores))
    return best if index else words[best]


def _analogy_message(**kwargs):
    feedback = lesson18.analogy(lambda *args: _analogy(*args, **kwargs))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_analogy_right_answers(capsys):
    assert lesson18.analogy(_analogy)
    analogy = twin(embeddings.analogy)
    assert lesson18.analogy(lambda v, w, a, b, c: analogy(v, w, a, b, c)[0])
    assert lesson18.analogy(twin(embeddings.analogy))  # a one-word list
    assert "[ok]" in capsys.readouterr().out


def test_analogy_toy_vectors_separate_the_misconceptions():
    args = (lesson18.ANALOGY_VECTORS, lesson18.ANALOGY_WORDS, "man", "king", "woman")
    assert embeddings.analogy(*args) == ["queen"]
    assert _analogy(*args, exclude=False) == "king"
    assert _analogy(*args, normalise=False) == "giant"
    assert _analogy(*args, reverse=True) == "prince"


def test_analogy_misconceptions():
    assert "query words" in _analogy_message(exclude=False)
    assert "longest vector" in _analogy_message(normalise=False)
    assert "b - a + c" in _analogy_message(reverse=True)
    assert "words[row]" in _analogy_message(index=True)
    assert "returns None" in lesson18.analogy(lambda *args: None).message
    assert lesson18.analogy(lambda *args: "apple").status == "wrong"


def test_analogy_unfinished_and_nan():
    assert lesson18.analogy(_todo).status == "todo"
    assert lesson18.analogy(_nan).status == "wrong"


# ----------------------------------------------------------------------------- exercise 2b: the skip-gram model

def _skipgram(vocab_size, dim, center_table="word_vectors", candidate_table="context_vectors", word_init=None,
              context_init="zeros", reshape=True, normalize=False, names=("word_vectors", "context_vectors")):
    import keras

    center = keras.Input(shape=(1,), dtype="int32")
    candidates = keras.Input(shape=(None,), dtype="int32")
    inits = {"word_vectors": word_init or keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim),
             "context_vectors": context_init}
    tables = {role: keras.layers.Embedding(vocab_size, dim, name=name, embeddings_initializer=inits[role])
              for role, name in zip(("word_vectors", "context_vectors"), names)}
    v, u = tables[center_table](center), tables[candidate_table](candidates)
    dots = keras.layers.Dot(axes=2, normalize=normalize)([u, v])
    return keras.Model([center, candidates], keras.layers.Reshape((-1,))(dots) if reshape else dots)


def _model_message(fn):
    return _message(fn, lesson18.skipgram_model)


def test_skipgram_model_right_answers(capsys):
    assert lesson18.skipgram_model(_skipgram)
    assert lesson18.hidden_skipgram_model(_skipgram)
    assert "[ok]" in capsys.readouterr().out


def test_skipgram_model_misconceptions():
    assert "no layer named 'word_vectors'" in _model_message(lambda n, d: _skipgram(n, d, names=("words", "ctx")))
    assert "one for the center word and one for the candidates" in _model_message(
        lambda n, d: _skipgram(n, d, candidate_table="word_vectors"))  # one table for both: the other is missing
    assert "tables are swapped" in _model_message(_swapped)
    assert "drop the last axis" in _model_message(lambda n, d: _skipgram(n, d, reshape=False))
    assert "cosines" in _model_message(lambda n, d: _skipgram(n, d, normalize=True))
    assert "context vectors u at 0" in _model_message(lambda n, d: _skipgram(n, d, context_init="uniform"))
    assert "word vectors v small and random" in _model_message(lambda n, d: _skipgram(n, d, word_init="zeros"))
    assert "one row of 6 numbers per word" in _model_message(lambda n, d: _skipgram(n, d + 1))
    assert "returns None" in _model_message(lambda n, d: None)


def _swapped(vocab_size, dim):  # the center looks up u, the candidates v (the word table keeps its start)
    return _skipgram(vocab_size, dim, center_table="context_vectors", candidate_table="word_vectors")


def test_skipgram_model_delegating_to_the_library_is_wrong():
    def delegates(vocab_size, dim):
        return embeddings.build_skipgram(vocab_size, dim)

    for answer in (delegates, embeddings.build_skipgram):
        assert "library's" in _model_message(answer)


def test_skipgram_model_unfinished_and_nan():
    assert lesson18.skipgram_model(_todo).status == "todo"
    assert lesson18.skipgram_model(_nan).status == "wrong"
