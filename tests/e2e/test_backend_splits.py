"""A data split is the same arrays under every Keras backend: the other installed backends load it in child
processes, side by side (CI has all three)."""

import hashlib
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from unsuplab import datasets


def test_split_is_the_same_under_another_backend():
    def digest(split):
        return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in split)).hexdigest()

    here = digest(datasets.load("mnist_small", n_train=300, n_test=100))
    code = ("import hashlib, keras, numpy as np; from unsuplab import datasets; "
            "s = datasets.load('mnist_small', n_train=300, n_test=100); "
            "print(keras.backend.backend(), "
            "hashlib.sha256(b''.join(np.ascontiguousarray(a).tobytes() for a in s)).hexdigest())")
    current = os.environ.get("KERAS_BACKEND", "tensorflow")
    others = [b for b in ("tensorflow", "jax", "torch") if b != current and importlib.util.find_spec(b)]
    if not others:
        pytest.skip("no other Keras backend is installed here")
    runs = {other: subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, KERAS_BACKEND=other,
                                                                           TF_CPP_MIN_LOG_LEVEL="3"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for other in others}  # every other backend installed here (CI: all three), side by side
    for other, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
        assert out.split()[-2:] == [other, here]
