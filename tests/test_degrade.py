import numpy as np
import pytest

from unsuplab import degrade, metrics


def images(n=4, side=12, channels=3, seed=0):
    return np.random.default_rng(seed).random((n, side, side, channels)).astype("float32")


def test_gaussian_noise_is_seeded_clipped_and_has_the_right_spread():
    x = np.full((50, 16, 16, 1), 0.5, "float32")
    a, b = degrade.add_gaussian_noise(x, 0.1, seed=3), degrade.add_gaussian_noise(x, 0.1, seed=3)
    np.testing.assert_array_equal(a, b)
    assert np.std(a - x) == pytest.approx(0.1, rel=0.05)
    big = degrade.add_gaussian_noise(x, 0.5)
    assert big.min() >= 0 and big.max() <= 1
    assert degrade.add_gaussian_noise(x, 0.5, clip=False).max() > 1
    with pytest.raises(ValueError, match="factor"):
        degrade.add_gaussian_noise(x, -1)


def test_one_corruption_implementation_behind_every_name():
    """add_gaussian_noise and random_square_mask are degrade.corrupt under other names."""
    x = images(channels=1)
    np.testing.assert_array_equal(degrade.add_gaussian_noise(x, factor=0.3, seed=5),
                                  degrade.corrupt(x, "gaussian", 0.3, seed=5))
    masked, mask = degrade.random_square_mask(x, size=4, seed=6)
    np.testing.assert_array_equal(masked, degrade.corrupt(x, "mask_squares", seed=6, square_size=4))
    with pytest.raises(TypeError, match="amount"):
        degrade.corrupt(x, "gaussian", "big")
    with pytest.raises(ValueError, match=r"`square_size` must be at most the image side 12"):
        degrade.corrupt(x, "mask_squares", square_size=13)


def test_square_mask_blanks_exactly_one_square():
    x = images(channels=1) + 0.0
    masked, mask = degrade.random_square_mask(x, size=5, seed=1)
    assert mask.shape == (4, 12, 12, 1) and mask.dtype == bool
    assert (mask.reshape(4, -1).sum(1) == 25).all()
    assert (masked[mask] == 0).all()
    np.testing.assert_array_equal(masked[~mask], x[~mask])
    with pytest.raises(ValueError, match="size"):
        degrade.random_square_mask(x, size=13)


def test_colour_helpers_round_trip_and_gray_baseline():
    x = images()
    gray = degrade.to_gray(x)
    assert gray.shape == (4, 12, 12, 1)
    np.testing.assert_allclose(gray[..., 0], x @ np.array([0.2125, 0.7154, 0.0721], "float32"), atol=1e-5)
    rgb = degrade.gray_to_rgb(gray)
    assert rgb.shape == x.shape and metrics.colourfulness(rgb).max() < 1e-6
    np.testing.assert_allclose(degrade.lab_to_rgb(degrade.rgb_to_lab(x)), x, atol=1e-4)
    lightness, ab = degrade.split_lab(x)
    assert lightness.shape == (4, 12, 12, 1) and ab.shape == (4, 12, 12, 2)
    assert 0 <= lightness.min() and lightness.max() <= 1 and np.abs(ab).max() <= 1
    np.testing.assert_allclose(degrade.join_lab(lightness, ab), x, atol=1e-4)
    with pytest.raises(ValueError, match="channels"):
        degrade.to_gray(gray)
    with pytest.raises(ValueError, match="`ab`"):
        degrade.join_lab(lightness, ab[..., :1])


def test_downsample_and_bicubic_shapes_and_smooth_images():
    x = images(side=12)
    low = degrade.downsample(x, 3)
    assert low.shape == (4, 4, 4, 3)
    up = degrade.bicubic_upsample(low, 3)
    assert up.shape == x.shape and up.min() >= 0 and up.max() <= 1
    # a smooth ramp survives x2 down and up almost perfectly
    ramp = np.tile(np.linspace(0.2, 0.8, 16, dtype="float32"), (16, 1))[None, ..., None]
    assert metrics.psnr(ramp, degrade.bicubic_upsample(degrade.downsample(ramp, 2), 2)) > 35
    with pytest.raises(ValueError, match="divisible"):
        degrade.downsample(images(side=10), 3)
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch, height, width, channels\)"):
        degrade.downsample(x[0], 2)
