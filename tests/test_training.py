"""unsuplab.training (issue 25): the time budget every fit helper shares, the checked callback list and a History
that records a loop with no Keras model."""

import time

import keras
import numpy as np
import pytest

from unsuplab.training import History, TimeLimit, callback_list, history_of


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model


X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = X.sum(1, keepdims=True)


class BatchClock(keras.callbacks.Callback):
    """Records the time at the end of every batch (before the TimeLimit after it checks), sleeping ``pause``."""

    def __init__(self, pause=0.0):
        super().__init__()
        self.pause, self.times, self.epochs = pause, [], []

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.pause)
        self.times.append(time.monotonic())

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


# ----------------------------------------------------------------------------- TimeLimit

def test_time_limit_stops_model_fit_at_the_first_batch_past_the_budget():
    model, clock, limit = tiny_model(), BatchClock(pause=0.02), TimeLimit(0.3)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)  # traced once, so the budget is spent on batches
    history = model.fit(X, Y, batch_size=4, epochs=100, verbose=0, callbacks=[clock, limit])
    after = time.monotonic()
    assert limit.hit and model.stop_training
    assert len(clock.times) < 100 * 10  # stopped well before the 100 epochs of 10 batches
    assert limit.end is not None and after > limit.end  # it ran past the budget before stopping...
    assert all(t <= limit.end for t in clock.times[:-1])  # ...and not one batch later than the one that passed it
    started = -(-len(clock.times) // 10)  # the epoch cut short still ends (Keras' own rule), then no other
    assert history.epoch == clock.epochs == list(range(started))


def test_time_limit_zero_stops_after_one_batch_and_none_never_stops():
    model, clock, limit = tiny_model(), BatchClock(), TimeLimit(0)
    model.fit(X, Y, batch_size=4, epochs=5, verbose=0, callbacks=[clock, limit])
    assert limit.hit and len(clock.times) == 1
    model, clock, limit = tiny_model(), BatchClock(), TimeLimit(None)
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[clock, limit])
    assert not limit.hit and limit.end is None and len(clock.times) == 30 and history.epoch == [0, 1, 2]


def test_one_time_limit_is_one_budget_across_two_fits():
    """The clock starts at the first ``on_train_begin``: a second fit does not restart it."""
    model, limit = tiny_model(), TimeLimit(1.0)
    model.fit(X, Y, batch_size=40, epochs=1, verbose=0, callbacks=[limit])
    end = limit.end
    assert end is not None
    time.sleep(max(0.0, end - time.monotonic()) + 0.02)  # the budget is spent between the two fits
    clock = BatchClock()
    model.fit(X, Y, batch_size=4, epochs=5, verbose=0, callbacks=[clock, limit])
    assert limit.end == end  # the same deadline
    assert limit.hit and model.stop_training and len(clock.times) == 1  # the second fit stops at its first batch
    fresh_clock, fresh = BatchClock(), TimeLimit(1000.0)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[fresh_clock, fresh])
    assert not fresh.hit and len(fresh_clock.times) == 10  # a new TimeLimit is a new budget


def test_time_limit_without_a_model_and_its_checks():
    limit = TimeLimit(0)
    limit.on_train_begin()
    limit.on_epoch_end(0)  # a custom loop with no Keras model (k-means, agglomeration)
    assert limit.hit and limit.model is None
    with pytest.raises(ValueError, match="time_limit"):
        TimeLimit(-1)
    with pytest.raises(TypeError, match="time_limit"):
        TimeLimit("soon")


# ----------------------------------------------------------------------------- callback_list

@pytest.mark.parametrize("callbacks", [
    keras.callbacks.History(),  # one callback, not in a list
    lambda epoch, logs: None,  # a function
    "EarlyStopping",
    [lambda epoch, logs: None],  # a list holding a function
    [keras.callbacks.History(), object()],
])
def test_callback_list_refuses_what_is_not_a_list_of_callbacks(callbacks):
    with pytest.raises(TypeError, match="`callbacks`"):
        callback_list(callbacks, None)


def test_a_function_is_told_how_to_become_a_callback():
    with pytest.raises(TypeError, match="LambdaCallback"):
        callback_list([print], None)


def test_callback_list_binds_the_model_adds_the_limit_and_a_history():
    model = tiny_model()
    model.stop_training = True  # left over from an earlier fit
    mine = keras.callbacks.LambdaCallback()
    listed, limit = callback_list((mine,), model, time_limit=5.0, steps=7)  # a tuple is a list too
    assert isinstance(listed, keras.callbacks.CallbackList) and isinstance(limit, TimeLimit)
    assert listed.callbacks[0] is mine and listed.callbacks[1] is limit
    assert isinstance(listed.callbacks[-1], keras.callbacks.History) and history_of(listed) is listed.callbacks[-1]
    assert all(c.model is model for c in listed.callbacks) and mine.params == {"steps": 7}
    assert limit.seconds == 5.0 and not model.stop_training  # a new training starts unstopped
    listed, limit = callback_list(None, None)
    assert limit.seconds is None and len(listed.callbacks) == 2


# ----------------------------------------------------------------------------- History

def test_history_with_no_model_records_the_logs():
    listed, _ = callback_list([], None)
    history = history_of(listed)
    assert isinstance(history, History) and isinstance(history, keras.callbacks.History) and history.model is None
    listed.on_train_begin()
    listed.on_epoch_end(0, {"inertia": np.float32(2.5), "stage": "initial"})
    listed.on_epoch_end(1, {"inertia": 1.5, "stage": "final", "sizes": [3, 4]})
    listed.on_train_end()
    assert history.epoch == [0, 1]
    assert history.history == {"inertia": [2.5, 1.5], "stage": ["initial", "final"], "sizes": [[3, 4]]}
    assert type(history.history["inertia"][0]) is float  # CallbackList makes numbers Python floats


def test_history_with_a_model_is_keras_own():
    model = tiny_model()
    listed, _ = callback_list([], model)
    history = history_of(listed)
    listed.on_train_begin()
    listed.on_epoch_end(0, {"loss": 1.0})
    assert history.history == {"loss": [1.0]} and model.history is history
