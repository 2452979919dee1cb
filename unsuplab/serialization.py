"""Saving and loading models: sub-model configs, and an atomic ``.keras`` save.

* :func:`parts_config` / :func:`parts_from_config`: the ``get_config``/``from_config`` halves for
  models made of sub-models (``Autoencoder``, ``VAE``, the IIC models).
* :func:`save_model`: ``model.save(path)`` written to a temporary file in the same folder and renamed
  over ``path`` only on success, so a failing save never empties a good checkpoint (Keras opens the
  target with ``"wb"`` before it serialises).
* :func:`load_model`: ``keras.saving.load_model`` after importing every module that registers
  unsuplab classes.
* :class:`SavedInParts`: the mixin of the models made of sub-models (``Autoencoder``, ``DEC``): an atomic
  ``save`` and the ``get_config``/``from_config`` pair over the class's ``_parts``.
"""

import os
import tempfile
from pathlib import Path

import keras


def parts_config(owner, names):
    """Config entries for the sub-models (or layers) ``names`` of ``owner``; ``None`` stays ``None``."""
    return {n: None if getattr(owner, n) is None else keras.saving.serialize_keras_object(getattr(owner, n))
            for n in names}


def parts_from_config(config, names):
    """Rebuild the sub-models ``names`` saved by :func:`parts_config`: returns ``(parts, rest of config)``."""
    rest = dict(config)
    parts = {n: rest.pop(n, None) for n in names}
    return {n: None if v is None else keras.saving.deserialize_keras_object(v) for n, v in parts.items()}, rest


def save_model(model, path):
    """Save ``model`` to the ``.keras`` file ``path`` atomically; returns ``path`` as a :class:`~pathlib.Path`.

    The model is written to a temporary file next to ``path`` and renamed over it (``os.replace``) only
    when the save succeeded; on any error the temporary file is removed and an existing ``path`` is untouched.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model, got {type(model).__name__}.")
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"`path` must end in .keras, got {str(path)!r}.")
    if path.is_dir():
        raise ValueError(f"`path` {str(path)!r} is a folder; give a file name ending in .keras.")
    if not path.parent.is_dir():
        raise ValueError(f"the folder of `path` {str(path.parent)!r} does not exist.")
    handle, temporary = tempfile.mkstemp(suffix=".keras", prefix=f".{path.stem}.", dir=path.parent)
    os.close(handle)
    try:
        keras.Model.save(model, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def load_model(path, **kwargs):
    """``keras.saving.load_model(path, **kwargs)`` with every unsuplab model and layer registered."""
    from . import register_all

    register_all()
    return keras.saving.load_model(path, **kwargs)


class SavedInParts:
    """Mixin for a ``keras.Model`` made of the sub-models named in ``_parts`` (constructor order).

    ``save(path)`` to ``.keras`` is atomic (:func:`save_model`; other formats, ``overwrite=False`` or extra
    options go to ``keras.Model.save``); the config holds the serialised parts, and ``from_config`` passes them
    back to the constructor in order with the rest of the config as keywords.
    """

    _parts = ()

    def save(self, filepath, overwrite=True, **kwargs):
        """Save to ``filepath`` (``.keras``) atomically: see :func:`unsuplab.serialization.save_model`."""
        if kwargs or str(filepath).endswith((".h5", ".hdf5")) or not overwrite:
            return super().save(filepath, overwrite=overwrite, **kwargs)
        save_model(self, filepath)

    def get_config(self):
        return {**keras.Model.get_config(self), **parts_config(self, self._parts)}

    @classmethod
    def from_config(cls, config):
        parts, rest = parts_from_config(config, cls._parts)
        return cls(*parts.values(), **rest)
