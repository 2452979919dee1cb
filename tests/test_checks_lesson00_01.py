import keras
import numpy as np

from unsuplab import datasets
from unsuplab.checks import lesson00, lesson01
from unsuplab.models import build_dense_autoencoder


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


def test_lesson01_mse_vs_code_size():
    from unsuplab import baselines

    d = datasets.load("digits")
    sizes = [2, 4]
    pca = [baselines.pca_reconstruct(d.x_train, d.x_test, k)[2] for k in sizes]
    assert lesson01.mse_vs_code_size(lambda s: {"AE": [0.05, 0.03], "PCA": pca}, d.x_train, d.x_test, sizes)
    on_train = [baselines.pca_reconstruct(d.x_train, d.x_train, k)[2] for k in sizes]
    wrong = lesson01.mse_vs_code_size(lambda s: {"AE": [0.05, 0.03], "PCA": on_train}, d.x_train, d.x_test, sizes)
    assert not wrong and "x_test" in wrong.message
    short = lesson01.mse_vs_code_size(lambda s: {"AE": [0.05], "PCA": pca}, d.x_train, d.x_test, sizes)
    assert not short and "one MSE per code size" in short.message
    assert lesson01.mse_vs_code_size(_todo, d.x_train, d.x_test, sizes).status == "todo"


def test_lesson01_linear_autoencoder():
    def right(k):
        return build_dense_autoencoder(code_size=k, hidden=(), code_activation=None, output_activation=None)

    assert lesson01.linear_autoencoder(right)
    relu = lesson01.linear_autoencoder(lambda k: build_dense_autoencoder(code_size=k, hidden=()))
    assert not relu and "not linear" in relu.message
    wide = lesson01.linear_autoencoder(
        lambda k: build_dense_autoencoder(code_size=5, hidden=(), code_activation=None, output_activation=None))
    assert not wide and "code_size=3" in wide.message
    assert lesson01.linear_autoencoder(lambda k: "model").status == "wrong"
    assert lesson01.linear_autoencoder(_todo).status == "todo"
    keras.backend.clear_session()
