import numpy as np
import pytest

from unsuplab import metrics


def images(n=3, side=16, channels=1, seed=0):
    return np.random.default_rng(seed).random((n, side, side, channels)).astype("float32")


def test_psnr_matches_closed_form_of_constant_error():
    x = np.full((2, 8, 8, 1), 0.5, "float32")
    # MSE = 0.1^2 -> PSNR = 10 log10(1 / 0.01) = 20 dB
    assert metrics.psnr(x, x + 0.1) == pytest.approx(20.0, abs=1e-4)
    assert metrics.psnr(x, x) == 100.0  # identical images get a finite, large value


def test_psnr_is_mean_of_per_image_values():
    x = np.full((2, 8, 8, 1), 0.5, "float32")
    est = x.copy()
    est[0] += 0.1   # 20 dB
    est[1] += 0.01  # 40 dB
    assert metrics.psnr_per_image(x, est) == pytest.approx([20.0, 40.0], abs=1e-3)
    assert metrics.psnr(x, est) == pytest.approx(30.0, abs=1e-3)


def test_ssim_is_one_for_identical_and_lower_for_noisy():
    x = images(channels=3)
    assert metrics.ssim(x, x) == pytest.approx(1.0)
    noisy = np.clip(x + 0.3 * np.random.default_rng(1).standard_normal(x.shape), 0, 1)
    assert metrics.ssim(x, noisy) < 0.9
    assert metrics.ssim(images(side=8), images(side=8)) == pytest.approx(1.0)  # small images: smaller window


def test_masked_psnr_only_counts_the_masked_pixels():
    x = np.zeros((1, 8, 8, 1), "float32")
    est = x.copy()
    est[0, :4] = 0.1          # error inside the mask
    est[0, 4:] = 0.9          # big error outside, which must not count
    mask = np.zeros_like(x, bool)
    mask[0, :4] = True
    assert metrics.masked_psnr(x, est, mask) == pytest.approx(20.0, abs=1e-4)


def test_masked_psnr_rejects_bad_masks():
    x = images()
    with pytest.raises(TypeError, match="mask"):
        metrics.masked_psnr(x, x, np.ones(x.shape))
    with pytest.raises(ValueError, match="mask"):
        metrics.masked_psnr(x, x, np.zeros(x.shape, bool))


def test_colourfulness_closed_form():
    gray = np.repeat(images(), 3, axis=-1)
    assert metrics.colourfulness(gray) == pytest.approx(np.zeros(3), abs=1e-9)
    red = np.zeros((1, 4, 4, 3), "float32")
    red[..., 0] = 1.0  # rg = 255, yb = 127.5, no spread: M = 0.3 * sqrt(255^2 + 127.5^2)
    assert metrics.colourfulness(red)[0] == pytest.approx(0.3 * np.hypot(255, 127.5))


def test_bad_inputs_name_the_argument():
    x = images()
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(x, x[:2])
    with pytest.raises(ValueError, match="reference"):
        metrics.psnr(x[0], x[0])
    with pytest.raises(ValueError, match="NaN"):
        metrics.psnr(x, np.full_like(x, np.nan))
    with pytest.raises(ValueError, match="channels"):
        metrics.colourfulness(x)


def test_auroc_and_threshold():
    assert metrics.auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert metrics.auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    with pytest.raises(ValueError, match="both"):
        metrics.auroc([0.1, 0.2], [0, 0])
    normal = np.arange(100.0)
    t = metrics.threshold_at_fpr(normal, 0.05)
    assert np.mean(normal > t) == pytest.approx(0.05, abs=0.011)
    with pytest.raises(ValueError, match="fpr"):
        metrics.threshold_at_fpr(normal, 1.5)


def test_combine_scores_puts_detectors_on_one_scale_and_lets_them_cover_for_each_other():
    # detector a sees anomaly 2 only, detector b (in units 1000 times larger) sees anomaly 3 only
    a, b = np.array([1.0, 1.0, 5.0, 1.0]), np.array([1000.0, 1000.0, 1000.0, 5000.0])
    combined = metrics.combine_scores([a, b], [np.ones(3), np.full(3, 1000.0)])
    np.testing.assert_allclose(combined, [2.0, 2.0, 6.0, 6.0])
    is_anomaly = [0, 0, 1, 1]
    assert metrics.auroc(combined, is_anomaly) == 1.0 > max(metrics.auroc(a, is_anomaly), metrics.auroc(b, is_anomaly))
    np.testing.assert_allclose(metrics.combine_scores([a], [[2.0]]), a / 2)


def test_knn_distance_is_the_mean_distance_to_the_k_nearest_normal_points_leaving_each_normal_one_out():
    from unsuplab import baselines

    normal = np.array([[0.0], [1.0], [3.0], [7.0]])  # on a line: the distances are differences
    np.testing.assert_allclose(baselines.knn_distance(normal, [[2.0], [10.0]], k=2), [1.0, 5.0])
    np.testing.assert_allclose(baselines.knn_distance(normal, k=2), [2.0, 1.5, 2.5, 5.0])  # itself left out
    images = normal.reshape(4, 1, 1, 1) * np.ones((1, 2, 2, 1))  # images are flattened: 2 x the distance
    np.testing.assert_allclose(baselines.knn_distance(images, k=1), [2.0, 2.0, 4.0, 8.0])
    with pytest.raises(ValueError, match="`k` must be at most 3"):
        baselines.knn_distance(normal, k=4)
    with pytest.raises(ValueError, match="`k` must be at most 4"):
        baselines.knn_distance(normal, normal, k=5)
    with pytest.raises(ValueError, match="`queries` must have 1 features"):
        baselines.knn_distance(normal, np.zeros((2, 3)), k=2)
    with pytest.raises(ValueError, match="`normal` contains NaN"):
        baselines.knn_distance([[0.0], [np.nan]], k=1)


def test_one_class_protocol_with_a_perfect_and_a_useless_score():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    x = (y[:, None, None, None] * np.ones((1, 2, 2, 1)) / 3).astype("float32")

    def distance_to_train_mean(normal, test):  # perfect: classes are separated
        return np.abs(test - normal.mean(0)).reshape(len(test), -1).sum(1)

    result = metrics.one_class_aurocs(distance_to_train_mean, x, y, x, y)
    assert result == {0: 1.0, 1: 1.0, 2: 1.0}
    random = metrics.one_class_aurocs(lambda n, t: rng.random(len(t)), x, y, x, y)
    assert 0.2 < np.mean(list(random.values())) < 0.8


def test_retrieval_metrics_closed_form():
    db_labels = np.array([0, 1, 0, 1])
    q_labels = np.array([0])
    # ranking by distance: items 0 (rel), 1 (not), 2 (rel), 3 (not)
    d = np.array([[0.0, 1.0, 2.0, 3.0]])
    assert metrics.precision_at_k(d, q_labels, db_labels, k=1) == 1.0
    assert metrics.precision_at_k(d, q_labels, db_labels, k=2) == 0.5
    # AP = (1/1 + 2/3) / 2
    assert metrics.mean_average_precision(d, q_labels, db_labels) == pytest.approx((1 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="k"):
        metrics.precision_at_k(d, q_labels, db_labels, k=5)
    with pytest.raises(ValueError, match="query_labels"):
        metrics.precision_at_k(d, [0, 1], db_labels, k=1)


def test_every_score_has_one_home_and_clustering_no_longer_re_exports_them():
    """Issue 25: unsuplab.clustering holds the clusterers; the scores live in metrics alone (no re-exports in
    clustering, recommender or layers; callers import metrics)."""
    from unsuplab import clustering, layers, recommender

    assert not hasattr(recommender, "masked_rmse") and not hasattr(layers, "corrupt")
    for name in ("cluster_accuracy", "nmi", "ari", "many_to_one", "size_entropy", "collapsed",
                 "matched_confusion", "best_matching", "contingency", "scores", "cluster_scores",
                 "autoencoder_kmeans"):
        assert not hasattr(clustering, name), name
    for name in ("cluster_accuracy", "nmi", "ari", "many_to_one", "size_entropy", "collapsed",
                 "matched_confusion", "best_matching", "contingency", "cluster_scores"):
        assert callable(getattr(metrics, name)) and getattr(metrics, name).__module__ == "unsuplab.metrics", name
    assert metrics.mse(np.zeros((2, 3)), np.full((2, 3), 0.5)) == 0.25


def test_subspace_cosines_closed_form():
    from unsuplab import baselines

    a = np.eye(4)[:, :2]                                       # span(e1, e2)
    theta = 0.3
    b = np.stack([np.array([np.cos(theta), 0, np.sin(theta), 0]), np.array([0, 1.0, 0, 0])], axis=1) * 3.0
    np.testing.assert_allclose(baselines.subspace_cosines(a, b), [1.0, np.cos(theta)], atol=1e-12)
    with pytest.raises(ValueError, match="same d"):
        baselines.subspace_cosines(a, np.eye(3)[:, :2])


D = np.array([[0.0, 1.0, 2.0]])


@pytest.mark.parametrize("call, error, match", [
    (lambda: metrics.auroc([0.1, 0.2, 0.3], [0, 0.5, 0]), ValueError, "is_anomaly"),
    (lambda: metrics.auroc([0.1, 0.2], ["normal", "odd"]), ValueError, "is_anomaly"),
    (lambda: metrics.auroc([], []), ValueError, "scores"),
    (lambda: metrics.auroc([np.nan, 0.2], [0, 1]), ValueError, "NaN"),
    (lambda: metrics.threshold_at_fpr([0.1, np.nan], 0.1), ValueError, "normal_scores"),
    (lambda: metrics.threshold_at_fpr([], 0.1), ValueError, "normal_scores"),
    (lambda: metrics.threshold_at_fpr([0.1], float("nan")), ValueError, "fpr"),
    (lambda: metrics.combine_scores([[0.1]], []), ValueError, "one array per detector"),
    (lambda: metrics.combine_scores([[0.1], [0.2, 0.3]], [[1.0], [1.0]]), ValueError, "scores\\[1\\]"),
    (lambda: metrics.combine_scores([[0.1]], [[0.0, 0.0]]), ValueError, "median > 0"),
    (lambda: metrics.combine_scores([[np.nan]], [[1.0]]), ValueError, "NaN"),
    (lambda: metrics.precision_at_k(np.array([[0.0, np.nan, 2.0]]), [0], [0, 0, 1], k=1), ValueError, "distances"),
    (lambda: metrics.mean_average_precision(np.array([[0.0, np.nan, 2.0]]), [0], [0, 0, 1]), ValueError, "distances"),
    (lambda: metrics.precision_at_k(np.zeros((0, 3)), [], [0, 0, 1], k=1), ValueError, "distances"),
    (lambda: metrics.precision_at_k(D, ["a"], [0, 0, 1], k=1), TypeError, "query_labels"),
    (lambda: metrics.mean_average_precision(D, [0], ["a", "b", "c"]), TypeError, "database_labels"),
    (lambda: metrics.mean_average_precision(D, [5], [0, 0, 1]), ValueError, "relevant"),
    (lambda: metrics.mse(np.zeros(3), np.full(3, np.nan)), ValueError, "NaN"),
    (lambda: metrics.mse([], []), ValueError, "empty"),
    (lambda: metrics.mse(np.zeros(3), np.zeros(4)), ValueError, "shapes"),
    (lambda: metrics.masked_rmse(np.ones((2, 2)), np.ones((2, 2)), np.zeros((2, 2), bool)), ValueError, "mask"),
    (lambda: metrics.psnr(np.zeros((0, 4, 4, 1)), np.zeros((0, 4, 4, 1))), ValueError, "empty"),
    (lambda: metrics.ssim(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1))), ValueError, "3x3"),
    (lambda: metrics.nmi([], []), ValueError, "empty"),
    (lambda: metrics.many_to_one([0, 4], [1, 1], [0], n_clusters=2), ValueError, "n_clusters"),
    (lambda: metrics.one_class_aurocs(lambda n, t: np.zeros(len(t)), np.zeros((2, 2, 2, 1)), [0, 1],
                                      np.zeros((2, 2, 2, 1)), ["a", "b"]), TypeError, "y_test"),
])
def test_bad_metric_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
