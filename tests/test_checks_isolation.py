"""Issue 27: answers cannot fool the checks: private copies of their inputs, checks that cannot be redefined,
delegating to the library graded wrong, and the grading sandbox. A crash or a hang in a fresh Python (as in a
grading kernel) is tested in tests/e2e/test_checks_in_a_fresh_python.py."""

import subprocess
import sys

import numpy as np
import pytest

from unsuplab.checks import exercise, expect_close, lesson04, lesson13, lesson16, yours_or_library


def test_yours_or_library_catches_system_exit_but_not_the_kernels_interrupt(capsys):
    def exits():
        sys.exit(3)

    def interrupted():
        raise KeyboardInterrupt

    assert yours_or_library(exits, lambda: "library", what="layer") == "library"
    assert "raised SystemExit" in capsys.readouterr().out
    with pytest.raises(KeyboardInterrupt):
        yours_or_library(interrupted, lambda: "library")


def test_answers_get_private_copies_of_their_inputs():
    data = np.arange(4.0)

    @exercise("Ex")
    def check(student_fn):
        got = student_fn(data)
        expect_close(got, data.sum(), "the sum")

    def zeroes_then_sums(x):
        total = x.sum()
        x[:] = 0
        return total

    assert check(zeroes_then_sums).ok and data.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_checks_cannot_be_redefined_from_a_notebook():
    with pytest.raises(AttributeError, match="cannot be replaced from a notebook"):
        lesson04.kl_sparsity_layer = lambda *a, **k: None
    import unsuplab.checks as checks

    with pytest.raises(AttributeError, match="cannot be replaced"):
        checks.exercise = None


def test_delegating_to_the_library_is_wrong():
    from unsuplab import dec, jule, metrics
    from unsuplab.layers import KLSparsity

    def delegates(q):
        return dec.target_distribution(q)
        print("never runs")

    def delegates_by_import(q):
        """A docstring."""
        from unsuplab.dec import target_distribution as t
        return t(q)

    class Empty(KLSparsity):
        pass

    class OnlySuper(KLSparsity):
        def call(self, inputs):
            return super().call(inputs)

    def triplet(e, labels, margin=0.2):
        return jule.triplet_loss(e, labels, margin)

    for answer in (delegates, delegates_by_import, dec.target_distribution, lambda q: dec.target_distribution(q)):
        result = lesson16.target_distribution(answer)
        assert result.status == "wrong" and "the library's" in result.message, answer
        assert "target_distribution" in result.message
    for answer in (Empty, OnlySuper, KLSparsity):
        result = lesson04.kl_sparsity_layer(answer)
        assert result.status == "wrong" and "KLSparsity" in result.message, result
    assert not lesson16.triplet_loss(triplet)
    def precision(d, q, db, k):
        return metrics.precision_at_k(d, q, db, k)

    assert "library's precision_at_k" in lesson13.precision_at_k(precision).message


def test_a_correct_answer_is_told_where_the_library_keeps_its_version():
    from keras import ops

    def target(q):
        weight = ops.square(q) / ops.sum(q, axis=0, keepdims=True)
        return weight / ops.sum(weight, axis=1, keepdims=True)

    result = lesson16.target_distribution(target)
    assert result.ok and "See the library's version: unsuplab/dec.py, target_distribution" in result.message


def test_the_grading_sandbox_lets_the_kernel_write_only_its_folder(tmp_path):
    """The bwrap command of ``make grade``: the course read-only (also under /tmp), its submission folder writable."""
    from unsuplab.checks import sandbox

    problem = sandbox.available()
    if problem:
        pytest.skip(problem)
    course, connection = tmp_path / "course", tmp_path / "kernel.json"
    work = course / "autograded" / "alice" / "l04"
    work.mkdir(parents=True)
    connection.write_text("{}")
    script = "touch mine.txt; touch ../../../stolen.txt 2>&1; touch /tmp/scratch && echo scratch"
    done = subprocess.run(sandbox.bwrap_argv(work, connection, course) + ["sh", "-c", script],
                          capture_output=True, text=True, timeout=60)
    assert (work / "mine.txt").exists() and not (course / "stolen.txt").exists()
    assert "Read-only file system" in done.stdout and "scratch" in done.stdout


def test_sandbox_binds_a_python_environment_under_tmp(monkeypatch, tmp_path):
    """A clone or venv under /tmp is hidden by the sandbox's private /tmp unless bound (the kernel died in a
    fresh clone under /tmp)."""
    from unsuplab.checks import sandbox

    monkeypatch.setattr(sandbox.sys, "prefix", "/tmp/some-clone/.venv")
    argv = sandbox.bwrap_argv(tmp_path, tmp_path / "c.json")
    at = argv.index("/tmp/some-clone/.venv")
    assert argv[at - 1] == "--ro-bind" and argv.index("--tmpfs") < at
    monkeypatch.setattr(sandbox.sys, "prefix", "/opt/venv")
    assert "/opt/venv" not in sandbox.bwrap_argv(tmp_path, tmp_path / "c.json")
