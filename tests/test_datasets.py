import gzip
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from unsuplab import datasets
from unsuplab.datasets import CorruptDataset, DatasetUnavailable

FASHION = Path("/usr/share/datasets/fashion-mnist")


def _check_split(split, shape, n_classes):
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        assert x.dtype == np.float32 and x.shape[1:] == shape
        assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
        assert y.dtype == np.int64 and len(y) == len(x)
        assert set(np.unique(y)) <= set(range(n_classes))


def test_mnist_small_is_real_balanced_and_fixed():
    s = datasets.load("mnist_small")
    _check_split(s, (28, 28, 1), 10)
    assert len(s.x_train) == 4000 and len(s.x_test) == 1000
    assert np.bincount(s.y_test).tolist() == [100] * 10
    again = datasets.load("mnist_small")
    assert np.array_equal(s.x_test, again.x_test), "the split must not change between calls"
    # train and test are disjoint images
    train_keys = {x.tobytes() for x in s.x_train}
    assert not any(x.tobytes() in train_keys for x in s.x_test[:200])


def test_digits():
    s = datasets.load("digits")
    _check_split(s, (8, 8, 1), 10)
    assert len(s.x_train) + len(s.x_test) == 1797


def test_subsets_are_stratified_and_seeded():
    a = datasets.load("mnist_small", n_train=200, n_test=50, seed=3)
    b = datasets.load("mnist_small", n_train=200, n_test=50, seed=3)
    assert a.x_train.shape == (200, 28, 28, 1) and a.x_test.shape == (50, 28, 28, 1)
    assert np.array_equal(a.y_train, b.y_train)
    assert np.bincount(a.y_train).min() >= 15


def test_photos_patches_hold_out_test_photos():
    s = datasets.load("photos", n_train=60, n_test=20, size=16)
    _check_split(s, (16, 16, 3), 8)
    x, src = datasets.photo_patches(size=8, count=10, split="test", seed=1)
    y, _ = datasets.photo_patches(size=8, count=10, split="test", seed=1)
    assert np.array_equal(x, y) and x.shape == (10, 8, 8, 3) and set(src) == {0, 1}
    assert not set(datasets.PHOTOS_TRAIN) & set(datasets.PHOTOS_TEST)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=0), "size"), (dict(size=4000), "size"), (dict(count=0), "count"), (dict(split="val"), "split")])
def test_photo_patches_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.photo_patches(**kwargs)


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="mnist_small"):
        datasets.load("mnist_large")


def test_bad_subset_size():
    with pytest.raises(ValueError, match="n_train"):
        datasets.load("digits", n_train=0)


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
def test_fashion_mnist_from_debian_package():
    s = datasets.load("fashion_mnist")
    _check_split(s, (28, 28, 1), 10)
    assert len(s.x_train) == 60000 and len(s.x_test) == 10000
    assert np.bincount(s.y_test).tolist() == [1000] * 10


def test_missing_data_without_network_fails_fast_and_says_how(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    for name, hint in (("mnist", "mnist.npz"), ("cifar10", "cifar-10"), ("fashion_mnist", "apt-get install")):
        start = time.time()
        with pytest.raises(DatasetUnavailable, match=hint):
            datasets.load(name)
        assert time.time() - start < 5


def test_unreachable_network_is_detected_within_the_timeout(monkeypatch):
    monkeypatch.delenv("UNSUPLAB_OFFLINE", raising=False)
    start = time.time()
    assert not datasets.network_available(("192.0.2.1", 9), timeout=1.0)  # TEST-NET-1: never routed
    assert time.time() - start < 3


def _copy_fashion(tmp_path):
    folder = tmp_path / "fashion"
    folder.mkdir()
    for name in datasets.FASHION_FILES:
        shutil.copy(FASHION / name, folder / name)
    return folder


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_corrupt_fashion_file_is_reported_not_half_loaded(tmp_path):
    folder = _copy_fashion(tmp_path)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(target.read_bytes())
    target.write_bytes(gzip.compress(raw[:-7]))  # truncated
    with pytest.raises(CorruptDataset, match="t10k-labels"):
        datasets._fashion_mnist([folder])
    target.write_bytes(b"not gzip at all")
    with pytest.raises(CorruptDataset, match="gzip"):
        datasets._fashion_mnist([folder])
    flipped = bytearray(raw)
    flipped[100] ^= 1  # same size, one label changed
    target.write_bytes(gzip.compress(bytes(flipped)))
    with pytest.raises(CorruptDataset, match="checksum"):
        datasets._fashion_mnist([folder])


def test_idx_reader_checks_header_and_length(tmp_path):
    good = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = b"\x00\x00\x08\x03" + b"".join(int(d).to_bytes(4, "big") for d in good.shape)
    path = tmp_path / "ok.gz"
    path.write_bytes(gzip.compress(header + good.tobytes()))
    assert np.array_equal(datasets.read_idx_gz(path), good)
    with pytest.raises(CorruptDataset, match="shape"):
        datasets.read_idx_gz(path, expected_shape=(3, 3, 4))
    path.write_bytes(gzip.compress(b"\x00\x00\x0d\x03" + header[4:] + good.tobytes()))
    with pytest.raises(CorruptDataset, match="unsigned bytes"):
        datasets.read_idx_gz(path)


def test_corrupt_mnist_cache_is_reported(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(CorruptDataset, match="checksum"):
        datasets.load("mnist")


def test_cifar_reader_refuses_code_in_pickles(tmp_path):
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(CorruptDataset, match="refusing"):
        datasets._read_cifar_batch(path)


def test_cifar_reader_reads_a_well_formed_batch(tmp_path):
    import pickle

    data = np.random.default_rng(0).integers(0, 256, (10000, 3072), dtype=np.uint8)
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({b"data": data, b"labels": list(range(10)) * 1000}))
    x, y = datasets._read_cifar_batch(path)
    assert x.shape == (10000, 32, 32, 3) and x[0, 0, 0, 1] == data[0, 1024]
    assert y[:3].tolist() == [0, 1, 2]
