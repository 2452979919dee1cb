"""Information visualisation (unsuplab.infovis): 2-D maps, trustworthiness, the side-by-side figure."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from unsuplab import infovis


def blobs(n_per=20, dim=6, seed=0):
    """Three well-separated Gaussian blobs in ``dim`` dimensions, and their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (3, dim))
    x = np.concatenate([c + rng.normal(0, 1, (n_per, dim)) for c in centres]).astype("float32")
    return x, np.repeat(np.arange(3), n_per)


@pytest.mark.parametrize("method", infovis.METHODS)
def test_map_2d_shape_and_seed(method):
    x, _ = blobs()
    z = infovis.map_2d(x, method, perplexity=10, seed=1)
    assert z.shape == (len(x), 2) and z.dtype == np.float32 and np.all(np.isfinite(z))
    np.testing.assert_allclose(infovis.map_2d(x, method, perplexity=10, seed=1), z, rtol=1e-5, atol=1e-5)


def test_trust_is_one_for_a_faithful_map_and_lower_for_a_shuffled_one():
    x, _ = blobs()
    assert infovis.trust(x[:, :2], x[:, :2], n_neighbors=5) == pytest.approx(1.0)
    z = np.random.default_rng(0).permutation(infovis.map_2d(x, "pca"))  # neighbours scrambled
    bad, good = infovis.trust(x, z, 5), infovis.trust(x, infovis.map_2d(x, "pca"), 5)
    assert 0.0 <= bad < good <= 1.0
    cosine = infovis.trust(x, infovis.map_2d(x, "pca"), 5, metric="cosine")
    assert 0.0 <= cosine <= 1.0


def test_compare_maps_scores_each_map_against_its_own_space():
    x, y = blobs()
    pixels = np.concatenate([x, np.random.default_rng(1).normal(size=(len(x), 10))], axis=1)
    result = infovis.compare_maps({"t-SNE of x": (x, "tsne"), "PCA of pixels": (pixels, "pca")}, y,
                                  n_neighbors=5, perplexity=10, class_names=["a", "b", "c"], annotate={0: "first"})
    assert set(result.maps) == set(result.scores) == set(result.seconds) == {"t-SNE of x", "PCA of pixels"}
    assert all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert result.scores["t-SNE of x"] > 0.9  # three clean blobs: t-SNE keeps the neighbours
    assert result.scores["t-SNE of x"] == pytest.approx(infovis.trust(x, result.maps["t-SNE of x"], 5))
    titles = [ax.get_title() for ax in result.figure.axes]
    assert len(titles) == 2 and all("trustworthiness" in t and "k=5" in t for t in titles)
    again = infovis.compare_maps({"t-SNE of x": (x, "tsne")}, np.where(y == 2, -1, y), n_neighbors=5, perplexity=10)
    np.testing.assert_allclose(again.maps["t-SNE of x"], result.maps["t-SNE of x"], atol=1e-5)
    plt.close("all")


def test_balanced_sample():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    idx = infovis.balanced_sample(y, 30, seed=0)
    assert len(idx) == 30 and len(set(idx)) == 30 and np.bincount(y[idx]).tolist() == [10, 10, 10]
    np.testing.assert_array_equal(idx, infovis.balanced_sample(y, 30, seed=0))
    assert not np.array_equal(idx, np.sort(idx))  # shuffled, not class after class
    with pytest.raises(ValueError, match="number of classes"):
        infovis.balanced_sample(y, 2)


def test_bad_input_says_what_is_wrong():
    x, y = blobs()
    with pytest.raises(ValueError, match="n_points, n_features"):
        infovis.map_2d(x.reshape(3, 20, -1))
    with pytest.raises(ValueError, match="NaN"):
        infovis.map_2d(np.where(x > 5, np.nan, x), "pca")
    with pytest.raises(TypeError, match="numbers"):
        infovis.map_2d(np.array([["a", "b"]] * 5))
    with pytest.raises(ValueError, match="method"):
        infovis.map_2d(x, "umap")
    with pytest.raises(ValueError, match="perplexity"):
        infovis.map_2d(x[:20], "tsne", perplexity=30)
    with pytest.raises(ValueError, match="n_neighbors"):
        infovis.trust(x, x[:, :2], n_neighbors=40)
    with pytest.raises(ValueError, match="same number"):
        infovis.trust(x, x[:10, :2])
    with pytest.raises(ValueError, match="same points"):
        infovis.compare_maps({"a": (x, "pca"), "b": (x[:10], "pca")})
    with pytest.raises(ValueError, match="labels"):
        infovis.compare_maps({"a": (x, "pca")}, y[:5])
    with pytest.raises(ValueError, match="non-empty dict"):
        infovis.compare_maps({})
