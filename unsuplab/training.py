"""What every training loop of the library shares: one time budget, and Keras callbacks around a custom loop.

Every fit helper (``fit_iic``, ``fit_dec``, ``fit_jule``, ``train_word2vec``) and every clusterer of
:mod:`unsuplab.clustering` takes the same two arguments and returns the same thing:

* ``callbacks``: a list of ``keras.callbacks.Callback``. ``self.model`` is the model being trained, and
  ``on_epoch_end(epoch, logs)`` runs after each of the method's epochs (what an epoch is, each method says:
  one pass of IIC's schedule, one refresh of DEC's target ``P``, one JULE period); setting
  ``self.model.stop_training = True`` stops training there, as in ``model.fit``.
* ``time_limit``: seconds, or None; a :class:`TimeLimit` among the callbacks.
* the return value: the ``keras.callbacks.History`` of those epochs (``history.history[name]``, one value per
  epoch; ``history.model`` the trained model).
"""

import time

import keras

from .validation import number_at_least


class TimeLimit(keras.callbacks.Callback):
    """Stops training once ``seconds`` have passed since training began (checked after every batch and every
    epoch); None: no limit. ``hit`` says whether it stopped the training.

    The clock starts at the first ``on_train_begin`` and keeps running: one ``TimeLimit`` given to several
    ``fit`` calls (a loop of periods) is one budget for all of them; make a new one for a new budget."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = None if seconds is None else number_at_least(seconds, "time_limit", 0.0)
        self.end, self.hit = None, False

    def on_train_begin(self, logs=None):
        if self.end is None and self.seconds is not None:
            self.end = time.monotonic() + self.seconds

    def _check(self):
        if self.end is not None and time.monotonic() > self.end:
            self.hit = True
            if self.model is not None:
                self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


class History(keras.callbacks.History):
    """``keras.callbacks.History`` that also records a loop with no Keras model (k-means, agglomeration)."""

    def on_epoch_end(self, epoch, logs=None):
        if self.model is not None:
            return super().on_epoch_end(epoch, logs)
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def callback_list(callbacks, model, time_limit=None, **params):
    """``keras.callbacks.CallbackList`` of ``callbacks`` plus a :class:`TimeLimit` of ``time_limit`` seconds (None:
    no limit) and a :class:`History`, bound to ``model`` (whose ``stop_training`` it resets, as ``fit`` does);
    returns ``(callback_list, time_limit_callback)``.

    A custom loop calls ``on_train_begin``, ``on_epoch_end(epoch, logs)`` (and ``on_train_batch_end`` where it
    has batches), checks ``model.stop_training``, calls ``on_train_end`` and returns :func:`history_of` the list.
    """
    if callbacks is None:
        callbacks = []
    if isinstance(callbacks, keras.callbacks.Callback) or not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"`callbacks` must be a list of keras.callbacks.Callback, got {callbacks!r}.")
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(f"`callbacks` must hold keras.callbacks.Callback objects, got {callback!r}; a "
                            "function f(epoch, logs) becomes one with keras.callbacks.LambdaCallback("
                            "on_epoch_end=f).")
    limit = TimeLimit(time_limit)
    listed = keras.callbacks.CallbackList([*callbacks, limit, History()], model=model, **params)
    if model is not None:
        model.stop_training = False
    return listed, limit


def history_of(listed):
    """The ``History`` a :func:`callback_list` recorded (``history.model`` the trained model)."""
    return next(c for c in reversed(listed.callbacks) if isinstance(c, keras.callbacks.History))
