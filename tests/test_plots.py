"""plots.image_grid: rows of unequal length keep every image; bad input is named. plots.image_row: given axes."""

import matplotlib
import numpy as np
import pytest

from unsuplab import plots

matplotlib.use("Agg")


def test_image_grid_keeps_the_longer_rows():
    fig = plots.image_grid({"four": np.zeros((4, 8, 8)), "two": np.ones((2, 8, 8, 1))}, n=10)
    axes = np.array(fig.axes).reshape(2, 4)
    assert all(ax.images for ax in axes[0])  # the longer row is not cut to the shorter one
    assert [bool(ax.images) for ax in axes[1]] == [True, True, False, False]
    assert not axes[1, 3].axison


def test_image_grid_shows_at_most_n():
    fig = plots.image_grid(np.zeros((12, 8, 8)), n=5)
    assert len(fig.axes) == 5


@pytest.mark.parametrize("rows, n", [({}, 3), (np.zeros((2, 8, 8)), 0), ({"empty": np.zeros((0, 8, 8))}, 3)])
def test_image_grid_bad_input(rows, n):
    with pytest.raises(ValueError, match="rows"):
        plots.image_grid(rows, n=n)


def test_image_grid_leaves_none_slots_empty():
    row = [np.full((8, 8), 0.5)] + [None] * 8 + [np.ones((8, 8, 1))]
    fig = plots.image_grid({"originals": row, "walk": np.zeros((10, 8, 8))}, n=10)
    axes = np.array(fig.axes).reshape(2, 10)
    assert [bool(ax.images) for ax in axes[0]] == [True] + [False] * 8 + [True]  # no black squares
    assert not any(ax.axison for ax in axes[0, 1:9])
    assert all(ax.images for ax in axes[1])


def test_image_grid_none_in_the_first_slot_keeps_the_row_label():
    fig = plots.image_grid({"late": [None, np.zeros((8, 8))]}, n=2)
    first = fig.axes[0]
    assert not first.images and first.axison and first.get_ylabel() == "late"  # axis("off") would hide the label


def test_image_row_draws_into_given_axes_and_leaves_the_rest_blank():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4)
    images = np.stack([np.full((8, 8, 1), v, "float32") for v in (0.0, 0.5, 1.0)])
    plots.image_row(axes, images, "cluster 3\n120, 90% 7")
    assert [bool(ax.images) for ax in axes] == [True, True, True, False]
    assert axes[1].images[0].get_array().shape == (8, 8)  # the channel axis squeezed, grey
    assert axes[1].images[0].get_clim() == (0.0, 1.0)  # pixels in [0, 1], not rescaled per image
    assert axes[0].get_ylabel() == "cluster 3\n120, 90% 7" and not axes[3].get_xticks().size
    plt.close(fig)
