"""Registration with Keras, in-process: every unsuplab class under ``unsuplab>Name``, every model reloaded as saved.

``import unsuplab`` imports no Keras (the course tools start fast); a module registers its classes when imported,
and ``keras.models.load_model`` then reads its ``.keras`` files with no ``custom_objects``.
"""

import importlib
import inspect
import subprocess
import sys

import keras
import numpy as np
import pytest
from test_models import BUILDERS

import unsuplab
from unsuplab import datasets
from unsuplab.models import VAE
from unsuplab.serialization import load_model

KERAS_BASES = (keras.layers.Layer, keras.losses.Loss, keras.metrics.Metric, keras.callbacks.Callback,
               keras.optimizers.schedules.LearningRateSchedule, keras.initializers.Initializer,
               keras.regularizers.Regularizer, keras.constraints.Constraint)


def _public_keras_classes():
    """(module, class) for every public Keras subclass defined in a registering module or its submodules."""
    unsuplab.register_all()
    found = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(unsuplab.REGISTERING_MODULES):
            continue
        for cls_name, cls in vars(module).items():
            if (inspect.isclass(cls) and cls.__module__ == name and not cls_name.startswith("_")
                    and issubclass(cls, KERAS_BASES)):
                found[f"{name}.{cls_name}"] = cls
    return found


def compile_model(model, **kwargs):
    """Adam and MSE (a VAE: its own loss), as tests/test_models.py compiles them."""
    model.compile(keras.optimizers.Adam(2e-3), None if isinstance(model, VAE) else "mse", **kwargs)
    return model


def test_import_unsuplab_and_the_course_tools_import_no_keras():
    code = ("import sys, unsuplab, unsuplab.lessontool, unsuplab.course, unsuplab.config, unsuplab.fileio\n"
            "assert 'keras' not in sys.modules, sorted(m for m in sys.modules if m.startswith('keras'))[:5]")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_submodules_load_on_first_access():
    assert unsuplab.models is importlib.import_module("unsuplab.models")
    assert "dec" in dir(unsuplab) and unsuplab.dec.DEC.__module__ == "unsuplab.dec"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_module'"):
        unsuplab.no_such_module  # noqa: B018


def test_every_keras_class_is_registered_under_its_name():
    classes = _public_keras_classes()
    names = {cls.__name__ for cls in classes.values()}
    assert {"Autoencoder", "VAE", "DEC", "TripletLoss", "InverseDecay", "IICClusterer", "AutoRec"} <= names, names
    unregistered = [path for path, cls in classes.items()
                    if keras.saving.get_registered_object(f"unsuplab>{cls.__name__}") is not cls]
    assert not unregistered, unregistered
    for path, cls in classes.items():
        assert keras.saving.get_registered_name(cls) == f"unsuplab>{cls.__name__}", path


# One training step, as cheaply as each backend runs it: on TensorFlow eagerly (tracing a graph for one step cost
# more than the step: this test took 21 s instead of 36 s on 2 cores), elsewhere without XLA (JAX: 58 s against 68 s
# run eagerly).
ONE_STEP = {"run_eagerly": True} if keras.config.backend() == "tensorflow" else {"jit_compile": False}


def test_every_model_reloads_in_process_with_no_custom_objects(tmp_path):
    """Trained a step, saved, reloaded by ``keras.saving.load_model`` (DEC: unsuplab's load_model): same outputs.

    Every autoencoder builder, the IIC clusterer, DEC and AutoRec.
    """
    from unsuplab.dec import build_dec
    from unsuplab.iic import build_iic
    from unsuplab.recommender import build_autorec

    split = datasets.load("mnist_small")
    x, x_test = split.x_train[:32], split.x_test[:16]
    ratings = np.random.default_rng(0).integers(0, 6, (8, 12)).astype("float32")
    cases = []  # (name, model, output of a model)
    iic = build_iic((28, 28, 1), n_clusters=2, n_overclusters=4, n_subheads=2, filters=(4,), seed=0)
    cases.append(("iic", iic, lambda m: m.cluster_probabilities(x_test)))
    autorec = build_autorec(12, hidden=4)
    autorec.compile(optimizer=keras.optimizers.Adam(1e-2))
    autorec.fit(ratings, ratings, epochs=1, verbose=0)
    cases.append(("autorec", autorec, lambda m: m.predict_ratings(ratings)))
    dec = build_dec(compile_model(BUILDERS["dense"]()), n_clusters=3)
    dec.clustering.set_centroids(np.random.default_rng(0).normal(size=(3, dec.clustering.centroids.shape[1])))
    cases.append(("dec", dec, lambda m: m.cluster_probabilities(x_test)))
    for name, build in BUILDERS.items():
        keras.utils.set_random_seed(0)
        model = compile_model(build(), **ONE_STEP)
        model.fit(x, None if isinstance(model, VAE) else x, epochs=1, batch_size=32, verbose=0)
        cases.append((name, model, lambda m: m.reconstruct(x_test)))
    for name, model, output in cases:
        path = tmp_path / f"{name}.keras"
        model.save(str(path))
        again = (load_model if name == "dec" else keras.saving.load_model)(path)
        assert type(again) is type(model), name
        np.testing.assert_allclose(output(again), output(model), atol=1e-6, err_msg=name)
