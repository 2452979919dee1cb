"""A Keras callback the fit tests share: records what each ``on_epoch_end`` sees and can stop training."""

import keras


class Recorder(keras.callbacks.Callback):
    """Records each ``on_epoch_end``: the epoch, ``self.model`` and the logs; stops at epoch ``stop_at``."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at, self.epochs, self.models, self.logs = stop_at, [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        self.models.append(self.model)
        self.logs.append(dict(logs or {}))
        if epoch == self.stop_at:
            self.model.stop_training = True

    @property
    def seen(self):
        """``[(epoch, model, logs), ...]``."""
        return list(zip(self.epochs, self.models, self.logs))
