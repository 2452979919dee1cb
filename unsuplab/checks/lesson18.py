"""Check cells of lesson 18 (word embeddings: skip-gram and CBOW with negative sampling, Mikolov et al. 2013)."""

import numpy as np

from .. import embeddings
from . import Wrong, backend_specific_call, exercise, expect_close, innermost_error, student_model, to_numpy


def _pairs_of(result, what="your function"):
    if result is None:
        raise Wrong(f"{what} returns None; `return centers, contexts`.")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong(f"{what} should return two arrays, (centers, contexts); got {type(result).__name__}.")
    centers, contexts = (np.asarray(to_numpy(r)).reshape(-1) for r in result)
    if len(centers) != len(contexts):
        raise Wrong(f"centers and contexts must have the same length (one entry per pair), got "
                    f"{len(centers)} and {len(contexts)}.")
    if len(centers) and centers.dtype.kind not in "iu":
        raise Wrong(f"return integer word ids, got dtype {centers.dtype} (np.asarray(..., dtype='int32')).")
    return centers.astype("int64"), contexts.astype("int64")


@exercise("Exercise 1 (the skip-gram pairs)", reference="unsuplab.embeddings:skipgram_pairs")
def skipgram_pairs(student_fn):
    """``student_fn(ids, window)`` -> ``(centers, contexts)``: every pair of positions at most ``window`` apart
    (both sides, never a word with itself, never across the ends), as two integer arrays in any order."""
    ids = np.array([50, 51, 52, 53, 54, 55, 56], "int32")  # distinct ids: position = id - 50
    n, window = len(ids), 2
    centers, contexts = _pairs_of(student_fn(ids.copy(), window))
    got = sorted(zip((centers - 50).tolist(), (contexts - 50).tolist()))
    want = sorted((i, j) for i in range(n) for j in range(n) if 0 < abs(i - j) <= window)
    if any(not (0 <= i < n and 0 <= j < n) for i, j in got):
        raise Wrong("return the word ids of the tokens (ids[i], ids[j]), not their positions i and j.")
    if got == want:
        pass
    elif any(i == j for i, j in got):
        raise Wrong("a word is paired with itself: the context is the words around the center, offsets "
                    "1..window on each side, never offset 0.")
    elif any(abs(i - j) > n // 2 for i, j in got):
        raise Wrong("you pair the first and last words of the text: np.roll wraps around the ends. Pair "
                    "ids[:-o] with ids[o:] instead (positions i and i + o, both inside the text).")
    elif got and all(j > i for i, j in got) or got and all(j < i for i, j in got):
        raise Wrong("you only pair each word with the words on one side; the window reaches `window` words to "
                    "the left AND to the right.")
    elif got and max(abs(i - j) for i, j in got) == window - 1:
        raise Wrong(f"with window={window} your farthest context is {window - 1} words away: range(1, window) "
                    "stops before window; use range(1, window + 1).")
    elif got and max(abs(i - j) for i, j in got) > window:
        raise Wrong(f"with window={window} you pair words {max(abs(i - j) for i, j in got)} positions apart; "
                    f"the context is at most {window} words away.")
    elif len(got) != len(want) and set(got) == set(want):
        raise Wrong(f"some pairs come more than once ({len(got)} pairs, {len(want)} different ones): each "
                    "(center, context) position pair is counted once.")
    else:
        missing, extra = sorted(set(want) - set(got))[:3], sorted(set(got) - set(want))[:3]
        raise Wrong(f"on ids = positions 0..{n - 1} with window={window} you return {len(got)} pairs, expected "
                    f"{len(want)}; missing (center, context) positions e.g. {missing}, unexpected {extra}.")
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30, 300).astype("int32")
    for window in (1, 4):
        got = sorted(zip(*(a.tolist() for a in _pairs_of(student_fn(ids.copy(), window)))))
        want = sorted(zip(*(a.tolist() for a in embeddings.skipgram_pairs(ids, window))))
        if got != want:
            raise Wrong(f"on 300 random ids with window={window} your pairs differ from the library's "
                        f"({len(got)} pairs, expected {len(want)}).")
    return (f"{len(want)} pairs for 300 tokens and window 4 (about 2 x window per token), as "
            "unsuplab.embeddings.skipgram_pairs gives with a fixed window.")


def _loss_rows(student_fn, labels, logits, what):
    import keras

    value = student_fn(keras.ops.convert_to_tensor(labels), keras.ops.convert_to_tensor(logits))  # as Keras calls it
    if value is None:
        raise Wrong(f"{what}: your function returns None; `return` the loss.")
    value = to_numpy(value).astype("float64")
    if value.size == 1:
        return float(value.reshape(())), True
    if value.shape != (len(logits),):
        raise Wrong(f"{what}: return one loss per row, shape ({len(logits)},) (or their mean), got shape "
                    f"{value.shape}. Sum over the candidates (axis=-1), not over the batch.")
    return value, False


@exercise("Exercise 2 (the negative-sampling loss)", reference="unsuplab.embeddings:negative_sampling_loss")
def negative_sampling_loss(student_fn):
    """``student_fn(labels, logits)`` -> per-row loss ``-log sigma(s_pos) - sum log sigma(-s_neg)`` (or its mean)
    in keras.ops; finite for large logits; trains a skip-gram model so the true pair's dot product rises."""
    import keras

    name = backend_specific_call(student_fn)
    if name:
        raise Wrong(f"your code uses {name}, which runs on one backend only; use keras.ops "
                    "(ops.softplus, ops.sum, ops.log, ops.sigmoid...).")
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (6, 4)).astype("float32")
    labels = np.zeros((6, 4), "float32")
    labels[:, 0] = 1
    want = to_numpy(embeddings.negative_sampling_loss(labels, logits)).astype("float64")
    got, scalar = _loss_rows(student_fn, labels, logits, "random logits")
    want_here = want.mean() if scalar else want
    if not np.all(np.isfinite(got)):
        raise Wrong("your loss is NaN or infinite on ordinary logits.")

    def close(candidate):
        candidate = np.asarray(candidate, "float64")
        return np.allclose(got, candidate.mean() if scalar else candidate, rtol=1e-4, atol=1e-5)

    s = logits.astype("float64")
    if not close(want):
        if close(want / s.shape[1]):
            raise Wrong("you average over the 1 + k candidates (keras.losses.binary_crossentropy does): the "
                        "objective adds the true word's term and the k noise terms, so sum over axis -1.")
        if close(np.logaddexp(0, -s[:, 0])):
            raise Wrong("only the true word's term is there: add -log sigma(-s) for each noise word.")
        if close(np.sum(np.logaddexp(0, -s), axis=1)):
            raise Wrong("you treat the noise words like the true word (-log sigma(s) for all): a noise word's "
                        "term is -log sigma(-s) = -log(1 - sigma(s)), which pushes its dot product down.")
        if close(-want):
            raise Wrong("the sign is flipped: the loss is MINUS the log-likelihood (Keras minimises it).")
        log_softmax = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
        if close(-log_softmax[:, 0]):
            raise Wrong("this is a softmax over the candidates (sampled softmax); negative sampling gives each "
                        "candidate its own sigmoid: -log sigma(s_pos) - sum_k log sigma(-s_k).")
        expect_close(got, want_here, "your loss on random logits", rtol=1e-4, atol=1e-5)
    moved = np.roll(labels, 1, axis=1)  # the true word in column 1: read it from `labels`
    got_moved, _ = _loss_rows(student_fn, moved, logits, "labels with the true word in column 1")
    want_moved = to_numpy(embeddings.negative_sampling_loss(moved, logits)).astype("float64")
    if not np.allclose(got_moved, want_moved.mean() if scalar else want_moved, rtol=1e-4, atol=1e-5):
        raise Wrong("with the true word in column 1 your loss is wrong: use `labels` (1 for the true word, 0 for "
                    "noise) instead of assuming column 0; labels * term_pos + (1 - labels) * term_neg.")
    big = np.array([[-120.0, 120.0, 100.0], [120.0, -120.0, -100.0]], "float32")
    big_labels = np.array([[1, 0, 0], [1, 0, 0]], "float32")
    unstable = ("for logits of +-120 your loss is infinite or NaN: in float32 sigma(s) is exactly 0 below "
                "about -88 (-103 with denormals) and 1 - sigma(s) is exactly 0 from s of about 17, so "
                "log(0) = -inf (and 0 x -inf = NaN). Use -log sigma(s) = softplus(-s) (ops.softplus), or "
                "ops.log_sigmoid.")
    try:
        got_big, _ = _loss_rows(student_fn, big_labels, big, "large logits (+-120)")
    except Wrong as wrong:
        raise Wrong(unstable) if "NaN" in str(wrong) else wrong
    if not np.all(np.isfinite(got_big)):
        raise Wrong(unstable)
    want_big = to_numpy(embeddings.negative_sampling_loss(big_labels, big)).astype("float64")
    expect_close(got_big, want_big.mean() if scalar else want_big, "your loss for logits of +-120", rtol=1e-3)

    keras.utils.set_random_seed(0)
    model = embeddings.build_skipgram(12, 4)
    model.get_layer(embeddings.CONTEXT_VECTORS).embeddings.assign(rng.normal(0, 0.3, (12, 4)).astype("float32"))
    model.compile(keras.optimizers.SGD(0.5), student_fn)
    center, candidates = np.array([[2]], "int32"), np.array([[3, 7, 9]], "int32")
    before = to_numpy(model([center, candidates]))[0]
    try:
        for _ in range(3):
            model.train_on_batch([center, candidates], np.array([[1, 0, 0]], "float32"))
    except Exception as exc:
        error = innermost_error(exc)
        raise Wrong(f"training a skip-gram model with your loss failed ({type(error).__name__}: {error}). Use "
                    "keras.ops only (no NumPy): Keras compiles the loss into a graph.") from exc
    after = to_numpy(model([center, candidates]))[0]
    if not after[0] > before[0] or not np.all(after[1:] < before[1:]):
        raise Wrong("three training steps with your loss did not raise the true pair's dot product and lower "
                    "the noise words'.")
    return "it matches unsuplab.embeddings.negative_sampling_loss, stays finite for large logits, and " \
           "training with it pulls the true pair together and pushes the noise words away."


# Eight toy words in 4-D. By 3CosAdd on unit vectors "man : king :: woman : ?" is "queen"; without excluding
# the query words it is "king", on raw (unnormalised) vectors the long "giant", with a - b + c "prince".
ANALOGY_WORDS = ["man", "woman", "king", "queen", "prince", "crown", "giant", "apple"]
ANALOGY_VECTORS = np.array([[-0.8, -1.32, -0.25, 0.42], [1.14, 0.11, -0.55, -0.78], [0.75, 1.63, 0.27, -1.23],
                            [-0.96, 1.6, 0.2, -1.73], [-0.08, -1.16, -0.63, -0.49], [-0.71, 0.55, -0.06, -0.59],
                            [2.46, 4.98, -9.86, -1.54], [-0.98, -0.17, -1.29, 0.02]], "float32")


def _skipgram_tables(student_fn, vocab_size, dim):
    """The student's model and its two Embedding tables (word, context), or :class:`Wrong` naming what is off."""
    import keras

    model = student_model(student_fn, vocab_size, dim, how="keras.Model([center, candidates], logits)")
    if len(model.inputs) != 2:
        raise Wrong(f"the model should have two inputs, the center ids (batch, 1) and the candidate ids "
                    f"(batch, 1 + k), in that order; it has {len(model.inputs)}.")
    tables = []
    for name, role in ((embeddings.WORD_VECTORS, "the center words' vectors v, the ones we keep"),
                       (embeddings.CONTEXT_VECTORS, "the candidates' vectors u, used only in training")):
        try:
            layer = model.get_layer(name)
        except ValueError:
            raise Wrong(f"your model has no layer named {name!r} ({role}). It needs two Embedding tables, "
                        f"one for the center word and one for the candidates, each with its name: "
                        f"layers.Embedding(vocab_size, dim, name={name!r}, ...).") from None
        if not isinstance(layer, keras.layers.Embedding):
            raise Wrong(f"the layer {name!r} should be a keras.layers.Embedding, got {type(layer).__name__}.")
        if (layer.input_dim, layer.output_dim) != (vocab_size, dim):
            raise Wrong(f"the table {name!r} should hold one row of {dim} numbers per word, "
                        f"Embedding({vocab_size}, {dim}); yours is Embedding({layer.input_dim}, {layer.output_dim}).")
        tables.append(layer)
    return model, tables


def _skipgram_logits(model, tables, rng, batch, k):
    """Random table values, then the model's logits for random ids, the right ones ``u_candidate . v_center`` and
    those of swapped tables ``v_candidate . u_center``, as NumPy."""
    vocab_size, dim = tables[0].input_dim, tables[0].output_dim
    v, u = (rng.normal(size=(vocab_size, dim)).astype("float32") for _ in range(2))
    tables[0].embeddings.assign(v)
    tables[1].embeddings.assign(u)
    center = rng.integers(0, vocab_size, (batch, 1)).astype("int32")
    candidates = rng.integers(0, vocab_size, (batch, 1 + k)).astype("int32")
    try:
        got = to_numpy(model([center, candidates]))
    except Exception as exc:  # the student's graph: say what failed, no Keras traceback
        raise Wrong(f"calling your model on [center ids ({batch}, 1), candidate ids ({batch}, {1 + k})] failed "
                    f"({innermost_error(exc)}).") from None
    right = np.einsum("bkd,bd->bk", u[candidates], v[center[:, 0]])
    swapped = np.einsum("bkd,bd->bk", v[candidates], u[center[:, 0]])
    return got.astype("float64"), right, swapped


@exercise("Exercise 2b (the skip-gram model)", reference="unsuplab.embeddings:build_skipgram")
def skipgram_model(student_fn):
    """``student_fn(vocab_size, dim)`` -> a ``keras.Model`` ``[center (batch, 1), candidates (batch, 1 + k)] ->
    logits (batch, 1 + k)``, logit ``u_candidate . v_center``, with the Embedding tables ``word_vectors`` (v,
    uniform in +-0.5/dim at the start) and ``context_vectors`` (u, zeros at the start), as word2vec."""
    vocab_size, dim = 40, 6
    model, (word, context) = _skipgram_tables(student_fn, vocab_size, dim)
    v0, u0 = to_numpy(word.embeddings), to_numpy(context.embeddings)
    if np.any(u0 != 0):
        raise Wrong("word2vec starts the context vectors u at 0 (embeddings_initializer='zeros'): at the start "
                    "every logit is 0, every candidate equally likely, and the word vectors get the first signal.")
    if not np.any(v0 != 0) or np.abs(v0).max() > 0.5 / dim + 1e-7:
        raise Wrong(f"word2vec starts the word vectors v small and random, uniform in +-0.5 / dim (here +-"
                    f"{0.5 / dim:.3f}): keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim). Yours lie in "
                    f"[{v0.min():.3g}, {v0.max():.3g}].")
    rng = np.random.default_rng(0)
    got, want, swapped = _skipgram_logits(model, (word, context), rng, batch=7, k=5)
    if got.shape == (7, 6, 1):
        raise Wrong("your logits have shape (batch, 1 + k, 1): drop the last axis (layers.Reshape((-1,))) so "
                    "that they line up with the labels (batch, 1 + k).")
    if got.shape != (7, 6):
        raise Wrong(f"for 7 centers and 1 + 5 candidates the logits should have shape (7, 6), got {got.shape}.")
    if np.allclose(got, swapped, rtol=1e-4, atol=1e-4):
        raise Wrong("the tables are swapped: the center word looks up 'word_vectors', the candidates "
                    "'context_vectors'.")
    if not np.allclose(got, want, rtol=1e-4, atol=1e-4) and np.all(np.abs(got) <= 1 + 1e-5):
        raise Wrong("your logits are cosines (they all lie in [-1, 1]): word2vec's logit is the plain dot "
                    "product u . v, not normalised (layers.Dot(axes=2), normalize=False).")
    expect_close(got, want, "the logits u_candidate . v_center of 7 centers and 6 candidates", rtol=1e-4, atol=1e-4)
    got, want, _ = _skipgram_logits(model, (word, context), rng, batch=3, k=2)
    expect_close(got, want, "the logits with 1 + 2 candidates (the model takes any k)", rtol=1e-4,
                 atol=1e-4)
    return "two tables, word2vec's start, and one dot product per candidate."


def _answer(student_fn, vectors, words, a, b, c):
    got = student_fn(vectors.copy(), list(words), a, b, c)
    if got is None:
        raise Wrong("your function returns None; `return` the word d (a string).")
    if isinstance(got, (list, tuple)) and len(got) == 1:
        got = got[0]
    if isinstance(got, (int, np.integer)):
        raise Wrong(f"you return the row {got}; return the word itself, words[row].")
    if not isinstance(got, str):
        raise Wrong(f"return the word d as a string, got {type(got).__name__} {got!r}.")
    return got


@exercise("Exercise 3 (an analogy query)", reference="unsuplab.embeddings:analogy")
def analogy(student_fn):
    """``student_fn(vectors, words, a, b, c)`` -> the word d of "a is to b as c is to d" by 3CosAdd: unit
    vectors, argmax of cos(x, b - a + c) over the words other than a, b and c."""
    got = _answer(student_fn, ANALOGY_VECTORS, ANALOGY_WORDS, "man", "king", "woman")
    if got in ("man", "king", "woman"):
        raise Wrong(f"you answer {got!r}, one of the query words: b - a + c is usually closest to b or c "
                    "themselves, so 3CosAdd leaves a, b and c out (set their scores to -inf).")
    if got == "giant":
        raise Wrong("you answer 'giant', the word with the longest vector: a dot product with raw vectors "
                    "favours long vectors. Normalise every vector to length 1 (cosine similarity).")
    if got == "prince":
        raise Wrong("you answer 'prince', the answer to a - b + c: the analogy vector is b - a + c "
                    "(king - man + woman).")
    if got != "queen":
        raise Wrong(f"for man : king :: woman : ? on the toy vectors 3CosAdd gives 'queen', you give {got!r}.")
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(200, 10)).astype("float32") * rng.uniform(0.2, 3, (200, 1)).astype("float32")
    words = [f"w{i}" for i in range(200)]
    for a, b, c in (rng.choice(200, 3, replace=False) for _ in range(10)):
        want = embeddings.analogy(vectors, words, words[a], words[b], words[c])[0]
        got = _answer(student_fn, vectors, words, words[a], words[b], words[c])
        if got != want:
            raise Wrong(f"on 200 random vectors, {words[a]} : {words[b]} :: {words[c]} : ? gives {want!r} by "
                        f"3CosAdd, you give {got!r}.")
    return "3CosAdd on unit vectors, the query words excluded (Mikolov et al. 2013a; Levy and Goldberg 2014)."


@exercise("Exercise 2 (the negative-sampling loss), hidden cases",
          reference="unsuplab.embeddings:negative_sampling_loss")
def hidden_negative_sampling_loss(student_fn):
    """Another batch: 9 rows, 1 true word and 7 noise words, logits up to +-30 (the loss must stay finite)."""
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 8, (9, 8)).astype("float32")
    logits[0, :2] = [30.0, -30.0]
    labels = np.zeros((9, 8), "float32")
    labels[:, 0] = 1
    want = to_numpy(embeddings.negative_sampling_loss(labels, logits)).astype("float64")
    got, scalar = _loss_rows(student_fn, labels, logits, "9 rows of 1 + 7 candidates")
    expect_close(got, want.mean() if scalar else want, "your loss on 9 rows of 1 + 7 candidates", rtol=1e-4,
                 atol=1e-5)


@exercise("Exercise 1 (the skip-gram pairs), hidden cases", reference="unsuplab.embeddings:skipgram_pairs")
def hidden_skipgram_pairs(student_fn):
    """Edge cases: window 3 on 6 tokens, a window longer than the text, and a text of one token (no pairs)."""
    for ids, window in (([7, 3, 7, 9, 1, 4], 3), ([5, 6, 8, 2], 6), ([4], 2)):
        ids = np.array(ids, "int32")
        got = sorted(zip(*(a.tolist() for a in _pairs_of(student_fn(ids.copy(), window)))))
        want = sorted((int(ids[i]), int(ids[j])) for i in range(len(ids)) for j in range(len(ids))
                      if 0 < abs(i - j) <= window)
        if got != want:
            raise Wrong(f"for ids={ids.tolist()} and window={window} you return {len(got)} pairs, expected "
                        f"{len(want)} (every pair of positions 1..window apart, inside the text).")


@exercise("Exercise 3 (an analogy query), hidden cases", reference="unsuplab.embeddings:analogy")
def hidden_analogy(student_fn):
    """Another vocabulary: 60 words in 6 dimensions with lengths from 0.1 to 5, and queries whose raw answer is
    one of the query words (b = c)."""
    rng = np.random.default_rng(18)
    vectors = rng.normal(size=(60, 6)).astype("float32") * rng.uniform(0.1, 5, (60, 1)).astype("float32")
    words = [f"token_{i}" for i in range(60)]
    for a, b, c in [(0, 1, 1), *(rng.choice(60, 3, replace=False) for _ in range(8))]:  # b = c: b - a + c is b
        want = embeddings.analogy(vectors, words, words[a], words[b], words[c])[0]
        got = _answer(student_fn, vectors, words, words[a], words[b], words[c])
        if got != want:
            raise Wrong(f"on 60 words in 6 dimensions, {words[a]} : {words[b]} :: {words[c]} : ? gives {want!r} "
                        f"by 3CosAdd, you give {got!r}.")


@exercise("Exercise 2b (the skip-gram model), hidden cases", reference="unsuplab.embeddings:build_skipgram")
def hidden_skipgram_model(student_fn):
    """Another vocabulary and size: 25 words in 4 dimensions, 9 candidates per center."""
    model, tables = _skipgram_tables(student_fn, 25, 4)
    got, want, _ = _skipgram_logits(model, tables, np.random.default_rng(5), batch=4, k=8)
    expect_close(got, want, "the logits of 25 words in 4 dimensions, 1 + 8 candidates", rtol=1e-4,
                 atol=1e-4)
