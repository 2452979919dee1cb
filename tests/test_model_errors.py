"""Bad input at every model entry point gets a clear error before Keras traces; saves are atomic (issue 19)."""

import os

import numpy as np
import pytest

from unsuplab import serialization
from unsuplab.models import (
    build_colorizer,
    build_contractive_autoencoder,
    build_conv_autoencoder,
    build_dense_autoencoder,
    build_sparse_autoencoder,
    build_vae,
    save_model,
)

RNG = np.random.default_rng(0)
X = RNG.random((8, 28, 28, 1)).astype("float32")


@pytest.fixture
def ae():
    model = build_dense_autoencoder(code_size=4, hidden=(16,))
    model.compile("adam", "mse")
    return model


BAD_IMAGES = {
    "pixels_0_255": (X * 255, ValueError, r"must lie in \[0.0, 1.0\]"),
    "uint8": ((X * 255).astype("uint8"), TypeError, "integer dtype uint8.*255"),
    "no_batch_axis": (X[0], ValueError, r"\(batch, height, width, channels\)"),
    "empty_batch": (X[:0], ValueError, "is empty"),
    "nan": (np.where(X > 0.5, np.nan, X), ValueError, "NaN"),
    "wrong_size": (np.zeros((2, 8, 8, 1), "float32"), ValueError, r"\(batch, 28, 28, 1\)"),
}
ENTRY_POINTS = {
    "fit": lambda m, x: m.fit(x, x, epochs=1, verbose=0),
    "predict": lambda m, x: m.predict(x, verbose=0),
    "reconstruct": lambda m, x: m.reconstruct(x),
    "encode": lambda m, x: m.encode(x),
    "validation_data": lambda m, x: m.fit(X, X, epochs=1, verbose=0, validation_data=(x, x)),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case", BAD_IMAGES)
def test_every_entry_point_checks_images(ae, entry, case):
    x, error, match = BAD_IMAGES[case]
    with pytest.raises(error, match=match):
        ENTRY_POINTS[entry](ae, x)


@pytest.mark.parametrize("entry", ["predict", "reconstruct", "encode", "fit"])
def test_vae_entry_points_check_images(entry):
    model = build_vae(hidden=(8,))
    model.compile("adam")
    call = {"fit": lambda x: model.fit(x, epochs=1, verbose=0)}.get(entry, getattr(model, entry))
    with pytest.raises(ValueError, match=r"must lie in \[0.0, 1.0\]"):
        call(X * 255)


def test_a_wrong_fit_call_leaves_the_model_usable(ae):
    """On TensorFlow a failed first trace used to break the model until compile ran again."""
    with pytest.raises(ValueError, match=r"fit\(x, x\)"):
        ae.fit(X, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_data"):
        ae.fit(X, X, epochs=1, verbose=0, validation_data=(X,))
    loss = ae.fit(X, X, epochs=2, batch_size=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(loss))
    as_list = list(X)  # a list of (28, 28, 1) images is a batch
    assert np.isfinite(ae.fit(as_list, as_list, epochs=1, verbose=0).history["loss"][0])
    assert ae.reconstruct(as_list).shape == X.shape


@pytest.mark.parametrize("call,error,match", [
    (lambda: build_dense_autoencoder(code_size=10 ** 12), ValueError, "code_size"),
    (lambda: build_dense_autoencoder(hidden=None), TypeError, "hidden"),
    (lambda: build_dense_autoencoder(hidden="128"), TypeError, "hidden"),
    (lambda: build_dense_autoencoder(hidden=(128.0,)), TypeError, "hidden"),
    (lambda: build_dense_autoencoder(activation="rleu"), ValueError, "activation"),
    (lambda: build_dense_autoencoder(output_activation="sigmod"), ValueError, "output_activation"),
    (lambda: build_conv_autoencoder(activation="nope"), ValueError, "activation"),
    (lambda: build_conv_autoencoder(code_size=10 ** 12), ValueError, "code_size"),
    (lambda: build_vae(code_size=10 ** 12), ValueError, "code_size"),
    (lambda: build_vae(activation="nope"), ValueError, "activation"),
    (lambda: build_sparse_autoencoder(weight="big"), TypeError, "weight"),
    (lambda: build_sparse_autoencoder(penalty="l1", weight=-1.0), ValueError, "weight"),
    (lambda: build_contractive_autoencoder(weight="big"), TypeError, "weight"),
    (lambda: build_contractive_autoencoder(weight=float("nan")), ValueError, "weight"),
])
def test_builders_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("shape,match", [((2, 16, 16, 3), "channels"), ((2, 15, 16, 1), "even")])
def test_colorizer_rejects_wrong_inputs(shape, match):
    model = build_colorizer(filters=4)
    with pytest.raises(ValueError, match=match):
        model.predict(np.zeros(shape, "float32"), verbose=0)


@pytest.mark.parametrize("save", ["method", "function"])
def test_a_failed_save_keeps_the_old_file(ae, tmp_path, save):
    path = tmp_path / "model.keras"
    ae(X[:1])
    ae.save(path)
    before = path.read_bytes()

    def broken_config():
        raise RuntimeError("this model cannot be saved")

    object.__setattr__(ae, "get_config", broken_config)  # serialising fails after Keras opened the target
    with pytest.raises(RuntimeError, match="cannot be saved"):
        ae.save(path) if save == "method" else save_model(ae, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.keras"]  # no temporary file left behind


def test_save_model_checks_its_path(ae, tmp_path):
    with pytest.raises(ValueError, match=".keras"):
        serialization.save_model(ae, tmp_path / "model.h5")
    with pytest.raises(ValueError, match="does not exist"):
        serialization.save_model(ae, tmp_path / "missing" / "model.keras")
    with pytest.raises(TypeError, match="keras.Model"):
        serialization.save_model("model", tmp_path / "model.keras")
