"""Issue 27: a crash or a hang in an answer costs one check, never the kernel; input mutation and a Keras layer
defined in the notebook are graded right when each check runs in its own child process.

The isolation runs in a fresh Python (as in a grading kernel: the checks imported, with
``UNSUPLAB_ISOLATE_CHECKS=1``, before any tensor op ran), since this test process may already run TensorFlow's
thread pools, after which a forked child deadlocks.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

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
