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


def test_augmented_patches_are_the_same_patches_turned_or_mirrored():
    plain, src = datasets.photo_patches(size=8, count=40, seed=3)
    turned, src_turned = datasets.photo_patches(size=8, count=40, seed=3, augment=True)
    assert np.array_equal(src, src_turned)

    def symmetries(p):
        return [np.rot90(q, k) for q in (p, p[:, ::-1]) for k in range(4)]

    assert all(any(np.array_equal(t, s) for s in symmetries(p)) for p, t in zip(plain, turned))
    assert sum(np.array_equal(p, t) for p, t in zip(plain, turned)) < 20  # most patches moved
    s = datasets.load("photos", n_train=20, n_test=10, size=8, augment=True)
    assert np.array_equal(s.x_test, datasets.load("photos", n_train=20, n_test=10, size=8).x_test)
    with pytest.raises(TypeError, match="augment"):
        datasets.photo_patches(augment="yes")


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


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is missing (.ci/run installs it)")
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


# ----------------------------------------------------------------------------- order of the splits (issue 11)

def _offline_labelled_sets():
    """(name, n_train, n_test) for every labelled set available here, in full and fast-mode sizes."""
    sets = [("mnist_small", None, None), ("mnist_small", 300, 100), ("mnist_small", 500, 200),
            ("mnist_small", 240, 60), ("digits", None, None), ("digits", 300, 100)]
    if FASHION.exists():
        sets += [("fashion_mnist", None, None), ("fashion_mnist", 1000, 500)]
    cache = datasets.keras_cache_dir()
    if (cache / "mnist.npz").is_file():
        sets.append(("mnist", None, None))
    cifar = (cache / "cifar-10-batches-py", cache / "cifar-10-batches-py-target" / "cifar-10-batches-py")
    if any((c / "test_batch").is_file() for c in cifar):
        sets.append(("cifar10", None, None))
    return sets


@pytest.mark.parametrize("name, n_train, n_test", _offline_labelled_sets())
def test_splits_are_shuffled_and_identical_across_calls(name, n_train, n_test):
    a = datasets.load(name, n_train=n_train, n_test=n_test)
    for y, part in ((a.y_train, "train"), (a.y_test, "test")):
        assert len(np.unique(y[:20])) >= 5, f"the first 20 {part} labels of {name} hold {np.unique(y[:20])}"
    b = datasets.load(name, n_train=n_train, n_test=n_test)
    for got, again in zip(a, b):
        np.testing.assert_array_equal(got, again)


def test_small_sets_use_a_fixed_stratified_split():
    s = datasets.load("digits")
    assert len(s.x_train) == 1437 and len(s.x_test) == 360
    counts = np.bincount(s.y_test)
    assert counts.max() - counts.min() <= 2          # stratified: each class keeps its share
    seeded = datasets.load("digits", seed=5)
    np.testing.assert_array_equal(seeded.x_test, s.x_test)  # `seed` picks subsets, never the split itself


def test_official_split_keeps_its_parts_and_shuffles_each():
    x_train = np.repeat(np.arange(10, dtype=np.uint8), 30)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    y_train = np.repeat(np.arange(10), 30)          # sorted by class, like a file on disk
    s = datasets._official_split(x_train, y_train, x_train[:100], y_train[:100])
    assert len(np.unique(s.y_train[:20])) >= 5
    assert sorted(s.y_train.tolist()) == y_train.tolist() and sorted(s.y_test.tolist()) == y_train[:100].tolist()
    np.testing.assert_array_equal(s.x_train[:, 0, 0, 0] * 255, s.y_train)  # images move with their labels
    again = datasets._official_split(x_train, y_train, x_train[:100], y_train[:100])
    np.testing.assert_array_equal(s.y_train, again.y_train)
    sub = datasets._limit(s, 50, 20, seed=1)
    assert np.bincount(sub.y_train).tolist() == [5] * 10 and len(sub.y_test) == 20


# ----------------------------------------------------------------------------- bad input (issue 19)

@pytest.mark.parametrize("call, error, match", [
    (lambda: datasets.load("digits", n_train=0), ValueError, "n_train"),
    (lambda: datasets.load("digits", n_test=0), ValueError, "n_test"),
    (lambda: datasets.load("digits", n_train=10 ** 6), ValueError, "n_train.*at most 1437"),
    (lambda: datasets.load("mnist_small", n_test=1001), ValueError, "n_test.*at most 1000"),
    (lambda: datasets.load("photos", n_train=0), ValueError, "n_train"),
    (lambda: datasets.load("photos", n_train=10 ** 9), ValueError, "n_train.*at most"),
    (lambda: datasets.load("photos", n_test=-1), ValueError, "n_test"),
    (lambda: datasets.load("digits", n_train=2.5), TypeError, "n_train"),
    (lambda: datasets.load(["x"]), TypeError, "name"),
    (lambda: datasets.load("photos", colour=True), TypeError, "size"),
    (lambda: datasets.load("digits", size=8), TypeError, "options"),
    (lambda: datasets.load("digits", seed=-1), ValueError, "seed"),
    (lambda: datasets.load("digits", seed="a"), TypeError, "seed"),
    (lambda: datasets.load("digits", seed=2 ** 40), ValueError, "seed"),
    (lambda: datasets.photo_patches(count=10 ** 9), ValueError, "count"),
])
def test_bad_load_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_offline_variable_accepts_only_documented_values(monkeypatch):
    for value in ("1", "true", "YES", "on"):
        monkeypatch.setenv("UNSUPLAB_OFFLINE", value)
        assert not datasets.network_available(("192.0.2.1", 9), timeout=0.1)
    monkeypatch.setenv("UNSUPLAB_OFFLINE", "maybe")
    with pytest.raises(ValueError, match="UNSUPLAB_OFFLINE"):
        datasets.network_available(("192.0.2.1", 9), timeout=0.1)


def test_network_probe_goes_through_the_proxy(monkeypatch):
    import socket

    for var in ("UNSUPLAB_OFFLINE", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as proxy:   # a local "proxy" that accepts connections
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(1)
        port = proxy.getsockname()[1]
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        assert datasets.probe_address(("192.0.2.1", 443)) == ("127.0.0.1", port)
        assert datasets.network_available(("192.0.2.1", 443), timeout=1.0)  # the host itself is unroutable
        monkeypatch.setenv("no_proxy", "192.0.2.1")
        monkeypatch.setenv("NO_PROXY", "192.0.2.1")
        assert datasets.probe_address(("192.0.2.1", 443)) == ("192.0.2.1", 443)


def test_fashion_folder_can_be_pointed_elsewhere(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("UNSUPLAB_FASHION_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(DatasetUnavailable, match="UNSUPLAB_FASHION_MNIST_DIR"):
        datasets.load("fashion_mnist")
    folder = tmp_path / "fashion"
    folder.mkdir()
    monkeypatch.setenv("UNSUPLAB_FASHION_MNIST_DIR", str(folder))
    with pytest.raises(DatasetUnavailable, match="lacks"):
        datasets.load("fashion_mnist")
    for name in datasets.FASHION_FILES:   # files that are there but wrong: read from this folder, then refused
        (folder / name).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    with pytest.raises(CorruptDataset, match=str(folder)):
        datasets.load("fashion_mnist")


def test_broken_caches_are_reported(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = tmp_path / "datasets"
    (cache / "mnist.npz").mkdir(parents=True)          # a folder where the file should be
    with pytest.raises(CorruptDataset, match="not a file"):
        datasets.load("mnist")
    cifar = cache / "cifar-10-batches-py"
    cifar.mkdir()
    (cifar / "test_batch").write_bytes(b"")            # a partial download: batches missing, one empty
    with pytest.raises(CorruptDataset, match="data_batch_1"):
        datasets.load("cifar10")
    for i in range(1, 6):
        (cifar / f"data_batch_{i}").write_bytes(b"junk")
    with pytest.raises(CorruptDataset, match="CIFAR-10 batch"):
        datasets.load("cifar10")


@pytest.mark.skipif(not FASHION.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_folder_variable_loads_the_real_files(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for name in datasets.FASHION_FILES:
        (folder / name).symlink_to(FASHION / name)
    monkeypatch.setenv("UNSUPLAB_FASHION_MNIST_DIR", str(folder))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    s = datasets.load("fashion_mnist", n_train=100, n_test=50)
    assert np.bincount(s.y_train).tolist() == [10] * 10 and np.bincount(s.y_test).tolist() == [5] * 10
