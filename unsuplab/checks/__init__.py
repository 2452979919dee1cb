"""Check cells: plain-words feedback on an exercise.

A lesson's check cell calls one function from ``unsuplab.checks.lessonNN``.
Each prints one of

    [ok]  Exercise 1 (KL sparsity): correct. ...
    [x]   Exercise 1 (KL sparsity): not yet right. <what is wrong>
    [ ]   Exercise 1 (KL sparsity): not attempted yet. ...

and returns a :class:`Feedback` (truthy when correct), which tests use. An
unfinished exercise never raises, so the rest of the lesson keeps running.
"""

import functools

import numpy as np


class Wrong(AssertionError):
    """Raised inside a check with the message a student should read."""


class Feedback:
    def __init__(self, status, title, message):
        self.status, self.title, self.message = status, title, message

    @property
    def ok(self):
        return self.status == "ok"

    def __bool__(self):
        return self.ok

    def __str__(self):
        mark = {"ok": "[ok]", "wrong": "[x] ", "todo": "[ ] "}[self.status]
        return f"{mark} {self.title}: {self.message}"

    __repr__ = __str__

    def _ipython_display_(self):  # already printed; show nothing twice
        pass


def exercise(title):
    """Decorate a check function that raises :class:`Wrong` when the answer is wrong.

    The decorated function may return a short string of praise or detail.
    """
    def decorate(check):
        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            try:
                detail = check(*args, **kwargs)
                result = Feedback("ok", title, "correct. " + (detail or ""))
            except NotImplementedError:
                result = Feedback("todo", title, "not attempted yet. Fill in the cell marked "
                                  "'# YOUR CODE HERE', run it, then run this check again.")
            except Wrong as wrong:
                result = Feedback("wrong", title, f"not yet right. {wrong}")
            except Exception as exc:  # the student's code crashed: say where, not a traceback
                result = Feedback("wrong", title, f"your code raised {type(exc).__name__}: {exc}")
            print(result)
            return result
        return wrapper
    return decorate


def to_numpy(value):
    """Convert a tensor of any backend (or a list) to a NumPy array."""
    import keras

    if hasattr(value, "numpy") or type(value).__module__.split(".")[0] in ("jax", "jaxlib", "torch", "tensorflow"):
        return np.asarray(keras.ops.convert_to_numpy(value))
    return np.asarray(value)


def expect_shape(value, shape, what):
    value = to_numpy(value)
    if tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, but has shape {tuple(value.shape)}.")
    return value


def expect_close(value, want, what, rtol=1e-4, atol=1e-6):
    value, want = to_numpy(value).astype("float64"), np.asarray(want, dtype="float64")
    if value.shape != want.shape:
        raise Wrong(f"{what} should have shape {want.shape}, but has shape {value.shape}.")
    if not np.all(np.isfinite(value)):
        raise Wrong(f"{what} contains NaN or infinity; look for a log of 0 or a division by 0.")
    if not np.allclose(value, want, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(value - want)), value.shape) if value.ndim else ()
        got_v, want_v = (value[worst], want[worst]) if value.ndim else (float(value), float(want))
        where = f" at index {tuple(int(i) for i in worst)}" if value.ndim else ""
        raise Wrong(f"{what} is {got_v:.6g}{where}, expected {want_v:.6g}.")
    return value


def yours_or_library(student_fn, library_fn, *args, what="this piece", **kwargs):
    """Call the student's ``student_fn(*args, **kwargs)``; if it is left undone or fails, use ``library_fn``.

    Lessons use it to train the student's own model or layer once their exercise is done, and the library's
    otherwise, saying plainly which one runs.
    """
    try:
        result = student_fn(*args, **kwargs)
    except NotImplementedError:
        print(f"Exercise not done yet: using the library's {what} instead of yours.")
    except Exception as exc:  # the student's code crashed: say so in one line, then go on
        print(f"Your {what} raised {type(exc).__name__}: {exc}. Using the library's instead.")
    else:
        if result is not None:
            print(f"Using your {what}.")
            return result
        print(f"Your {what} returned None. Using the library's instead.")
    return library_fn(*args, **kwargs)
