"""Issue 26: checks on the data each function takes (unsuplab.validation): t-SNE never kills the kernel (item 2),
word-embedding evaluation refuses NaN vectors (item 4), and the "weak" items on infovis, embeddings, metrics, the
CIFAR cache and the ARFF reader."""

import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from unsuplab import datasets, embeddings, infovis, metrics, validation
from unsuplab.datasets import CorruptDataset

# ----------------------------------------------------------------------------- item 2: t-SNE on degenerate points

CONSTANT = ["np.zeros((120, 32))", "np.ones((120, 32)) + 1e-9"]
SPREADS = ["1e-30", "1e30"]
CASES = {(expression, method): expression for expression in CONSTANT for method in ("tsne", "pca")}
CASES.update({(scale, "tsne"): f"rng.random((120, 8)) * {scale}" for scale in SPREADS})


@pytest.fixture(scope="module")
def maps():
    """``infovis.map_2d`` on every case, in one child process (a segfault there fails these tests, not pytest):
    (expression or scale, method) -> what the child printed for it."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from unsuplab import infovis
        for key, expression, method in eval(sys.argv[1]):
            print("case", key, flush=True)  # the last case named before a crash is the one that crashed
            rng = np.random.default_rng(0)
            try:
                z = infovis.map_2d(eval(expression), method, perplexity=10)
            except ValueError as exc:
                print("ValueError:", exc)
            else:
                print("map", z.shape, bool(np.isfinite(z).all()), float(z.std()))
    """)
    cases = [(i, expression, method) for i, ((_, method), expression) in enumerate(CASES.items())]
    result = subprocess.run([sys.executable, "-c", code, repr(cases)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (f"exit {result.returncode} (139 is a segfault) after {result.stdout[-300:]}: "
                                    f"{result.stderr[-1500:]}")
    printed = re.split(r"^case \d+\n", result.stdout, flags=re.M)[1:]  # a line of its own: not inside a message
    return dict(zip(CASES, printed, strict=True))


@pytest.mark.parametrize("expression", CONSTANT)
@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_constant_points_are_a_named_error_not_a_dead_kernel(maps, expression, method):
    out = maps[expression, method]
    assert "ValueError: `x`: all 120 points are the same" in out and "collapsed encoder" in out


@pytest.mark.parametrize("scale", SPREADS)
def test_tiny_or_huge_spreads_still_give_a_real_map(maps, scale):
    out = maps[scale, "tsne"]
    assert out.startswith("map (120, 2) True") and float(out.split()[-1]) > 0.1, out


def test_values_beyond_float32_and_string_perplexity_are_named():
    with pytest.raises(ValueError, match="too large for float32"):
        infovis.map_2d(np.full((50, 3), 1e300))
    with pytest.raises(ValueError, match="too large for float32"):
        infovis.trust(np.full((50, 3), 1e300), np.zeros((50, 2)))
    x = np.random.default_rng(0).random((50, 3))
    with pytest.raises(TypeError, match="`perplexity` must be a number, got '5'"):
        infovis.map_2d(x, perplexity="5")
    with pytest.raises(TypeError, match="`n_neighbors`"):
        infovis.trust(x, x[:, :2], n_neighbors=2.5)
    with pytest.raises(TypeError, match="`x` must hold numbers"):
        infovis.map_2d(np.array([["a", "b"]] * 10))


# ----------------------------------------------------------------------------- item 4 and embeddings

WORDS = ["king", "queen", "man", "woman"]


def test_nan_vectors_are_refused_by_every_evaluation():
    nan = np.full((4, 3), np.nan)
    calls = [lambda: embeddings.analogy_accuracy(nan, WORDS, [("king", "queen", "man", "woman")]),
             lambda: embeddings.analogy(nan, WORDS, "king", "queen", "man"),
             lambda: embeddings.nearest_neighbours(nan, WORDS, ["king"]),
             lambda: embeddings.similarity_spearman(nan, WORDS, [("king", "queen", 1.0)] * 3)]
    for call in calls:
        with pytest.raises(ValueError, match="`vectors` contains NaN"):
            call()


def test_vectors_and_words_of_different_lengths_are_named():
    vectors = np.random.default_rng(0).normal(size=(3, 5))
    with pytest.raises(ValueError, match="`vectors` has 3 rows but `words` has 4 words"):
        embeddings.analogy(vectors, WORDS, "king", "queen", "woman")


def test_word_ids_outside_the_vocabulary_or_negative_are_named():
    vocab = embeddings.build_vocabulary([["a", "b", "a", "c"]] * 5, min_count=1)
    with pytest.raises(ValueError, match="`ids` holds a negative id"):
        embeddings.skipgram_pairs(np.array([0, -1, 2]), 2)
    with pytest.raises(ValueError, match="`ids` holds a negative id"):
        embeddings.cbow_examples(np.array([0, -3, 2]), 2)
    with pytest.raises(ValueError, match="outside the vocabulary of 3 words"):
        embeddings.epoch_arrays("skipgram", np.array([0, 1, 7]), np.zeros(3, "int32"), vocab)
    model = embeddings.build_skipgram(2, dim=4)
    with pytest.raises(ValueError, match="vocab_size=len"):
        embeddings.train_word2vec(model, "skipgram", np.array([0, 1, 2]), np.zeros(3, "int32"), vocab, epochs=1)


def test_valid_ids_still_make_pairs():
    centers, contexts = embeddings.skipgram_pairs(np.array([0, 1, 2]), 1)
    assert sorted(zip(centers.tolist(), contexts.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]


# ----------------------------------------------------------------------------- metrics with huge n_clusters

def test_huge_n_clusters_costs_nothing_and_is_exact():
    assigned = np.array([0, 1, 1, 2])
    small = metrics.size_entropy(assigned, 3)
    huge = metrics.size_entropy(assigned, 10 ** 12)
    assert np.isclose(huge, small * np.log(3) / np.log(10 ** 12))
    assert metrics.collapsed(assigned, 10 ** 12) and not metrics.collapsed(assigned, 3)
    assert metrics.cluster_scores(assigned, assigned, n_clusters=10 ** 12)["collapsed"]
    with pytest.raises(ValueError, match="`n_clusters` must be at most"):
        metrics.size_entropy(assigned, 10 ** 20)


# ----------------------------------------------------------------------------- the CIFAR cache

def _cifar_file(tmp_path, data=None, labels=None):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (10000, 3072), dtype=np.uint8) if data is None else data
    labels = list(range(10)) * 1000 if labels is None else labels
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": data, b"labels": labels}))
    return path


@pytest.mark.parametrize("data, labels, message", [
    (None, [99] * 10000, "class ids 0-9"),
    (None, [-1] * 10000, "class ids 0-9"),
    (None, [0.5] * 10000, "expected integers 0-9"),
    (np.full((10000, 3072), np.nan), None, r"whole numbers in \[0, 255\]"),
    (np.full((10000, 3072), 300, "int64"), None, r"whole numbers in \[0, 255\]"),
    (np.full((10000, 3072), "x", object), None, "expected uint8 numbers"),
])
def test_cifar_cache_values_are_checked(tmp_path, data, labels, message):
    with pytest.raises(CorruptDataset, match=message):
        datasets._read_cifar_batch(_cifar_file(tmp_path, data, labels))


# ----------------------------------------------------------------------------- the ARFF reader

HEADER = "@relation s\n@attribute bread { t}\n@attribute milk { t}\n@attribute total { low, high}\n@data\n"


def test_arff_with_spaces_after_commas_is_read(tmp_path):
    path = tmp_path / "b.arff"
    path.write_text(HEADER + "t, ?, low\n?,  t , high\n")
    assert datasets.read_arff_baskets(path).to_numpy().tolist() == [[True, False], [False, True]]


def test_sparse_arff_is_named(tmp_path):
    path = tmp_path / "b.arff"
    path.write_text(HEADER + "{0 t, 2 low}\n{1 t}\n")
    with pytest.raises(CorruptDataset, match="sparse ARFF .* is not supported"):
        datasets.read_arff_baskets(path)


# ----------------------------------------------------------------------------- the shared checks

def test_validation_points_and_ids():
    assert validation.points([[1, 2], [3, 4]]).dtype == np.float32
    with pytest.raises(TypeError, match="`v` must be an array"):
        validation.points("abc", "v")
    with pytest.raises(ValueError, match="shape \\(n_points, n_features\\)"):
        validation.points(np.zeros(3), "v")
    with pytest.raises(ValueError, match="at least 1 point"):
        validation.points(np.zeros((0, 3)), "v")
    assert validation.ids([0, 2], "w", 3).tolist() == [0, 2]
    with pytest.raises(ValueError, match="integer ids"):
        validation.ids([0.5], "w")
    with pytest.raises(ValueError, match="at most 5 \\(why\\)"):
        validation.positive_int(6, "k", maximum=5, why=" (why)")


# ----------------------------------------------------------------------------- found by the adversarial pass

def test_neighbour_lists_never_hold_the_query_or_the_question_words():
    vectors = np.zeros((4, 3))
    table = embeddings.nearest_neighbours(vectors, WORDS, ["king"], k=10)
    assert [w for w, _ in table["king"]] and "king" not in [w for w, _ in table["king"]]
    assert embeddings.analogy(np.eye(4), WORDS, "king", "queen", "man", topn=10) == ["woman"]


def test_similarity_scores_must_be_numbers():
    vectors = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(TypeError, match="numeric scores"):
        embeddings.similarity_spearman(vectors, WORDS, [("king", "queen", "x")] * 3)


def test_balanced_sample_and_compare_maps_name_bad_arguments():
    with pytest.raises(TypeError, match="`n` must be an integer"):
        infovis.balanced_sample(np.array([0, 1, 1]), "3")
    with pytest.raises(TypeError, match="`labels` must hold integer labels"):
        infovis.balanced_sample(np.array([np.nan, 1.0]), 2)
    with pytest.raises(ValueError, match=r"\{title: \(points, method\)\}"):
        infovis.compare_maps({"a": np.zeros((5, 2))})
