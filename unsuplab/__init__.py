"""unsuplab: unsupervised deep learning with Keras 3, as a course.

Modules: ``datasets`` (every course data set by name), ``config`` (fast mode),
``models`` (autoencoder builders), ``iic`` (IIC clustering), ``dec`` (DEC/IDEC clustering),
``jule`` (JULE; its graph agglomeration in ``agglomeration``), ``recommender`` (AutoRec), ``metrics``
(every score), ``plots``, ``checks`` (exercise feedback), ``lessontool`` (solutions/ -> lessons/).

``import unsuplab`` does not import Keras (the lesson tool and the course runner start fast); its submodules
load on first use (``unsuplab.models`` works after ``import unsuplab``, PEP 562). A module registers its
custom layers and models with Keras when it is imported (``keras.saving.register_keras_serializable``), so
``keras.models.load_model`` reads a saved ``.keras`` file with no ``custom_objects`` once the module of its class
is imported (``unsuplab.models`` for the autoencoders, ``unsuplab.dec`` for DEC...).
:func:`unsuplab.serialization.load_model` (also ``unsuplab.models.load_model``) imports them all first.
"""

import importlib
import pkgutil

__version__ = "0.1.0"

REGISTERING_MODULES = ("unsuplab.models", "unsuplab.iic", "unsuplab.recommender", "unsuplab.dec", "unsuplab.jule",
                       "unsuplab.embeddings", "unsuplab.selfsupervised")

_SUBMODULES = frozenset(module.name for module in pkgutil.iter_modules(__path__))


def register_all():
    """Import every module that registers custom layers and models with Keras (this imports Keras)."""
    for name in REGISTERING_MODULES:
        importlib.import_module(name)


def __getattr__(name):
    """``unsuplab.<submodule>`` imported on first access (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
