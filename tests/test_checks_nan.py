"""Issue 19, item 5: no check passes an answer that returns NaN.

Every check listed in CHECKS is called with a student function that returns NaN (a float, or an array of the
shape a caller might want); it must say "wrong", never "ok". To cover another lesson, add its module and the
names of its checks to CHECKS; a check that needs more than the student function takes ``extra`` arguments.
"""

import importlib

import numpy as np
import pytest

CHECKS = {
    "lesson00": ["pca_encode_decode", "pca_as_keras"],
    "lesson02": ["build_symmetric", "reconstruction_errors"],
    "lesson03": ["unpool"],
    "lesson05": ["salt_and_pepper"],
    "lesson09": ["blank_square", "inpainter"],
    "lesson10": ["gray_baseline", "unet_colorizer"],
    "lesson11": ["pixel_shuffle", "bicubic_baseline"],
    "lesson12": ["anomaly_scorer", "threshold_for_fpr"],
    "lesson13": ["precision_at_k", "binarize_layer"],
    "lesson06": ["sigmoid_penalty"],
    "lesson07": ["sampling"],
    "lesson08": ["conv_denoiser", "psnr"],
    "lesson14": ["masked_loss", "top_n"],
    "lesson15": ["iic_loss", "mutual_information"],
    "lesson16": ["soft_assignment", "target_distribution", "triplet_loss"],
    "lesson17": ["displacement_joint"],
    "lesson18": ["skipgram_pairs", "negative_sampling_loss", "skipgram_model", "analogy"],
    "lesson19": ["rule_measures", "next_candidates"],
    "lesson20": ["nt_xent", "momentum_update"],
}
# Checks that take a layer class or a model builder (lessons 01, 04, 06, 07) feed NaN inputs through the
# student's own layer; their tests in test_checks_lessonNN.py include a NaN-producing layer.
EXTRA = {}  # (module, name) -> extra positional arguments after the student function


def nan_like_first_argument(*args, **kwargs):
    """A wrong answer: NaN with the shape of the first array argument (or a scalar NaN)."""
    first = next((a for a in args if hasattr(a, "shape")), None)
    return np.full(np.shape(first), np.nan, dtype="float32") if first is not None else float("nan")


def scalar_nan(*args, **kwargs):
    return float("nan")


def assert_rejects_nan(check, *extra):
    """Reusable: ``check`` must not accept any NaN-returning answer."""
    for answer in (scalar_nan, nan_like_first_argument):
        result = check(answer, *extra)
        assert result.status == "wrong", f"{check.__name__} accepted {answer.__name__}: {result}"


@pytest.mark.parametrize("module, name", [(m, n) for m, names in CHECKS.items() for n in names])
def test_nan_answer_never_passes(module, name):
    check = getattr(importlib.import_module(f"unsuplab.checks.{module}"), name)
    assert_rejects_nan(check, *EXTRA.get((module, name), ()))
