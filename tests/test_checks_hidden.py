"""Issue 27, item 2: hidden tests. Each ``checks.lessonNN.hidden_NAME`` grades on cases the visible check never
shows; the lesson tool writes them into the source notebooks' check cells as nbgrader hidden-test blocks, and the
released lessons do not contain them (tests/test_nbgrader.py proves nbgrader releases exactly our lessons).

The right answers are the solution notebooks' own cells; a wrong answer here is one fitted to the visible cases
(right on the inputs the visible check uses, off elsewhere): it passes the visible check and fails the hidden one.
"""

import functools
import importlib
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from keras import layers, ops

from unsuplab import degrade, lessontool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = {"00": "00_what_is_unsupervised_learning", "03": "03_convolutional_autoencoder",
            "04": "04_sparse_autoencoder", "05": "05_denoising_autoencoder", "06": "06_contractive_autoencoder",
            "09": "09_inpainting", "12": "12_anomaly_detection", "15": "15_iic_clustering",
            "18": "18_word_embeddings", "17": "17_iic_segmentation",
            "08": "08_noise_removal", "10": "10_colorization", "11": "11_super_resolution", "13": "13_retrieval",
            "14": "14_recommender", "16": "16_deep_clustering", "19": "19_association_rules"}


def solution(lesson, name):
    """The solved function or class ``name`` from the lesson's solution notebook."""
    nb = nbformat.read(str(ROOT / "solutions" / f"{NOTEBOOK[lesson]}.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and
                c.source.lstrip().startswith((f"def {name}(", f"class {name}(")))
    scope = {"np": np, "ops": ops, "keras": keras, "layers": layers, "degrade": degrade}
    exec(cell.source, scope)
    return scope[name]


def fitted(right, visible, spoil):
    """An answer right on the visible check's inputs (``visible(args)``) and spoilt (``spoil(result)``) elsewhere."""
    @functools.wraps(right)  # the same signature (lesson 15's check looks for `marginal_weight`)
    def answer(*args, **kwargs):
        result = right(*args, **kwargs)
        return result if visible(args) else spoil(result)
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
]


@pytest.mark.parametrize("lesson, check, name, visible, spoil", CASES, ids=[c[1] for c in CASES])
def test_a_wrong_answer_that_passes_the_visible_check_fails_a_hidden_one(lesson, check, name, visible, spoil):
    module = importlib.import_module(f"unsuplab.checks.lesson{lesson}")
    right = solution(lesson, name)
    assert getattr(module, check)(right).ok and getattr(module, f"hidden_{check}")(right).ok
    wrong = fitted(right, visible, spoil)
    assert getattr(module, check)(wrong).ok  # the student sees [ok]...
    assert getattr(module, f"hidden_{check}")(wrong).status == "wrong"  # ...and the grade says otherwise


@pytest.mark.parametrize("lesson, check, name", [("00", "pca_as_keras", "pca_as_keras"),
                                                 ("04", "kl_sparsity_layer", "MyKLSparsity"),
                                                 ("13", "binarize_layer", "MyBinarize")])
def test_the_solution_passes_the_other_hidden_checks(lesson, check, name):
    module = importlib.import_module(f"unsuplab.checks.lesson{lesson}")
    assert getattr(module, f"hidden_{check}")(solution(lesson, name)).ok


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
    assert found >= 25


def test_build_replaces_an_old_hidden_block_instead_of_adding_one():
    once = lessontool.with_hidden_tests("# points: 1\ncheck.f(f)", {"f"})
    assert lessontool.with_hidden_tests(once, {"f"}) == once
    assert once.splitlines()[2:] == ["### BEGIN HIDDEN TESTS", "check.hidden_f(f)", "### END HIDDEN TESTS"]
