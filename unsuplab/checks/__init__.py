"""Check cells: plain-words feedback on an exercise.

A lesson's check cell calls one function from ``unsuplab.checks.lessonNN``.
Each prints one of

    [ok]  Exercise 1 (KL sparsity): correct. ...
    [x]   Exercise 1 (KL sparsity): not yet right. <what is wrong>
    [ ]   Exercise 1 (KL sparsity): not attempted yet. ...

and returns a :class:`Feedback` (truthy when correct), which tests use. An
unfinished exercise never raises, so the rest of the lesson keeps running.

Under nbgrader's autograder (or validator) nbgrader sets ``NBGRADER_EXECUTION``
(``"autograde"`` / ``"validate"``); a check then also raises ``AssertionError``
on a wrong or unfinished answer, so the check cell scores zero points.
A student function that returns NaN is always wrong, whatever the check compares.
"""

import functools
import inspect
import os
import re

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
        mark = {"ok": "[ok]", "wrong": "[x] ", "todo": "[ ] ", "broken": "[!] "}[self.status]
        return f"{mark} {self.title}: {self.message}"

    __repr__ = __str__

    def _ipython_display_(self):  # already printed; show nothing twice
        pass


GRADING_ENV = "NBGRADER_EXECUTION"


def grading():
    """True while nbgrader's autograder or validator runs the notebook."""
    return os.environ.get(GRADING_ENV, "") in ("autograde", "validate")


def _has_nan(value, depth=0):
    if depth > 3 or value is None or isinstance(value, (str, bytes)):
        return False
    if isinstance(value, dict):
        return any(_has_nan(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v, depth + 1) for v in value[:10000])
    if not isinstance(value, (float, int, np.number, np.ndarray)) and not (
            hasattr(value, "dtype") and hasattr(value, "shape")):
        return False  # a model, a layer, a class: nothing numeric to inspect here
    try:
        array = to_numpy(value)
        return array.dtype.kind in "fc" and bool(np.isnan(array).any())
    except Exception:  # a symbolic tensor inside a traced function: checked by the check itself
        return False


def _nan_guard(fn):
    """Wrap a student function so that a NaN in what it returns is reported as wrong (issue 19, item 5)."""
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or isinstance(fn, functools.partial)):
        return fn  # a model, a layer, a class or data: passed through untouched

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        result = fn(*args, **kwargs)
        if _has_nan(result):
            raise Wrong("your function returned NaN (not a number); look for a log of 0, a 0/0 or a "
                        "mean over an empty selection.")
        return result
    return guarded


def exercise(title):
    """Decorate a check function that raises :class:`Wrong` when the answer is wrong.

    The decorated function may return a short string of praise or detail. A call
    with arguments the check does not accept is reported as a mistake in the lesson's
    check cell, not in the student's code.
    """
    def decorate(check):
        signature = inspect.signature(check)

        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                result = Feedback("broken", title, f"this check cell calls {check.__name__}{signature} "
                                  f"wrongly ({exc}). That is a mistake in the lesson's check cell, not in "
                                  "your code: restore the cell as it was given.")
            else:
                args = [_nan_guard(a) for a in args]
                kwargs = {k: _nan_guard(v) for k, v in kwargs.items()}
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
            if grading() and not result.ok:
                raise AssertionError(str(result))
            return result
        return wrapper
    return decorate


def to_numpy(value):
    """Convert a tensor of any backend (or a list) to a NumPy array."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.generic, int, float, bool, complex)):  # no Keras import for plain numbers
        return np.asarray(value)
    import keras

    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except (TypeError, ValueError):  # not numeric (e.g. a dict): let the caller's check say what is wrong
        return np.asarray(value, dtype=object)


def expect_shape(value, shape, what):
    value = to_numpy(value)
    if tuple(value.shape) != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, but has shape {tuple(value.shape)}.")
    return value


def expect_close(value, want, what, rtol=1e-4, atol=1e-6):
    """The one way checks compare numbers: shapes must match and NaN or infinity never passes."""
    value, want = to_numpy(value).astype("float64"), np.asarray(want, dtype="float64")
    if value.shape != want.shape:
        raise Wrong(f"{what} should have shape {want.shape}, but has shape {value.shape}.")
    if not np.all(np.isfinite(value)):
        raise Wrong(f"{what} contains NaN or infinity; look for a log of 0 or a division by 0.")
    if not np.all(np.isfinite(want)):
        raise ValueError(f"expect_close: the expected {what} is not finite; the check itself is wrong.")
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


# A name that runs on one Keras backend only: student code must use keras.layers / keras.ops.
_BACKEND_SPECIFIC = re.compile(r"\b(tf|tensorflow|jax|jnp|torch)\.|GradientTape"
                               r"|\b(import|from) (tensorflow|jax|torch)\b")


def _sources(obj):
    """The source of ``obj``; for a class defined in a notebook (no file), the sources of its own methods."""
    try:
        return [inspect.getsource(obj)]
    except (OSError, TypeError):
        pass
    found = []
    for value in (vars(obj).values() if inspect.isclass(obj) else ()):
        try:
            found.append(inspect.getsource(value))
        except (OSError, TypeError):
            pass
    return found


def backend_specific_call(obj):
    """The first backend-specific name (``tf.``, ``jax.``, ``torch.``, ``GradientTape``, ``import tensorflow``...)
    in the source of a student's function or class (comments ignored), or None."""
    for source in _sources(obj):
        code = "\n".join(line.split("#")[0] for line in source.splitlines())
        found = _BACKEND_SPECIFIC.search(code)
        if found:
            return found.group(0)
    return None


CONV_TYPES = ("Conv2D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D")  # what counts as a convolution


def all_layers(layer):
    """Every layer inside ``layer``, nested models included, in order."""
    found = []
    for sub in getattr(layer, "layers", []):
        found.append(sub)
        found.extend(all_layers(sub))
    return found


def student_model(student_fn, *args, how="keras.Model(inputs, outputs)",
                  advice="Use keras.layers (and keras.ops if you need it); compile() and fit() do the training."):
    """Call a student's model builder ``student_fn(*args)`` and return its ``keras.Model``.

    Plain-words ``Wrong`` for code that runs on one backend only, for ``None`` and for anything not a model;
    ``how`` shows how to make the model, ``advice`` what to use instead of backend-specific code.
    """
    import keras

    name = backend_specific_call(student_fn)
    if name:
        raise Wrong(f"your code uses {name}, which runs on one backend only. {advice}")
    model = student_fn(*args)
    if model is None:
        raise Wrong(f"your function returns None; return the model ({how}).")
    if not isinstance(model, keras.Model):
        raise Wrong(f"return a keras.Model ({how}), got {type(model).__name__}.")
    return model


def expect_number(value, what, not_finite):
    """``value`` (a tensor, array or float) as one finite float, or :class:`Wrong`: ``what`` names it,
    ``not_finite`` says where a NaN or infinity usually comes from."""
    value = to_numpy(value).astype("float64")
    if value.size != 1:
        raise Wrong(f"{what}: return one number, got an array of shape {value.shape}.")
    value = float(value.reshape(()))
    if not np.isfinite(value):
        raise Wrong(f"{what} is {value}: {not_finite}")
    return value


def innermost_error(exc):
    """The first error in a chain (the student's own, not the Keras wrapper around it)."""
    while (exc.__cause__ or exc.__context__) is not None:
        exc = exc.__cause__ or exc.__context__
    return exc


def call_on_images(model, input_shape, n, rng, hint=""):
    """``(x, model(x))`` for ``n`` random images of ``input_shape`` drawn from ``rng``, as NumPy, or :class:`Wrong`
    that says which input the model must take."""
    x = rng.uniform(size=(n, *input_shape)).astype("float32")
    try:
        return x, to_numpy(model(x))
    except Exception as exc:
        raise Wrong(f"the model must take images of shape (batch, {', '.join(map(str, input_shape))}): "
                    f"{type(exc).__name__}: {exc}. Start with keras.Input(shape=input_shape){hint}.") from exc
