"""Issue 27: answers cannot fool the checks, and a crash or a hang costs one check, never the kernel.

The isolation runs in a fresh Python (as in a grading kernel: the checks imported, with
``UNSUPLAB_ISOLATE_CHECKS=1``, before any tensor op ran), since this test process may already run TensorFlow's
thread pools, after which a forked child deadlocks.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from unsuplab.checks import exercise, expect_close, lesson04, lesson13, lesson16, yours_or_library

GAMES = textwrap.dedent("""
    import ctypes, json, os, sys, time
    import keras
    import numpy as np
    from unsuplab.checks import lesson00, lesson04, lesson13, yours_or_library
    from unsuplab.layers import KLSparsity

    def exits(x_train, x_test, k):
        os._exit(1)

    def segfaults(x_train, x_test, k):
        ctypes.string_at(0)

    def loops(x_train, x_test, k):
        while True:
            pass

    def allocates(x_train, x_test, k):
        return np.ones(2**31)  # 16 GiB: beyond the check's memory limit

    def exits_builder():
        sys.exit(0)

    def centres_in_place(x_train, x_test, k):  # a correct answer that changes its input in place
        mean = x_train.mean(axis=0)
        x_train -= mean
        _, _, vt = np.linalg.svd(x_train, full_matrices=False)
        codes = (x_test - mean) @ vt[:k].T
        return codes, codes @ vt[:k] + mean

    def sorts_in_place(distances, query_labels, database_labels, k):  # issue 27's mutation: d.sort()
        distances.sort(axis=1)
        return float(np.mean(database_labels[np.argsort(distances, axis=1)[:, :k]] == query_labels[:, None]))

    class MyKLSparsity(keras.layers.Layer):
        def __init__(self, rho=0.05, beta=1e-3, **kwargs):
            super().__init__(**kwargs)
            self.rho, self.beta = rho, beta

        def call(self, inputs):
            rho_hat = keras.ops.clip(keras.ops.mean(inputs, axis=0), 1e-7, 1 - 1e-7)
            kl = self.rho * keras.ops.log(self.rho / rho_hat) + (1 - self.rho) * keras.ops.log(
                (1 - self.rho) / (1 - rho_hat))
            self.add_loss(self.beta * keras.ops.sum(kl))
            return inputs

    out = {}
    for name, fn in [("exits", exits), ("segfaults", segfaults), ("loops", loops), ("allocates", allocates),
                     ("centres_in_place", centres_in_place)]:
        start = time.perf_counter()
        result = lesson00.pca_encode_decode(fn)
        out[name] = [result.status, result.message, time.perf_counter() - start]
    out["sorts_in_place"] = [lesson13.precision_at_k(sorts_in_place).status, "", 0]
    start = time.perf_counter()
    out["keras_layer"] = [lesson04.kl_sparsity_layer(MyKLSparsity).status, "", time.perf_counter() - start]
    out["library_after_exit"] = yours_or_library(exits_builder, lambda: "library", what="layer")
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def games():
    env = dict(os.environ, UNSUPLAB_ISOLATE_CHECKS="1", UNSUPLAB_CHECK_TIMEOUT="5", UNSUPLAB_CHECK_MEMORY_GB="2",
               TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("NBGRADER_EXECUTION", None)
    done = subprocess.run([sys.executable, "-c", GAMES], env=env, capture_output=True, text=True, timeout=600)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, f"the games script died (so would a kernel):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(line[len("RESULT "):]), done.stdout


@pytest.mark.tensorflow_only
def test_a_crash_fails_the_check_not_the_process(games):
    out, _ = games
    for name, how in (("exits", "exit code 1"), ("segfaults", "SIGSEGV")):
        status, message, _ = out[name]
        assert status == "wrong" and "ended the Python process" in message and how in message, out[name]


@pytest.mark.tensorflow_only
def test_a_hang_or_a_huge_allocation_is_stopped(games):
    out, _ = games
    status, message, seconds = out["loops"]
    assert status == "wrong" and "did not finish within 5 s" in message and seconds < 30
    status, message, _ = out["allocates"]
    assert status == "wrong" and ("MemoryError" in message or "ended the Python process" in message), message


@pytest.mark.tensorflow_only
def test_isolated_checks_grade_honest_answers_and_input_mutation(games):
    out, _ = games
    assert out["centres_in_place"][0] == "ok", out["centres_in_place"]  # issue 27: was failed
    assert out["sorts_in_place"][0] == "wrong"  # issue 27: was [ok]
    assert out["keras_layer"][0] == "ok"  # a Keras layer class defined in __main__ travels to the child
    assert out["library_after_exit"] == "library"


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
