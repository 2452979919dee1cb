"""The texture-mosaic loader: shapes, seeds, exact labels, disjoint train/test halves, normalisation, errors."""

import time

import numpy as np
import pytest
import skimage.data

from unsuplab.datasets import TEXTURES, mosaic_sources, texture_half, texture_mosaics


def test_shapes_dtypes_range_and_every_texture_present():
    x, y = texture_mosaics(8, size=64, seed=1)
    assert x.shape == (8, 64, 64, 1) and x.dtype == np.float32
    assert y.shape == (8, 64, 64) and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.std() > 0.1
    assert set(np.unique(y)) == {0, 1, 2}
    assert all(len(np.unique(m)) == 3 for m in y), "default regions (k..2k) put every texture in every mosaic"


def test_seeded_and_reproducible():
    a, la = texture_mosaics(4, size=48, seed=7)
    b, lb = texture_mosaics(4, size=48, seed=7)
    c, lc = texture_mosaics(4, size=48, seed=8)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_pixel_is_its_labels_texture_from_its_own_half(split):
    textures = ("gravel", "brick")          # labels index into `textures`, in the caller's order
    x, y = texture_mosaics(3, size=16, textures=textures, split=split, seed=2, regions=(2, 4))
    labels, rows, cols = mosaic_sources(3, size=16, textures=textures, split=split, seed=2, regions=(2, 4))
    assert np.array_equal(labels, y)
    raw = {t: getattr(skimage.data, t)() for t in textures}
    offset = 0 if split == "train" else 256
    assert cols.min() >= 0 and cols.max() < 256, "columns index inside the half"
    for i, yy, xx in zip(*np.nonzero(np.ones_like(y, bool))):
        name = textures[y[i, yy, xx]]
        assert x[i, yy, xx, 0] == texture_half(name, split)[rows[i, yy, xx], cols[i, yy, xx]]
    # the half really is that half of the raw photo: its ranks match the raw pixels' ranks
    for name in textures:
        half, source = texture_half(name, split), raw[name][:, offset:offset + 256].astype(float)
        inside = (half > 0) & (half < 1)
        assert np.corrcoef(half[inside], source[inside])[0, 1] > 0.9999


def test_train_and_test_halves_are_disjoint():
    for name in TEXTURES:
        raw = getattr(skimage.data, name)().astype(float)
        train, test = texture_half(name, "train"), texture_half(name, "test")
        assert train.shape == test.shape == (512, 256)
        # each half is an affine (then clipped) map of exactly its own columns of the raw photo
        for half, cols in ((train, slice(0, 256)), (test, slice(256, 512))):
            inside = (half > 0) & (half < 1)
            slope, icept = np.polyfit(raw[:, cols][inside], half[inside], 1)
            assert np.allclose(slope * raw[:, cols][inside] + icept, half[inside], atol=1e-5)
    _, _, cols = mosaic_sources(20, size=64, split="train", seed=0)
    assert cols.max() < 256  # train never reads past column 255 of the raw photo
    _, _, cols = mosaic_sources(20, size=64, split="test", seed=0)
    assert cols.min() >= 0 and cols.max() < 256  # test reads columns 256 + [0, 256) of the raw photo


def test_brightness_is_normalised_per_texture():
    x, y = texture_mosaics(20, size=64, split="test", seed=0)
    means = [x[..., 0][y == t].mean() for t in range(3)]
    stds = [x[..., 0][y == t].std() for t in range(3)]
    assert np.ptp(means) < 0.03 and np.ptp(stds) < 0.03
    raw_means = [getattr(skimage.data, t)().mean() / 255 for t in TEXTURES]
    assert np.ptp(raw_means) > 0.05, "the raw photos do differ in brightness"


def test_regions_argument():
    _, y = texture_mosaics(10, size=32, seed=0, regions=1)
    assert all(len(np.unique(m)) == 1 for m in y)
    _, y = texture_mosaics(10, size=32, seed=0, regions=(5, 5))
    assert all(len(np.unique(m)) == 3 for m in y)


def test_fast_enough():
    texture_mosaics(2)
    start = time.process_time()     # CPU time, not wall time: other jobs on a busy machine do not count
    texture_mosaics(200, size=128)
    assert time.process_time() - start < 3.0   # 0.3-0.6 s of CPU here; the target is < 2 s


@pytest.mark.parametrize("kwargs, word", [
    ({"n": 0}, "`n`"), ({"n": 2.5}, "`n`"),
    ({"n": 2, "textures": ("brick", "marble")}, "`textures`"),
    ({"n": 2, "textures": ("brick", "brick")}, "`textures`"),
    ({"n": 2, "textures": "brick"}, "`textures`"),
    ({"n": 2, "textures": ()}, "`textures`"),
    ({"n": 2, "size": 257}, "`size`"), ({"n": 2, "size": 1}, "`size`"),
    ({"n": 2, "split": "val"}, "`split`"),
    ({"n": 2, "regions": 0}, "`regions`"), ({"n": 2, "regions": (4, 2)}, "`regions`"),
    ({"n": 2, "regions": "many"}, "`regions`"),
])
def test_bad_input_names_the_argument(kwargs, word):
    with pytest.raises((ValueError, TypeError), match=word):
        texture_mosaics(**kwargs)
