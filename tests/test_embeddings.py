"""Word embeddings (unsuplab.embeddings): samplers, the negative-sampling loss, the two models, evaluation."""

import math

import keras
import numpy as np
import pytest
from autodiff import gradient
from keras import ops

from unsuplab import datasets
from unsuplab import embeddings as emb


def to_np(t):
    return np.asarray(ops.convert_to_numpy(t), dtype="float64")


TOY = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat", "and", "a", "dog"]]


# ----------------------------------------------------------------------------- vocabulary and samplers

def test_vocabulary_keeps_frequent_words_most_frequent_first():
    vocab = emb.build_vocabulary(TOY, min_count=2)
    assert vocab.words == ["the", "a", "cat", "dog", "sat"]  # 3, then ties alphabetically
    assert vocab.counts.tolist() == [3, 2, 2, 2, 2] and vocab.index["cat"] == 2 and len(vocab) == 5
    ids, sentence_ids = vocab.encode(TOY)
    assert [vocab.words[i] for i in ids] == ["the", "cat", "sat", "the", "the", "dog", "sat", "a", "cat", "a", "dog"]
    assert sentence_ids.tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert ids.dtype == np.int32


def _pairs(centers, contexts):
    return sorted(zip(centers.tolist(), contexts.tolist()))


def test_skipgram_pairs_fixed_window_by_hand():
    ids = np.arange(5, dtype="int32")
    want = sorted((i, j) for i in range(5) for j in range(5) if 0 < abs(i - j) <= 2)
    assert _pairs(*emb.skipgram_pairs(ids, 2)) == want
    # sentences are never crossed
    got = _pairs(*emb.skipgram_pairs(ids, 2, sentence_ids=np.array([0, 0, 0, 1, 1])))
    assert got == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (3, 4), (4, 3)]
    assert emb.skipgram_pairs(np.array([7], "int32"), 3)[0].size == 0


def test_skipgram_dynamic_window_is_uniform_and_symmetric():
    ids = np.arange(20000, dtype="int32")  # distinct ids: a pair's offset is contexts - centers
    centers, contexts = emb.skipgram_pairs(ids, 4, rng=np.random.default_rng(0))
    offsets = np.abs(contexts - centers)
    assert offsets.min() == 1 and offsets.max() == 4
    # a center sees offset o when its window b >= o, b uniform in 1..4: P = (5 - o) / 4, on both sides
    share = np.bincount(offsets, minlength=5)[1:] / (2 * len(ids))
    np.testing.assert_allclose(share, [(5 - o) / 4 for o in range(1, 5)], atol=0.01)
    assert abs(np.mean(contexts > centers) - 0.5) < 0.01
    again = emb.skipgram_pairs(ids, 4, rng=np.random.default_rng(0))
    assert np.array_equal(again[0], centers) and np.array_equal(again[1], contexts)


def test_cbow_examples_average_the_window():
    ids = np.array([10, 11, 12, 13, 14], "int32")
    context, weights, targets = emb.cbow_examples(ids, 2, sentence_ids=np.array([0, 0, 0, 0, 1]))
    assert targets.tolist() == [10, 11, 12, 13]  # 14 is alone in its sentence
    assert context.shape == weights.shape == (4, 4)
    np.testing.assert_allclose(weights.sum(1), 1.0, rtol=1e-6)
    # the context of 12: 10, 11, 13 (14 is in another sentence), each weighted 1/3
    row = dict(zip(context[2][weights[2] > 0].tolist(), weights[2][weights[2] > 0].tolist()))
    assert set(row) == {10, 11, 13} and np.allclose(list(row.values()), 1 / 3)


def test_keep_probability_is_word2vecs_formula():
    counts = np.array([600, 300, 90, 10])
    f = counts / counts.sum()
    t = 1e-2
    np.testing.assert_allclose(emb.keep_probability(counts, t), np.minimum(1, np.sqrt(t / f) + t / f))
    assert emb.keep_probability(counts, 0).tolist() == [1, 1, 1, 1]
    assert emb.keep_probability(counts, t)[-1] == 1.0  # rare words are always kept
    # subsampling in practice: an epoch keeps each occurrence with its word's probability
    vocab = emb.Vocabulary(["the", "x"], np.array([9000, 1000]), {"the": 0, "x": 1})
    ids = np.random.default_rng(1).permutation(np.r_[np.zeros(9000, "int32"), np.ones(1000, "int32")])
    keep = emb.keep_probability(vocab.counts, 0.05)
    (_, _, candidates), _ = emb.epoch_arrays("cbow", ids, np.zeros(len(ids), "int32"), vocab, window=1, sample=0.05,
                                             rng=np.random.default_rng(0))
    kept = np.bincount(candidates[:, 0], minlength=2)  # CBOW: one example per kept token
    np.testing.assert_allclose(kept, vocab.counts * keep, rtol=0.06)
    assert keep[0] < 0.5 and keep[1] == 1.0
    with pytest.raises(ValueError, match="counts"):
        emb.keep_probability([5, 0], 1e-3)
    with pytest.raises(ValueError, match="sample"):
        emb.keep_probability([5, 3], -1)


def test_negatives_follow_unigram_to_the_three_quarters():
    counts = np.array([1000, 300, 100, 10, 1])
    p = emb.noise_distribution(counts)
    np.testing.assert_allclose(p, counts ** 0.75 / np.sum(counts ** 0.75))
    draws = emb.sample_negatives(emb.noise_table(p), (200000,), np.random.default_rng(0))
    share = np.bincount(draws, minlength=5) / draws.size
    np.testing.assert_allclose(share, p, atol=0.004)
    assert share[0] < counts[0] / counts.sum() - 0.05  # flatter than the unigram distribution
    assert draws.dtype == np.int32
    assert set(emb.noise_table(np.array([1 - 1e-9, 1e-9]), size=1000).tolist()) == {0, 1}  # no word left out


def test_epoch_arrays_shapes_and_labels():
    vocab = emb.build_vocabulary(TOY, min_count=1)
    ids, sentence_ids = vocab.encode(TOY)
    rng = np.random.default_rng(0)
    (center, candidates), labels = emb.epoch_arrays("skipgram", ids, sentence_ids, vocab, 2, 3, 0, rng)
    assert center.shape == (len(labels), 1) and candidates.shape == labels.shape == (len(labels), 4)
    assert labels[:, 0].tolist() == [1] * len(labels) and not labels[:, 1:].any()
    (context, weights, candidates), labels = emb.epoch_arrays("cbow", ids, sentence_ids, vocab, 2, 3, 0, rng)
    assert context.shape[0] == weights.shape[0] == candidates.shape[0] == len(ids)
    with pytest.raises(ValueError, match="kind"):
        emb.epoch_arrays("glove", ids, sentence_ids, vocab)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="min_count"):
        emb.build_vocabulary(TOY, min_count=0)
    with pytest.raises(TypeError, match="sentences"):
        emb.build_vocabulary("the cat sat")
    with pytest.raises(ValueError, match="no word occurs"):
        emb.build_vocabulary(TOY, min_count=100)
    with pytest.raises(ValueError, match="window"):
        emb.skipgram_pairs(np.arange(5), 0)
    with pytest.raises(ValueError, match="ids"):
        emb.skipgram_pairs(np.array([[1, 2]]), 2)
    with pytest.raises(ValueError, match="sentence_ids"):
        emb.cbow_examples(np.arange(5), 2, sentence_ids=np.zeros(4))
    with pytest.raises(ValueError, match="vocab_size"):
        emb.build_skipgram(1)
    with pytest.raises(TypeError, match="dim"):
        emb.build_cbow(10, dim=2.5)


# ----------------------------------------------------------------------------- loss and models

def test_negative_sampling_loss_closed_form_and_stability():
    logits = np.array([[2.0, -1.0, 0.5], [-3.0, 4.0, 0.0]], "float32")
    labels = np.array([[1, 0, 0], [1, 0, 0]], "int8")

    def log_sigmoid(x):
        return -np.log1p(np.exp(-x))

    want = -log_sigmoid(logits[:, 0]) - np.sum(log_sigmoid(-logits[:, 1:]), axis=1)
    np.testing.assert_allclose(to_np(emb.negative_sampling_loss(labels, logits)), want, rtol=1e-5)
    huge = np.array([[-80.0, 80.0]], "float32")  # sigma(-80) = 0 in float32: a naive log gives inf
    np.testing.assert_allclose(to_np(emb.negative_sampling_loss(np.array([[1, 0]]), huge)), [160.0], rtol=1e-5)
    assert to_np(emb.negative_sampling_loss(np.array([[1, 0]]), np.array([[80.0, -80.0]], "float32")))[0] < 1e-6


def _dot(model, a, b):
    return float(to_np(model([np.array([[a]], "int32"), np.array([[b]], "int32")]))[0, 0])


def test_training_raises_a_positive_pairs_dot_product():
    keras.utils.set_random_seed(0)
    model = emb.build_skipgram(20, 8)
    model.compile(keras.optimizers.SGD(1.0), emb.negative_sampling_loss)
    layer = model.get_layer(emb.CONTEXT_VECTORS)  # start the context vectors off zero so dot products move
    layer.embeddings.assign(np.random.default_rng(0).normal(0, 0.1, (20, 8)).astype("float32"))
    before, negative_before = _dot(model, 3, 5), _dot(model, 3, 7)
    x = [np.array([[3]], "int32"), np.array([[5, 7, 9]], "int32")]
    for _ in range(5):
        model.train_on_batch(x, np.array([[1, 0, 0]], "int8"))
    assert _dot(model, 3, 5) > before + 0.05
    assert _dot(model, 3, 7) < negative_before - 0.05


def test_models_shapes_and_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    sg = emb.build_skipgram(30, 6)
    sg.compile("sgd", emb.negative_sampling_loss)
    center, candidates = np.array([[1], [2]], "int32"), np.array([[3, 4, 5], [6, 7, 8]], "int32")
    assert tuple(sg([center, candidates]).shape) == (2, 3)
    assert tuple(sg([center, candidates[:, :2]]).shape) == (2, 2)  # any number of negatives
    sg.train_on_batch([center, candidates], np.array([[1, 0, 0]] * 2, "int8"))
    path = tmp_path / "sg.keras"
    sg.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(to_np(again([center, candidates])), to_np(sg([center, candidates])), rtol=1e-6)
    np.testing.assert_allclose(emb.word_vectors(again), emb.word_vectors(sg))
    assert emb.word_vectors(sg).shape == (30, 6)

    cbow = emb.build_cbow(30, 6)
    cbow.compile("sgd", emb.negative_sampling_loss)
    context = np.array([[1, 2, 0, 0], [3, 4, 5, 6]], "int32")
    weights = np.array([[0.5, 0.5, 0, 0], [0.25] * 4], "float32")
    out = to_np(cbow([context, weights, candidates]))
    assert out.shape == (2, 3)
    # the logit is u . mean of the context's word vectors
    v, u = emb.word_vectors(cbow), np.random.default_rng(1).normal(size=(30, 6)).astype("float32")
    cbow.get_layer(emb.CONTEXT_VECTORS).embeddings.assign(u)
    want = np.einsum("bkd,bd->bk", u[candidates], np.einsum("bc,bcd->bd", weights, v[context]))
    np.testing.assert_allclose(to_np(cbow([context, weights, candidates])), want, rtol=1e-4, atol=1e-6)
    path = tmp_path / "cbow.keras"
    cbow.save(path)
    np.testing.assert_allclose(to_np(keras.models.load_model(path)([context, weights, candidates])), want,
                               rtol=1e-4, atol=1e-6)


def test_word2vec_optimizer_is_sgd_falling_linearly():
    optimizer = emb.word2vec_optimizer(0.025, 100, steps=10)
    schedule = optimizer._learning_rate
    assert isinstance(optimizer, keras.optimizers.SGD)
    np.testing.assert_allclose([float(to_np(schedule(s))) for s in (0, 5, 10, 20)],
                               [2.5, 2.5 * 0.5 + 2.5e-4 * 0.5, 2.5e-4, 2.5e-4], rtol=1e-5)
    with pytest.raises(ValueError, match="steps"):
        emb.word2vec_optimizer(0.025, 100, steps=0)


def test_context_mean_forward_mean_backward_whole_gradient():
    weights = np.array([[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]], "float32")
    vectors = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    layer = emb.ContextMean()
    np.testing.assert_allclose(to_np(layer(weights, vectors)), np.einsum("bc,bcd->bd", weights, vectors), rtol=1e-5)
    # word2vec's update: each context word gets all of h's gradient (1, not 1/|C|); padding gets none
    grad = gradient(lambda v: layer(weights, v), vectors)
    np.testing.assert_allclose(grad, np.broadcast_to((weights > 0)[..., None], vectors.shape).astype("float32"))


def test_train_word2vec_runs_and_reports():
    keras.utils.set_random_seed(0)
    sentences = [["a", "b", "c", "d"] * 5, ["c", "d", "a", "b"] * 5] * 10
    vocab = emb.build_vocabulary(sentences, 1)
    ids, sentence_ids = vocab.encode(sentences)
    for kind, build in (("skipgram", emb.build_skipgram), ("cbow", emb.build_cbow)):
        model = build(len(vocab), 4)
        history = emb.train_word2vec(model, kind, ids, sentence_ids, vocab, epochs=2, window=2, negatives=2,
                                     sample=0, batch_size=64)
        report = history.history
        assert isinstance(history, keras.callbacks.History) and history.model is model
        assert len(report["loss"]) == 2 and all(math.isfinite(v) for v in report["loss"])
        assert report["loss"][1] < report["loss"][0] and report["words_per_second"][-1] > 0
        assert report["examples"][0] > 0 and report["seconds"][1] >= report["seconds"][0]
        rate = model.optimizer.learning_rate  # word2vec's schedule: 0.025 per example, falling linearly
        assert isinstance(model.optimizer, keras.optimizers.SGD) and float(to_np(rate)) < 0.025 * 64 / 2
        # pass e trains on the e-th draw of epoch_arrays from default_rng(seed), cut to whole batches (the next
        # pass is drawn while this one trains, from the same generator in the same order)
        rng = np.random.default_rng(0)
        drawn = [len(emb.epoch_arrays(kind, ids, sentence_ids, vocab, 2, 2, 0, rng)[1]) for _ in range(2)]
        assert report["examples"] == [n // 64 * 64 for n in drawn]
        stopped = emb.train_word2vec(build(len(vocab), 4), kind, ids, sentence_ids, vocab, epochs=3, window=2,
                                     negatives=2, sample=0, batch_size=64, time_limit=1e-9)
        assert len(stopped.history["loss"]) == 1  # the drawn-ahead pass is dropped, not trained


def test_train_word2vec_refuses_an_unknown_kind():
    vocab = emb.build_vocabulary([["a", "b", "a", "b"]], 1)
    ids, sentence_ids = vocab.encode([["a", "b", "a", "b"]])
    with pytest.raises(ValueError, match="`kind` must be 'skipgram' or 'cbow', got 'glove'"):
        emb.train_word2vec(emb.build_skipgram(len(vocab), 2), "glove", ids, sentence_ids, vocab)


# ----------------------------------------------------------------------------- evaluation

WORDS = ["man", "woman", "king", "queen", "apple", "pear"]
# a toy space where king - man + woman = queen exactly, and fruit points elsewhere
VECTORS = np.array([[1, 0, 0], [1, 1, 0], [2, 0, 1], [2, 1, 1], [0, 0, 5], [0, 0.2, 5]], "float32")


def test_analogy_and_accuracy_on_toy_vectors():
    assert emb.analogy(VECTORS, WORDS, "man", "king", "woman") == ["queen"]
    assert emb.analogy(VECTORS, WORDS, "man", "king", "woman", topn=2)[0] == "queen"
    questions = {"royal": [("man", "king", "woman", "queen"), ("man", "woman", "king", "queen")],
                 "fruit": [("apple", "pear", "man", "woman"), ("apple", "kiwi", "man", "woman")]}
    accuracy, coverage = emb.analogy_accuracy(VECTORS, WORDS, questions)
    assert coverage == 0.75
    assert accuracy == pytest.approx(np.mean([emb.analogy(VECTORS, WORDS, *q[:3])[0] == q[3]
                                              for q in [questions["royal"][0], questions["royal"][1],
                                                        questions["fruit"][0]]]))
    assert emb.analogy_accuracy(VECTORS, WORDS, [("x", "y", "z", "w")]) == (pytest.approx(float("nan"),
                                                                                          nan_ok=True), 0.0)
    with pytest.raises(KeyError, match="kiwi"):
        emb.analogy(VECTORS, WORDS, "apple", "kiwi", "man")


def test_similarity_spearman_and_neighbours_on_toy_vectors():
    pairs = [("apple", "pear", 9.0), ("king", "queen", 8.0), ("man", "apple", 1.0), ("woman", "pear", 0.5),
             ("apple", "kiwi", 7.0)]
    rho, coverage = emb.similarity_spearman(VECTORS, WORDS, pairs)
    assert coverage == 0.8
    unit = VECTORS / np.linalg.norm(VECTORS, axis=1, keepdims=True)
    from scipy.stats import spearmanr

    cos = [unit[WORDS.index(a)] @ unit[WORDS.index(b)] for a, b, _ in pairs[:4]]
    assert rho == pytest.approx(spearmanr(cos, [9, 8, 1, 0.5]).statistic)
    table = emb.nearest_neighbours(VECTORS, WORDS, ["apple", "kiwi"], k=2)
    assert list(table) == ["apple"] and table["apple"][0][0] == "pear" and table["apple"][0][1] > 0.99
    with pytest.raises(ValueError, match="vocabulary"):
        emb.similarity_spearman(VECTORS, WORDS, pairs[4:])
    with pytest.raises(ValueError, match="vectors"):
        emb.similarity_spearman(VECTORS[0], WORDS, pairs)
    vocab = emb.Vocabulary(WORDS, np.ones(6), {w: i for i, w in enumerate(WORDS)})
    assert emb.analogy(VECTORS, vocab, "man", "king", "woman") == ["queen"]


# ----------------------------------------------------------------------------- data

def test_evaluation_sets_from_gensim():
    pytest.importorskip("gensim")
    pairs = datasets.word_similarity_pairs("wordsim353")
    assert len(pairs) == 353 and pairs[0] == ("love", "sex", 6.77)
    assert len(datasets.word_similarity_pairs("simlex999")) == 999
    sections = datasets.analogy_questions()
    assert len(sections) == 14 and sum(map(len, sections.values())) == 19544
    assert sections["family"][0] == ("boy", "girl", "brother", "sister")
    with pytest.raises(ValueError, match="name"):
        datasets.word_similarity_pairs("men")


def test_tokenize():
    assert datasets.tokenize("Don't PANIC! 42 times.") == ["don", "t", "panic", "times"]


@pytest.mark.skipif(not datasets.DEBIAN_FORTUNES_DIR.is_dir(), reason="Debian's fortunes is missing "
                    "(.ci/run installs it)")
def test_fortunes_slice_is_seeded():
    a = datasets.load_text("fortunes", max_tokens=5000, seed=1)
    assert a == datasets.load_text("fortunes", max_tokens=5000, seed=1)
    assert a != datasets.load_text("fortunes", max_tokens=5000, seed=2)
    assert 4000 < sum(map(len, a)) <= 5000
    assert all(w == w.lower() and w.isalpha() for s in a for w in s)
    with pytest.raises(ValueError, match="max_tokens"):
        datasets.load_text("fortunes", max_tokens=0)
    with pytest.raises(ValueError, match="name"):
        datasets.load_text("wikipedia")


def test_missing_text_packages_name_the_apt_command(tmp_path):
    with pytest.raises(datasets.DatasetUnavailable, match="apt-get install fortunes bible-kjv"):
        datasets._fortune_documents(tmp_path / "nowhere")
    with pytest.raises(datasets.DatasetUnavailable, match="apt-get install fortunes bible-kjv"):
        datasets._kjv_documents(str(tmp_path / "bible"))
