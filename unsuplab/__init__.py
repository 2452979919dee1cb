"""unsuplab: unsupervised deep learning with Keras 3, as a course.

Modules: ``datasets`` (every course data set by name), ``config`` (fast mode),
``models`` (autoencoder builders), ``iic`` (IIC clustering), ``dec`` (DEC/IDEC clustering),
``recommender`` (AutoRec), ``metrics`` (every score),
``plots``, ``checks`` (exercise feedback), ``lessontool`` (solutions/ -> lessons/).

Every custom layer and model is registered with Keras as soon as Keras is imported next to
``unsuplab`` (in either order), so ``keras.models.load_model`` reads a saved ``.keras`` file with
no ``custom_objects``. ``import unsuplab`` alone does not import Keras (the lesson tool stays fast):
the registering modules load when Keras does.
"""

import importlib.abc
import sys

__version__ = "0.1.0"

REGISTERING_MODULES = ("unsuplab.models", "unsuplab.iic", "unsuplab.recommender", "unsuplab.dec", "unsuplab.jule",
                       "unsuplab.embeddings", "unsuplab.selfsupervised")


def register_all():
    """Import every module that registers custom layers and models with Keras (this imports Keras)."""
    import importlib

    for name in REGISTERING_MODULES:
        importlib.import_module(name)


def _importing_unsuplab(done=None):
    """True while any ``unsuplab`` module (other than ``done``, just executed) is still executing its imports."""
    return any(getattr(getattr(module, "__spec__", None), "_initializing", False)
               for name, module in list(sys.modules.items()) if name.startswith("unsuplab.") and name != done)


def _register_when_ready(done=None):
    """Register once Keras is loaded and no unsuplab module is half-imported (else the next import retries)."""
    if _REGISTER_HOOK not in sys.meta_path or "keras" not in sys.modules or _importing_unsuplab(done):
        return
    sys.meta_path.remove(_REGISTER_HOOK)
    try:
        register_all()
    except Exception as error:  # never break the user's import; say what to call instead
        import warnings

        warnings.warn(f"unsuplab could not register its Keras classes ({error!r}); "
                      "call unsuplab.register_all() before loading a saved model.", stacklevel=3)


class _RegisterWhenKerasLoads(importlib.abc.MetaPathFinder):
    """Import hook: after ``keras`` (or an unsuplab module) has loaded, register unsuplab's Keras classes."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("unsuplab."):
            return None
        import importlib.machinery

        for finder in sys.meta_path:  # the spec the other finders would give, with a loader that registers after
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                    spec.loader = _LoaderThenRegister(spec.loader)
                return spec
        return None


class _LoaderThenRegister(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _register_when_ready(module.__name__)

    def __getattr__(self, name):  # get_resource_reader, get_data...: the wrapped loader's
        return getattr(self.loader, name)


_REGISTER_HOOK = _RegisterWhenKerasLoads()
if "keras" in sys.modules and not _importing_unsuplab():
    register_all()
elif not any(isinstance(finder, _RegisterWhenKerasLoads) for finder in sys.meta_path):
    sys.meta_path.insert(0, _REGISTER_HOOK)
