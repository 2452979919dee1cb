"""Issue 27, item 2: hidden tests. Each ``checks.lessonNN.hidden_NAME`` grades on cases the visible check never
shows; the lesson tool writes them into the source notebooks' check cells as nbgrader hidden-test blocks, and the
released lessons do not contain them (tests/test_nbgrader.py proves nbgrader releases exactly our lessons).

The right answers are the solution notebooks' own cells; a wrong answer here is one fitted to the visible cases
(right on the inputs the visible check uses, off elsewhere): it passes the visible check and fails the hidden one.
"""

import functools
import importlib
import inspect
import re
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from keras import layers, ops

from unsuplab import baselines, degrade, lessontool, losses, metrics
from unsuplab.layers import Sampling
from unsuplab.models import build_dense_autoencoder, build_vae
from unsuplab.selfsupervised import ContrastiveViews

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = {"00": "00_what_is_unsupervised_learning", "03": "03_convolutional_autoencoder",
            "04": "04_sparse_autoencoder", "05": "05_denoising_autoencoder", "06": "06_contractive_autoencoder",
            "09": "09_inpainting", "12": "12_anomaly_detection", "15": "15_iic_clustering",
            "18": "18_word_embeddings", "17": "17_iic_segmentation",
            "08": "08_noise_removal", "10": "10_colorization", "11": "11_super_resolution", "13": "13_retrieval",
            "14": "14_recommender", "16": "16_deep_clustering", "19": "19_association_rules",
            "01": "01_dense_autoencoder", "02": "02_deep_autoencoder", "07": "07_variational_autoencoder",
            "20": "20_self_supervised_learning"}
DIGITS = np.random.default_rng(0).random((40, 28, 28, 1)).astype("float32")  # lesson 01's globals, for its sweep


def solution_cell(lesson, name, scope=None):
    """Everything the solution notebook's cell that defines ``name`` (a function or class) defines, run in
    ``scope`` (another cell's, for a cell that calls an earlier answer) or in a fresh one."""
    nb = nbformat.read(str(ROOT / "solutions" / f"{NOTEBOOK[lesson]}.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and
                re.search(rf"^(def|class) {name}\(", c.source, re.M))
    if scope is not None:
        exec(cell.source, scope)
        return scope
    scope = {"np": np, "ops": ops, "keras": keras, "layers": layers, "degrade": degrade, "baselines": baselines,
             "metrics": metrics, "losses": losses, "Sampling": Sampling, "build_vae": build_vae,
             "ContrastiveViews": ContrastiveViews,
             "build_dense_autoencoder": build_dense_autoencoder, "x_train": DIGITS[:30], "x_test": DIGITS[30:],
             "SWEEP_EPOCHS": 1, "run": lambda model, x: model.predict(x, verbose=0)}
    exec(cell.source, scope)
    return scope


def solution(lesson, name):
    """The solved function or class ``name`` from the lesson's solution notebook."""
    return solution_cell(lesson, name)[name]


def fitted(right, visible, spoil):
    """An answer right on the visible check's inputs (``visible(args)``) and spoilt elsewhere: ``spoil(result)``,
    or ``spoil(result, args)``, or ``spoil(result, args, right)`` (a builder fitted to the visible arguments)."""
    @functools.wraps(right)  # the same signature (lesson 15's check looks for `marginal_weight`)
    def answer(*args, **kwargs):
        result = right(*args, **kwargs)
        if visible(args):
            return result
        return spoil(*(result, args, right)[:len(inspect.signature(spoil).parameters)])  # (result[, args[, right]])
    return answer


CASES = [  # (lesson, check, solution name, visible inputs?, spoil)
    ("00", "pca_encode_decode", "pca_encode_decode", lambda a: a[0].shape[1] == 12,
     lambda r: (r[0], r[1] + 0.1)),
    ("13", "precision_at_k", "my_precision_at_k", lambda a: a[0].shape == (6, 30), lambda r: r * 0.9),
    ("16", "soft_assignment", "my_soft_assignment", lambda a: a[0].shape[1] == 3, lambda r: r * 1.1),
    ("16", "target_distribution", "my_target_distribution", lambda a: a[0].shape[1] == 4, lambda r: r * 1.1),
    ("16", "triplet_loss", "my_triplet_loss", lambda a: len(a[1]) == 10, lambda r: r * 1.1),
    ("19", "rule_measures", "rule_measures", lambda a: len(a[0]) == 400, lambda r: (r[0], r[1], r[2] * 1.1)),
    ("19", "next_candidates", "next_candidates", lambda a: "a" not in set().union(*a[0]) if a[0] else True,
     lambda r: set(list(r)[1:])),
    ("05", "salt_and_pepper", "salt_and_pepper", lambda a: a[0].shape[-1] == 1, lambda r: np.full_like(r, 0.5)),
    ("08", "psnr", "my_psnr", lambda a: a[0].shape == (3, 8, 8, 1), lambda r: r + 1.0),
    ("10", "gray_baseline", "gray_baseline", lambda a: a[0].shape == (4, 6, 6, 3), lambda r: r * 0.9),
    ("11", "pixel_shuffle", "pixel_shuffle", lambda a: a[1] == 2, lambda r: r * 1.1),
    ("11", "bicubic_baseline", "bicubic_baseline", lambda a: a[1] == 3, lambda r: r * 0.9),
    ("14", "masked_loss", "my_masked_loss", lambda a: tuple(a[0].shape) == (6, 9), lambda r: r * 1.1),
    ("14", "top_n", "my_top_n", lambda a: a[0].shape == (5, 12), lambda r: r[:, ::-1]),
    ("03", "unpool", "unpool", lambda a: a[2] in (4, 5), lambda r: r * 1.1),
    ("06", "sigmoid_penalty", "sigmoid_penalty", lambda a: a[0].shape == (5, 6), lambda r: r * 1.1),
    ("15", "iic_loss", "my_iic_loss", lambda a: a[0].shape[1] == 5, lambda r: r * 1.1),
    ("15", "mutual_information", "my_mutual_information", lambda a: np.shape(a[0]) == (4, 4), lambda r: r + 0.1),
    ("09", "blank_square", "blank_square", lambda a: a[0].shape == (2, 9, 7, 1), lambda r: (r[0] * 0.9, r[1])),
    ("12", "threshold_for_fpr", "my_threshold", lambda a: len(a[0]) == 2000, lambda r: r * 0.9),
    ("18", "negative_sampling_loss", "my_negative_sampling_loss", lambda a: tuple(a[1].shape) != (9, 8),
     lambda r: r * 1.1),
    ("17", "displacement_joint", "my_displacement_joint", lambda a: a[0].shape[1:3] in ((6, 7), (5, 5)),
     lambda r: r * 1.1),
    ("01", "lecture_autoencoder", "build_my_autoencoder", lambda a: a[1] == 32, lambda r, a, f: f(a[0], 32)),
    ("01", "linear_autoencoder", "build_linear_autoencoder", lambda a: a[0] == 3, lambda r, a, f: f(3)),
    ("02", "build_symmetric", "build_symmetric", lambda a: len(a[1]) in (1, 2),
     lambda r, a, f: f(a[0], a[1][:2] or (a[2],), a[2])),
    ("02", "reconstruction_errors", "reconstruction_errors", lambda a: a[3] == 4, lambda r, a, f: f(*a[:3], 4)),
    ("08", "conv_denoiser", "build_my_denoiser", lambda a: a[0] == (28, 28, 1), lambda r, a, f: f((28, 28, 1))),
    ("09", "inpainter", "build_my_inpainter", lambda a: a[0] == (28, 28, 1), lambda r, a, f: f((28, 28, 1))),
    ("10", "unet_colorizer", "build_my_colorizer", lambda a: a[0] == (None, None, 1),
     lambda r, a, f: f((16, 16, 1))),
    ("18", "skipgram_pairs", "my_skipgram_pairs", lambda a: len(a[0]) >= 7, lambda r: (r[0][:-1], r[1][:-1])),
    ("18", "skipgram_model", "build_my_skipgram", lambda a: a[0] == 40, lambda r, a, f: f(40, a[1])),
    ("18", "analogy", "my_analogy", lambda a: a[1][0] in ("man", "w0"), lambda r, a: a[4]),
    ("20", "nt_xent", "my_nt_xent", lambda a: tuple(a[0].shape) in ((6, 5), (4, 3)), lambda r: r * 1.1),
    ("20", "momentum_update", "my_momentum_update", lambda a: len(a[0]) == 2, lambda r: [w * 1.01 for w in r]),
]


@pytest.mark.parametrize("lesson, check, name, visible, spoil", CASES, ids=[c[1] for c in CASES])
def test_a_wrong_answer_that_passes_the_visible_check_fails_a_hidden_one(lesson, check, name, visible, spoil):
    module = importlib.import_module(f"unsuplab.checks.lesson{lesson}")
    right = solution(lesson, name)
    assert getattr(module, check)(right).ok and getattr(module, f"hidden_{check}")(right).ok
    wrong = fitted(right, visible, spoil)
    assert getattr(module, check)(wrong).ok  # the student sees [ok]...
    assert getattr(module, f"hidden_{check}")(wrong).status == "wrong"  # ...and the grade says otherwise


def test_lesson00_a_keras_pca_fitted_to_a_two_number_code():
    from unsuplab.checks import lesson00

    right = solution("00", "pca_as_keras")

    def fitted_pca(mean, components):  # right for the visible 2-number code; keeps 2 components whatever it is given
        return right(mean, components[:2])

    assert lesson00.pca_as_keras(right).ok and lesson00.hidden_pca_as_keras(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson00, "pca_as_keras", fitted_pca)


def test_lesson04_a_sparsity_layer_fitted_to_the_visible_batches():
    from unsuplab.checks import lesson04

    right = solution("04", "MyKLSparsity")

    class Fitted(right):  # the right penalty for the visible widths (5, 3 and 4 units), a made-up one elsewhere
        def call(self, inputs):
            if inputs.shape[-1] in (3, 4, 5):
                return super().call(inputs)
            self.add_loss(ops.sum(ops.mean(inputs, axis=0)) * self.beta)
            return inputs

    class NoLossElsewhere(right):  # the contract on the visible (6, 5) batch only
        def call(self, inputs):
            return super().call(inputs) if inputs.shape[-1] in (3, 4, 5) else inputs

    for check in ("kl_sparsity_layer_contract", "kl_sparsity_layer"):
        assert getattr(lesson04, check)(right).ok and getattr(lesson04, f"hidden_{check}")(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson04, "kl_sparsity_layer", Fitted)
    _hidden_is_wrong_where_visible_is_ok(lesson04, "kl_sparsity_layer_contract", NoLossElsewhere)


def test_lesson13_bits_fitted_to_eight_units():
    from unsuplab.checks import lesson13

    right = solution("13", "MyBinarize")

    class Fitted(right):  # bits for the visible 8-unit codes, the soft code for any other width
        def call(self, inputs):
            return super().call(inputs) if inputs.shape[-1] == 8 else inputs

    assert lesson13.binarize_layer(right).ok and lesson13.hidden_binarize_layer(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson13, "binarize_layer", Fitted)


def test_lesson16_soft_assignment_contract_fitted_to_four_centroids():
    from unsuplab.checks import lesson16

    right = solution("16", "my_soft_assignment")

    def fitted_q(z, centroids, alpha=1.0):  # one column per centroid only where the visible check looks
        q = right(z, centroids, alpha)
        return q if centroids.shape[0] in (3, 4) else q[:, :4]

    assert lesson16.soft_assignment_contract(right).ok and lesson16.hidden_soft_assignment_contract(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson16, "soft_assignment_contract", fitted_q)


def test_lesson16_clustering_layer_that_ignores_other_alphas():
    from unsuplab.checks import lesson16

    cell = solution_cell("16", "MyClusteringLayer", solution_cell("16", "my_soft_assignment"))
    right = cell["MyClusteringLayer"]

    class Fitted(right):  # the visible alphas (1 and 2) are honoured; any other becomes 1
        def __init__(self, n_clusters, alpha=1.0, **kwargs):
            super().__init__(n_clusters, alpha=alpha if alpha in (1.0, 2.0) else 1.0, **kwargs)

    assert lesson16.clustering_layer(right).ok and lesson16.hidden_clustering_layer(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson16, "clustering_layer", Fitted)


def test_source_notebooks_carry_hidden_blocks_and_lessons_do_not():
    found = 0
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        names = lessontool.hidden_checks(path)
        source = nbformat.read(str(path), as_version=4)
        checks = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")]
        for cell in checks:
            name = cell.metadata["nbgrader"]["grade_id"][len("check_"):]
            has_block = lessontool.HIDDEN_BEGIN in cell.source
            assert has_block == (name in names), (path.name, name)
            if has_block:
                found += 1
                assert f"check.hidden_{name}(" in cell.source.split(lessontool.HIDDEN_BEGIN)[1]
        lesson = (ROOT / "lessons" / path.name).read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in lesson and "check.hidden_" not in lesson, path.name
    assert found >= 43


def test_build_replaces_an_old_hidden_block_instead_of_adding_one():
    once = lessontool.with_hidden_tests("# points: 1\ncheck.f(f)", {"f"})
    assert lessontool.with_hidden_tests(once, {"f"}) == once
    assert once.splitlines()[2:] == ["### BEGIN HIDDEN TESTS", "check.hidden_f(f)", "### END HIDDEN TESTS"]


def _hidden_is_wrong_where_visible_is_ok(module, check, wrong, *args):
    assert getattr(module, check)(wrong, *args).ok  # the student sees [ok]...
    assert getattr(module, f"hidden_{check}")(wrong, *args).status == "wrong"  # ...and the grade says otherwise


def test_lesson01_sweep_must_loop_over_its_argument():
    from unsuplab.checks import lesson01

    right, data = solution("01", "mse_vs_code_size"), (DIGITS[:30], DIGITS[30:], [2])
    assert lesson01.mse_vs_code_size(right, *data).ok and lesson01.hidden_mse_vs_code_size(right, *data).ok
    _hidden_is_wrong_where_visible_is_ok(lesson01, "mse_vs_code_size", lambda code_sizes: right([2]), *data)


def test_lesson06_a_layer_that_ignores_its_weight():
    from unsuplab.checks import lesson06

    right = solution("06", "ContractiveReLU")

    class FixedWeight(right):  # the lesson's lambda, 0.5, whatever weight it is given
        def __init__(self, units, weight=0.5, **kwargs):
            super().__init__(units, weight=0.5, **kwargs)

    assert lesson06.contractive_layer(right).ok and lesson06.hidden_contractive_layer(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson06, "contractive_layer", FixedWeight)


def test_lesson07_sampling_layer_fitted_to_three_dimensions():
    from unsuplab.checks import lesson07

    right = solution("07", "YourSampling")

    class Fitted(right):  # noise only where the visible check looks (3 latent dimensions)
        def call(self, inputs):
            return super().call(inputs) if inputs[0].shape[-1] == 3 else inputs[0] + 0.0

    assert lesson07.sampling_layer(right).ok and lesson07.hidden_sampling_layer(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson07, "sampling_layer", Fitted)


def test_lesson07_a_made_up_table_passes_the_visible_check_only():
    from unsuplab.checks import lesson07

    x_train, x_test, betas = DIGITS[:30], DIGITS[30:], (0.1, 10.0)
    assert lesson07.hidden_beta_sweep(solution("07", "beta_sweep"), x_train, x_test, betas, 1).ok

    def made_up(x_train, x_test, betas, epochs):  # the trend the lesson predicts, never measured
        return {b: {"reconstruction": 100.0 + b, "kl": 10.0 / (1.0 + b)} for b in betas}

    _hidden_is_wrong_where_visible_is_ok(lesson07, "beta_sweep", made_up, x_train, x_test, betas, 1)


def test_lesson12_a_score_of_the_first_channel_only():
    from unsuplab.checks import lesson12

    cell = solution_cell("12", "build_my_scorer")
    right, build = cell["MyReconstructionError"], cell["build_my_scorer"]

    class FirstChannel(keras.layers.Layer):  # right for grey images and vectors, wrong for colour
        def call(self, inputs):
            x, x_hat = inputs
            squared = ops.square(x - x_hat)
            squared = squared[..., :1] if len(x.shape) == 4 else squared
            return ops.mean(squared, axis=tuple(range(1, len(x.shape))))

    assert lesson12.anomaly_scorer(right, build).ok and lesson12.hidden_anomaly_scorer(right, build).ok
    _hidden_is_wrong_where_visible_is_ok(lesson12, "anomaly_scorer", FirstChannel)
    _hidden_is_wrong_where_visible_is_ok(lesson12, "reconstruction_error_layer", FirstChannel)  # its part 1


def test_lesson20_views_that_crop_28_pixel_images_only():
    from unsuplab.checks import lesson20

    right = solution("20", "my_views")

    class Fitted(keras.layers.Layer):
        def __init__(self, crop):
            super().__init__()
            self.views = right(crop)

        def call(self, x, training=False):
            return self.views(x, training=training) if x.shape[1] == 28 else x

    assert lesson20.views_with_and_without_crop(right).ok and lesson20.hidden_views_with_and_without_crop(right).ok
    _hidden_is_wrong_where_visible_is_ok(lesson20, "views_with_and_without_crop", Fitted)
