import numpy as np

from unsuplab.checks import lesson00


def _pca(x_train, x_test, k):
    mean = x_train.mean(0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    codes = (x_test - mean) @ vt[:k].T
    return codes, codes @ vt[:k] + mean


def _todo(*args):
    raise NotImplementedError()


def test_lesson00_pca():
    assert lesson00.pca_encode_decode(_pca)
    no_mean = lesson00.pca_encode_decode(lambda a, b, k: (_pca(a, b, k)[0], _pca(a, b, k)[1] - a.mean(0)))
    assert not no_mean and "mean" in no_mean.message
    assert lesson00.pca_encode_decode(_todo).status == "todo"


def test_lesson00_components():
    from sklearn.decomposition import PCA

    def right(x, target):
        return int(np.searchsorted(np.cumsum(PCA().fit(x).explained_variance_ratio_), target) + 1)

    assert lesson00.components_for_variance(right)
    off_by_one = lesson00.components_for_variance(lambda x, t: right(x, t) - 1)
    assert not off_by_one and "one too few" in off_by_one.message
    assert lesson00.components_for_variance(_todo).status == "todo"
