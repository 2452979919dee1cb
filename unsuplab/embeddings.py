"""Word embeddings: skip-gram and CBOW with negative sampling (word2vec), in Keras 3.

Skip-gram predicts each word's neighbours from the word, CBOW the word from the mean of its neighbours
(Mikolov, Chen, Corrado and Dean, *Efficient estimation of word representations in vector space*, 2013a).
Both are trained with **negative sampling** (Mikolov, Sutskever, Chen, Corrado and Dean, *Distributed
representations of words and phrases and their compositionality*, NIPS 2013b): for a true (word, context)
pair and ``k`` noise words ``n_1..n_k`` drawn from the unigram distribution raised to 0.75,

    loss = -log sigma(u_c . v_w) - sum_i log sigma(-u_{n_i} . v_w),

where ``v`` are the word vectors (input table) and ``u`` the context vectors (output table). Frequent words
are subsampled (2013b), and the window around each word is drawn uniformly from 1..``window`` (the "dynamic
window" of word2vec's code, which weights near neighbours more; Levy, Goldberg and Dagan, TACL 2015).

The pieces: :class:`Vocabulary` (``min_count``), :func:`keep_probability` (subsampling),
:func:`noise_distribution`, :func:`noise_table` and :func:`sample_negatives`, the vectorised samplers
:func:`skipgram_pairs` and :func:`cbow_examples`, the models :func:`build_skipgram` and :func:`build_cbow` (two
plain ``Embedding`` tables), :func:`negative_sampling_loss` (keras.ops, any backend), :func:`word2vec_optimizer`
and :func:`train_word2vec`, and the evaluation helpers :func:`similarity_spearman` (WordSim-353),
:func:`analogy` / :func:`analogy_accuracy` (3CosAdd; Levy and Goldberg, CoNLL 2014) and
:func:`nearest_neighbours`.
"""

import functools
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import keras
import numpy as np
from keras import layers, ops

from . import validation
from .training import callback_list, history_of
from .validation import number_at_least, positive_int

WORD_VECTORS = "word_vectors"        # the input table: the embedding everyone uses
CONTEXT_VECTORS = "context_vectors"  # the output table, used only in training
NOISE_TABLE_SIZE = 10 ** 7           # word2vec.c uses 1e8 slots; 1e7 resolves probabilities of 1e-7
STEPS_PER_EXECUTION = 32             # batches per compiled call in train_word2vec (1 on PyTorch)
BATCH_SIZE = {"skipgram": 2048, "cbow": 1024}  # train_word2vec's default examples per step, per kind (see there)


# ----------------------------------------------------------------------------- vocabulary and sampling

class Vocabulary(NamedTuple):
    """The words kept (most frequent first), their corpus counts, and ``index``: word -> row."""
    words: list
    counts: np.ndarray
    index: dict

    def __len__(self):
        return len(self.words)

    def encode(self, sentences):
        """Token ids of the words in the vocabulary (others dropped, as word2vec does) and the sentence each
        came from: two int32 arrays of the same length."""
        ids, sentence_ids = [], []
        for s, sentence in enumerate(sentences):
            row = [self.index[w] for w in sentence if w in self.index]
            ids.extend(row)
            sentence_ids.extend([s] * len(row))
        return np.asarray(ids, "int32"), np.asarray(sentence_ids, "int32")


def build_vocabulary(sentences, min_count=5):
    """The words seen at least ``min_count`` times, sorted by count (ties alphabetically)."""
    min_count = positive_int(min_count, "min_count")
    if isinstance(sentences, str) or not all(isinstance(s, (list, tuple)) for s in sentences):
        raise TypeError("`sentences` must be a list of sentences, each a list of word strings "
                        "(datasets.load_text returns one).")
    counts = Counter(w for sentence in sentences for w in sentence)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not kept:
        raise ValueError(f"no word occurs {min_count} times or more; lower `min_count` or give more text.")
    return Vocabulary(kept, np.array([counts[w] for w in kept], "int64"), {w: i for i, w in enumerate(kept)})


def keep_probability(counts, sample=1e-3):
    """Probability of keeping each occurrence of a word, for subsampling frequent words (Mikolov et al., 2013b).

    With ``f`` the word's share of the corpus, the paper discards an occurrence with probability
    ``1 - sqrt(t / f)``; word2vec's released code (and gensim) keep it with probability
    ``(sqrt(f / t) + 1) t / f = sqrt(t / f) + t / f``, at most 1. We use the code's rule, the one
    our peer gensim uses. ``sample = 0`` keeps everything.
    """
    counts = np.asarray(counts, "float64")
    sample = number_at_least(sample, "sample", 0.0)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts <= 0):
        raise ValueError("`counts` must be a non-empty 1-D array of positive word counts.")
    if sample == 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(sample / f) + sample / f)


def noise_distribution(counts, power=0.75):
    """The noise words' distribution of negative sampling: unigram counts to the power 0.75, normalised
    (Mikolov et al., 2013b: 3/4 beat both the unigram and the uniform distribution)."""
    counts = np.asarray(counts, "float64")
    if counts.ndim != 1 or counts.size == 0 or np.any(counts < 0) or counts.sum() <= 0:
        raise ValueError("`counts` must be a non-empty 1-D array of non-negative counts, not all 0.")
    p = counts ** float(power)
    return p / p.sum()


def noise_table(probabilities, size=NOISE_TABLE_SIZE):
    """word2vec's sampling table: word ``i`` fills about ``size * p_i`` of its ``size`` slots, so a uniform
    slot is a draw from ``probabilities`` (to within 1 / ``size``); every word with ``p_i > 0`` gets a slot."""
    p = np.asarray(probabilities, "float64")
    slots = np.maximum(np.round(p * size), p > 0).astype("int64")
    return np.repeat(np.arange(len(p), dtype="int32"), slots)


def sample_negatives(table, shape, rng):
    """Noise word ids, an int32 array of ``shape``: uniform slots of a :func:`noise_table`."""
    return table[rng.integers(0, len(table), shape, dtype="int32" if len(table) < 2 ** 31 else "int64")]


def _reach(n, window, rng):
    """Each position's window: uniform in 1..window (word2vec's dynamic window), or ``window`` without rng."""
    window = positive_int(window, "window")
    return np.full(n, window) if rng is None else rng.integers(1, window + 1, n)


def _check_ids(ids, sentence_ids):
    ids = validation.ids(ids, "ids")
    if sentence_ids is None:
        return ids, np.zeros(len(ids), "int32")
    sentence_ids = np.asarray(sentence_ids)
    if sentence_ids.shape != ids.shape:
        raise ValueError(f"`sentence_ids` must have the shape of `ids` {ids.shape}, got {sentence_ids.shape}.")
    return ids, sentence_ids


def skipgram_pairs(ids, window, rng=None, sentence_ids=None):
    """Every (center, context) pair with the context at most ``window`` positions away, in one sentence.

    Vectorised: one pass per offset ``1..window`` and direction, never a loop over tokens. With ``rng``
    each center gets its own window drawn from 1..``window`` (dynamic window); without it, all of it.
    Returns two int32 arrays (centers, contexts), grouped by offset.
    """
    ids, sentence_ids = _check_ids(ids, sentence_ids)
    reach = _reach(len(ids), window, rng)
    centers, contexts = [], []
    for offset in range(1, int(reach.max(initial=0)) + 1):
        same = sentence_ids[:-offset] == sentence_ids[offset:]
        right = same & (reach[:-offset] >= offset)   # center i, context i + offset
        left = same & (reach[offset:] >= offset)     # center i + offset, context i
        centers += [ids[:-offset][right], ids[offset:][left]]
        contexts += [ids[offset:][right], ids[:-offset][left]]
    if not centers:
        return np.zeros(0, "int32"), np.zeros(0, "int32")
    return np.concatenate(centers).astype("int32"), np.concatenate(contexts).astype("int32")


def cbow_examples(ids, window, rng=None, sentence_ids=None):
    """CBOW's examples: for each position, its context words and the word itself.

    Returns ``context`` (n, 2 window) int32 ids (0 where there is no neighbour), ``weights`` (n, 2 window)
    float32 (1 / the number of neighbours, 0 for padding: the mean of the context vectors as a weighted sum)
    and ``targets`` (n,) int32. Positions without any neighbour (one-word sentences) are left out.
    """
    ids, sentence_ids = _check_ids(ids, sentence_ids)
    n = len(ids)
    reach = _reach(n, window, rng)
    window = int(reach.max(initial=1))
    offsets = [o for o in range(-window, window + 1) if o != 0]
    position = np.arange(n)[:, None] + np.asarray(offsets)[None, :]
    inside = (position >= 0) & (position < n)
    position = np.clip(position, 0, max(n - 1, 0))
    valid = inside & (np.abs(offsets)[None, :] <= reach[:, None]) & (sentence_ids[position] == sentence_ids[:, None])
    count = valid.sum(1)
    keep = count > 0
    context = np.where(valid, ids[position], 0)[keep].astype("int32")
    weights = (valid / np.maximum(count, 1)[:, None])[keep].astype("float32")
    return context, weights, ids[keep].astype("int32")


# ----------------------------------------------------------------------------- models and loss

@keras.saving.register_keras_serializable(package="unsuplab")
def negative_sampling_loss(labels, logits):
    """Negative sampling (Mikolov et al., 2013b), one value per example: the sigmoid cross-entropy of each
    candidate's dot product, summed over the candidates.

    ``logits`` (batch, 1 + k) are the dot products of the true context word (label 1) and the k noise words
    (label 0) with the word. For label 1, ``-log sigma(s) = softplus(-s)``; for label 0,
    ``-log sigma(-s) = softplus(s)``; so the term is ``softplus(s) - y s``, finite for any ``s``.
    """
    logits = ops.convert_to_tensor(logits)
    labels = ops.cast(labels, logits.dtype)
    return ops.sum(ops.softplus(logits) - labels * logits, axis=-1)


@keras.saving.register_keras_serializable(package="unsuplab")
class ContextMean(layers.Layer):
    """CBOW's hidden vector: ``h = sum_c weight_c v_c`` with weights ``1 / |C|`` (the mean of the context's word
    vectors; 0 for padding). Backward, each context word gets the whole gradient of ``h``, not ``1 / |C|`` of
    it, as in word2vec's code and gensim (``cbow_mean=1``): forward the mean, backward the sum (a stop-gradient
    on the difference)."""

    def call(self, weights, vectors):
        weights = ops.cast(weights, vectors.dtype)
        mean = ops.einsum("bc,bcd->bd", weights, vectors)
        total = ops.einsum("bc,bcd->bd", ops.cast(weights > 0, vectors.dtype), vectors)
        return total + ops.stop_gradient(mean - total)

    def compute_output_shape(self, weights_shape, vectors_shape):
        return (vectors_shape[0], vectors_shape[2])


def _word_table(vocab_size, dim):
    """word2vec's start: word vectors uniform in +-0.5 / dim, context vectors 0."""
    return layers.Embedding(vocab_size, dim, name=WORD_VECTORS,
                            embeddings_initializer=keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim))


def _context_table(vocab_size, dim):
    return layers.Embedding(vocab_size, dim, name=CONTEXT_VECTORS, embeddings_initializer="zeros")


def build_skipgram(vocab_size, dim=100, name="skipgram"):
    """Skip-gram with negative sampling: ``[center (batch, 1), candidates (batch, 1 + k)] -> logits (batch, 1 + k)``.

    Each logit is ``u_candidate . v_center``; the first candidate is the true context word, the others noise
    words (any k). Train with :func:`negative_sampling_loss` and labels ``[1, 0, ..., 0]``.
    """
    vocab_size, dim = positive_int(vocab_size, "vocab_size", 2), positive_int(dim, "dim")
    center = keras.Input(shape=(1,), dtype="int32", name="center")
    candidates = keras.Input(shape=(None,), dtype="int32", name="candidates")
    v = _word_table(vocab_size, dim)(center)                  # (batch, 1, dim)
    u = _context_table(vocab_size, dim)(candidates)           # (batch, 1 + k, dim)
    logits = layers.Reshape((-1,), name="logits")(layers.Dot(axes=2)([u, v]))
    return keras.Model([center, candidates], logits, name=name)


def build_cbow(vocab_size, dim=100, name="cbow"):
    """CBOW with negative sampling: ``[context (batch, 2w), weights (batch, 2w), candidates (batch, 1 + k)]
    -> logits (batch, 1 + k)``.

    ``h`` is the mean of the context's word vectors (:class:`ContextMean`, weights from :func:`cbow_examples`,
    padding weighted 0), each logit ``u_candidate . h``; the first candidate is the center word.
    """
    vocab_size, dim = positive_int(vocab_size, "vocab_size", 2), positive_int(dim, "dim")
    context = keras.Input(shape=(None,), dtype="int32", name="context")
    weights = keras.Input(shape=(None,), name="context_weights")
    candidates = keras.Input(shape=(None,), dtype="int32", name="candidates")
    h = ContextMean(name="context_mean")(weights, _word_table(vocab_size, dim)(context))  # (batch, dim)
    u = _context_table(vocab_size, dim)(candidates)                                               # (batch, 1+k, dim)
    logits = layers.Dot(axes=(2, 1), name="logits")([u, h])
    return keras.Model([context, weights, candidates], logits, name=name)


def word_vectors(model):
    """The trained word vectors (vocab_size, dim) of a skip-gram or CBOW model, as NumPy."""
    return np.asarray(keras.ops.convert_to_numpy(model.get_layer(WORD_VECTORS).embeddings))


# ----------------------------------------------------------------------------- training

def _check_kind(kind):
    if kind not in BATCH_SIZE:
        raise ValueError(f"`kind` must be 'skipgram' or 'cbow', got {kind!r}.")
    return kind


def epoch_arrays(kind, ids, sentence_ids, vocab, window=5, negatives=5, sample=1e-3, rng=None):
    """One epoch of training data, shuffled: ``(inputs, labels)`` for :func:`build_skipgram` or
    :func:`build_cbow`, fresh subsampling, windows and noise words each call (as word2vec does per pass)."""
    _check_kind(kind)
    negatives = positive_int(negatives, "negatives")
    ids = validation.ids(ids, "ids", len(vocab))
    ids, sentence_ids = _check_ids(ids, sentence_ids)
    rng = rng if rng is not None else np.random.default_rng()
    kept = rng.random(len(ids)) < keep_probability(vocab.counts, sample)[ids]
    ids, sentence_ids = ids[kept], sentence_ids[kept]
    table = noise_table(noise_distribution(vocab.counts))
    if kind == "skipgram":
        centers, targets = skipgram_pairs(ids, window, rng, sentence_ids)
        order = rng.permutation(len(centers))
        inputs = [centers[order, None]]
    else:
        context, weights, targets = cbow_examples(ids, window, rng, sentence_ids)
        order = rng.permutation(len(targets))
        inputs = [context[order], weights[order]]
    candidates = np.concatenate([targets[order, None], sample_negatives(table, (len(order), negatives), rng)], 1)
    labels = np.zeros(candidates.shape, "int8")
    labels[:, 0] = 1
    return inputs + [candidates], labels


def word2vec_optimizer(learning_rate, batch_size, steps):
    """word2vec's optimiser in Keras: SGD whose rate per example starts at ``learning_rate`` (word2vec: 0.025
    for skip-gram, 0.05 for CBOW) and falls linearly to 1e-4 of it over ``steps`` batches. Keras averages the
    loss over a batch, so the Keras rate is ``learning_rate * batch_size``: each example moves the vectors as
    much as in word2vec's one-example-at-a-time updates. Keep batches near 1,000-2,000: in much larger ones a
    frequent word sums hundreds of such updates in one step and training diverges (16,384 did for skip-gram,
    4,096 for CBOW)."""
    rate = number_at_least(learning_rate, "learning_rate", 0.0) * positive_int(batch_size, "batch_size")
    schedule = keras.optimizers.schedules.PolynomialDecay(rate, positive_int(steps, "steps"), rate * 1e-4)
    return keras.optimizers.SGD(schedule)


def train_word2vec(model, kind, ids, sentence_ids, vocab, epochs=5, window=5, negatives=5, sample=1e-3,
                   learning_rate=0.025, batch_size=None, loss=negative_sampling_loss, seed=0, jit_compile=True,
                   callbacks=None, time_limit=None, verbose=0):
    """Compile ``model`` (from :func:`build_skipgram` or :func:`build_cbow`, as ``kind``) with ``loss`` and
    :func:`word2vec_optimizer` (XLA-compiled with ``jit_compile=True``: about a third less CPU time on
    TensorFlow), and train it ``epochs`` passes over the corpus, each from fresh :func:`epoch_arrays` cut to
    whole batches; return the ``keras.callbacks.History`` of the passes (:mod:`unsuplab.training`: ``callbacks``
    see each pass, ``time_limit`` stops after the call of batches that passes it). ``history.history`` keys, one per
    pass: ``loss``, ``examples``, ``seconds`` (since the start) and ``words_per_second`` (tokens in the vocabulary
    x passes so far / seconds, sampling included: the rate gensim reports).
    Each pass draws its own subsample and windows, so passes differ in length: one ``fit`` call per pass (one
    ``fit`` over a ``keras.utils.PyDataset`` would need equal passes: Keras reads a data set's number of batches
    once, when ``fit`` starts, and runs that many every epoch; ``keras/src/trainers/epoch_iterator.py``); the
    next pass is drawn in a background thread while this one trains (one generator, used in order: the same
    passes as drawing them in turn, and the 1-2 s of NumPy per pass on the full corpus hidden behind training).
    Each compiled call runs ``STEPS_PER_EXECUTION`` batches: one step on 1,024 pairs is a few microseconds of
    arithmetic and milliseconds of Python dispatch, so 32 per call make a pass 2-3x faster on TensorFlow with the
    same updates (benchmarks/word_embeddings.py). On PyTorch ``jit_compile`` is ignored (there it means
    ``torch.compile``, whose minutes of compiling cost more than this model's training saves: 264 s for a 2-epoch
    toy run, measured) and every call runs one batch (Keras's PyTorch trainer allows no more).
    ``batch_size`` defaults to ``BATCH_SIZE[kind]``: 2,048 for skip-gram, whose step costs little more than one
    of 1,024 (5 epochs of lesson 18's corpus in 22 s, not 30 s, at the same WordSim-353: 0.253, 0.251); 1,024
    for CBOW, whose summed context gradients diverge sooner (at 4,096; benchmarks/word_embeddings.py)."""
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(BATCH_SIZE[_check_kind(kind)] if batch_size is None else batch_size, "batch_size")
    rows = model.get_layer(WORD_VECTORS).input_dim
    if rows < len(vocab):
        raise ValueError(f"`model` has {rows} word vectors but `vocab` holds {len(vocab)} words: build it with "
                         f"vocab_size=len(vocab).")
    listed, limit = callback_list(callbacks, model, time_limit, epochs=epochs)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    listed.on_train_begin()
    draw = functools.partial(epoch_arrays, kind, ids, sentence_ids, vocab, window, negatives, sample, rng)
    with ThreadPoolExecutor(1) as prefetch:  # pass e + 1 is drawn while pass e trains: one rng, used in order
        upcoming = prefetch.submit(draw)
        for epoch in range(epochs):
            inputs, labels = upcoming.result()
            if epoch + 1 < epochs:
                upcoming = prefetch.submit(draw)
            whole = len(labels) // batch_size * batch_size or len(labels)  # whole batches: one shape, one trace
            inputs, labels = [x[:whole] for x in inputs], labels[:whole]
            if epoch == 0:
                steps = epochs * -(-len(labels) // batch_size)
                torch = keras.config.backend() == "torch"  # PyTorch's trainer runs one batch per call
                model.compile(word2vec_optimizer(learning_rate, batch_size, steps), loss,
                              jit_compile=bool(jit_compile) and not torch,
                              steps_per_execution=1 if torch else STEPS_PER_EXECUTION)
            fitted = model.fit(inputs, labels, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
                               callbacks=[limit])
            seconds = time.perf_counter() - start
            logs = {"loss": float(fitted.history["loss"][-1]), "examples": len(labels), "seconds": seconds,
                    "words_per_second": len(ids) * (epoch + 1) / seconds}
            if verbose:
                print(f"{kind} epoch {epoch + 1}/{epochs}: {len(labels):,} examples, loss {logs['loss']:.4f}, "
                      f"{seconds:.0f} s")
            listed.on_epoch_end(epoch, logs)
            if limit.hit or model.stop_training:
                upcoming.cancel()
                break
    listed.on_train_end()
    return history_of(listed)


# ----------------------------------------------------------------------------- evaluation

def _unit(vectors, words):
    """The rows of ``vectors`` scaled to unit length, after checking them (finite numbers, one row per word)."""
    vectors = validation.points(vectors, "vectors", "float64")
    if isinstance(words, str) or not hasattr(words, "__len__"):
        raise TypeError(f"`words` must be a list of words or a Vocabulary, got {type(words).__name__}.")
    if len(words) != len(vectors):
        raise ValueError(f"`vectors` has {len(vectors)} rows but `words` has {len(words)} words; row i is the "
                         "vector of word i, so they must match (use word_vectors(model) with its Vocabulary).")
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _index(words):
    if isinstance(words, Vocabulary):
        return words.index
    return {w: i for i, w in enumerate(words)}


def similarity_spearman(vectors, words, pairs):
    """Spearman correlation between the cosine similarities of word pairs and human scores (WordSim-353:
    Finkelstein et al., 2002), over the pairs whose two words are in ``words``.

    Returns ``(rho, coverage)``, coverage = the share of the pairs used (report it: scores on different
    subsets are not comparable).
    """
    from scipy.stats import spearmanr

    index, unit = _index(words), _unit(vectors, words)
    used = [(index[a], index[b], s) for a, b, s in pairs if a in index and b in index]
    if len(used) < 3:
        raise ValueError(f"only {len(used)} of the {len(pairs)} pairs have both words in the vocabulary.")
    a, b, human = (np.array(column) for column in zip(*used))
    try:
        human = human.astype("float64")
    except ValueError:
        raise TypeError("`pairs` must be (word, word, score) triples with numeric scores, got scores such as "
                        f"{human[0]!r}.") from None
    if not np.all(np.isfinite(human)):
        raise ValueError("`pairs` holds a NaN or infinite score.")
    return float(spearmanr(np.sum(unit[a] * unit[b], axis=1), human).statistic), len(used) / len(pairs)


def analogy(vectors, words, a, b, c, topn=1):
    """The word(s) ``d`` with "a is to b as c is to d": the 3CosAdd rule of Mikolov et al. (2013a; named by
    Levy and Goldberg, 2014), ``argmax_d cos(d, b - a + c)`` on unit vectors, ``a``, ``b``, ``c`` excluded."""
    index, unit = _index(words), _unit(vectors, words)
    missing = [w for w in (a, b, c) if w not in index]
    if missing:
        raise KeyError(f"not in the vocabulary: {', '.join(missing)}")
    scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    scores[[index[a], index[b], index[c]]] = -np.inf
    best = np.argsort(-scores)[:positive_int(topn, "topn")][:max(len(scores) - len({a, b, c}), 0)]  # a, b, c out
    names = list(words.words if isinstance(words, Vocabulary) else words)
    return [names[i] for i in best]


def analogy_accuracy(vectors, words, questions, batch_size=512):
    """Accuracy of 3CosAdd (see :func:`analogy`) on ``questions`` ``(a, b, c, d)`` whose four words are in the
    vocabulary; returns ``(accuracy, coverage)`` (the vocabulary restriction of Mikolov et al. 2013a's
    evaluation). ``questions`` is a list, or a dict of sections (:func:`unsuplab.datasets.analogy_questions`)."""
    if isinstance(questions, dict):
        questions = [q for section in questions.values() for q in section]
    index, unit = _index(words), _unit(vectors, words)
    used = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)], "int64")
    if len(used) == 0:
        return float("nan"), 0.0
    correct = 0
    for start in range(0, len(used), batch_size):
        q = used[start:start + batch_size]
        scores = (unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]) @ unit.T
        rows = np.arange(len(q))[:, None]
        scores[rows, q[:, :3]] = -np.inf
        correct += int(np.sum(np.argmax(scores, axis=1) == q[:, 3]))
    return correct / len(used), len(used) / len(questions)


def nearest_neighbours(vectors, words, queries, k=5):
    """``{query: [(word, cosine), ...]}``: the ``k`` nearest words by cosine similarity, the query left out
    (queries not in the vocabulary are skipped)."""
    index, unit = _index(words), _unit(vectors, words)
    names = list(words.words if isinstance(words, Vocabulary) else words)
    table = {}
    for query in queries:
        if query not in index:
            continue
        scores = unit @ unit[index[query]]
        scores[index[query]] = -np.inf
        best = np.argsort(-scores)[:positive_int(k, "k")][:len(scores) - 1]  # never the query itself
        table[query] = [(names[i], float(scores[i])) for i in best]
    return table
