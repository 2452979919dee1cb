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

What an answer cannot change (issue 27): the grading mode is read once, when the locked setup cell imports
the checks; the checks modules are read-only (``check.x = ...`` raises); a student's function gets private
copies of its inputs; an answer that only delegates to the library's reference is wrong; while grading,
each check runs in a separate process under a time and memory limit (``isolation.py``), so a crash or a hang
fails that check only.
"""

import functools
import inspect
import os
import re
import sys
import types

import numpy as np

from . import delegation, isolation


class Wrong(AssertionError):
    """Raised inside a check with the message a student should read."""


class CheckFailed(AssertionError):
    """Raised by a check cell under nbgrader on a wrong or unfinished answer. IPython shows only the message
    (``_render_traceback_``): the feedback a student reads has no traceback with the grader's paths."""

    def _render_traceback_(self):
        return [str(self)]


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
GRADING_MODES = ("autograde", "validate")
ISOLATE_ENV, TIMEOUT_ENV, MEMORY_ENV = "UNSUPLAB_ISOLATE_CHECKS", "UNSUPLAB_CHECK_TIMEOUT", "UNSUPLAB_CHECK_MEMORY_GB"

# Read once, when the locked setup cell imports the checks: an answer cell that pops the environment variable
# afterwards changes nothing (every check captures the mode when it is defined, see `exercise`).
_MODE = os.environ.get(GRADING_ENV, "")
_ISOLATE = os.environ.get(ISOLATE_ENV, "1" if _MODE in GRADING_MODES else "0").strip().lower() in ("1", "true", "yes")
_TIMEOUT = float(os.environ.get(TIMEOUT_ENV, "300"))  # seconds per check or per yours_or_library call
_MEMORY_GB = float(os.environ.get(MEMORY_ENV, "4"))  # address space a check's child may add


def grading():
    """True while nbgrader's autograder or validator runs the notebook (as it was when the checks were imported)."""
    return _MODE in GRADING_MODES


class _ReadOnlyModule(types.ModuleType):
    """A checks module whose functions and classes cannot be replaced from a notebook (``check.x = ...``)."""

    def __setattr__(self, name, value):
        current = self.__dict__.get(name)
        if callable(current) or isinstance(current, types.ModuleType):
            raise AttributeError(f"{self.__name__}.{name} is part of the course's grader and cannot be replaced "
                                 "from a notebook; remove that line from your answer.")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if callable(self.__dict__.get(name)):
            raise AttributeError(f"{self.__name__}.{name} is part of the course's grader and cannot be deleted.")
        super().__delattr__(name)


def _freeze(module):
    if module is not None and type(module) is types.ModuleType:
        module.__class__ = _ReadOnlyModule


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


def private_copy(value, depth=0):
    """``value`` with every NumPy array (and pandas object) copied, inside lists, tuples and dicts too, so that
    a student's function that changes its inputs in place cannot change the check's own data."""
    if isinstance(value, np.ndarray) or type(value).__module__.startswith("pandas."):
        return value.copy()
    if depth < 3 and isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(private_copy(v, depth + 1) for v in value)
    if depth < 3 and type(value) is dict:
        return {k: private_copy(v, depth + 1) for k, v in value.items()}
    return value


def _guard(fn):
    """Wrap a student function: it gets private copies of its inputs, and a NaN in what it returns is wrong.
    After a call, ``changed_inputs`` says whether it changed a NumPy array it was given (in its copy)."""
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or isinstance(fn, functools.partial)):
        return fn  # a model, a layer, a class or data: passed through untouched

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        copies = private_copy(list(args))
        result = fn(*copies, **private_copy(kwargs))
        guarded.changed_inputs = any(isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=a.dtype.kind
                                     in "fc") for a, c in zip(args, copies))  # for checks that forbid it
        if _has_nan(result):
            raise Wrong("your function returned NaN (not a number); look for a log of 0, a 0/0 or a "
                        "mean over an empty selection.")
        return result
    guarded.changed_inputs = False
    return guarded


def changed_inputs(student_fn):
    """True when the student's function changed a NumPy array it was given, in its last call (see ``_guard``)."""
    return getattr(student_fn, "changed_inputs", False)


_nan_guard = _guard  # the name before issue 27


def _grade(check, title, args, kwargs):
    """Run ``check`` on the student's answer; the :class:`Feedback` (never raises for the student's errors)."""
    args = [_guard(a) for a in args]
    kwargs = {k: _guard(v) for k, v in kwargs.items()}
    try:
        detail = check(*args, **kwargs)
        return Feedback("ok", title, "correct." + (f" {detail}" if detail else ""))
    except NotImplementedError:
        return Feedback("todo", title, "not attempted yet. Fill in the cell marked '# YOUR CODE HERE', run it, "
                                       "then run this check again.")
    except Wrong as wrong:
        return Feedback("wrong", title, f"not yet right. {wrong}")
    except KeyboardInterrupt:
        raise  # the kernel's own interrupt (a student stopping a long cell)
    except BaseException as exc:  # the student's code crashed: say where, not a traceback
        return Feedback("wrong", title, f"your code raised {type(exc).__name__}: {exc}")


def _failure(outcome, what):
    """One plain sentence for an isolated call that did not return."""
    if outcome.kind == "timeout":
        return (f"{what} did not finish within {outcome.value:g} s (an endless loop, or far too much work?), "
                "so it was stopped.")
    if outcome.kind == "crashed":
        return (f"{what} ended the Python process ({outcome.value}: os._exit, sys.exit in a child, a crash in "
                "compiled code or far too much memory). It ran in a separate process, so the rest of the "
                "notebook is safe.")
    return f"{what} raised {outcome.value}"


def _run_check(check, title, args, kwargs):
    """The check's :class:`Feedback`, in a separate process when isolation is on (grading), else in the kernel."""
    if _ISOLATE:
        outcome = isolation.run(functools.partial(_grade, check, title, args, kwargs), _TIMEOUT)
        if outcome.printed:
            print(outcome.printed, end="")
        if outcome.kind == "ok":
            return outcome.value
        if outcome.kind != "unavailable":
            return Feedback("wrong", title, "not yet right. " + _failure(outcome, "your code"))
        print(f"(this check runs in the notebook's own process: {outcome.value})")
    return _grade(check, title, args, kwargs)


def exercise(title, reference=None):
    """Decorate a check function that raises :class:`Wrong` when the answer is wrong.

    The decorated function may return a short string of praise or detail. A call
    with arguments the check does not accept is reported as a mistake in the lesson's
    check cell, not in the student's code. ``reference`` ("unsuplab.module:name") names the library's own
    version: an answer that only delegates to it is wrong, and a correct answer is told where to read it.
    The grading mode is captured here, when the checks module is imported, and the module's checks become
    read-only.
    """
    mode = _MODE

    def decorate(check):
        signature = inspect.signature(check)
        _freeze(sys.modules.get(check.__module__))

        @functools.wraps(check)
        def wrapper(*args, **kwargs):
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                result = Feedback("broken", title, f"this check cell calls {check.__name__}{signature} "
                                  f"wrongly ({exc}). That is a mistake in the lesson's check cell, not in "
                                  "your code: restore the cell as it was given.")
            else:
                found = reference and args and delegation.delegation(args[0], reference)
                if found:
                    result = Feedback("wrong", title, f"not yet right. {found}")
                else:
                    result = _run_check(check, title, args, kwargs)
                    if result.ok and reference:
                        result.message += f" See the library's version: {delegation.where(reference)}."
            if mode in GRADING_MODES and not result.ok:
                raise CheckFailed(str(result))  # shown once, as the cell's error: the cell scores 0
            print(result)
            return result
        wrapper.title, wrapper.reference = title, reference
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
    otherwise, saying plainly which one runs. Every failure of the student's code counts (``SystemExit``
    included), only the kernel's own interrupt goes through. While grading, the student's call first runs once
    in a separate process under the checks' time limit, so a crash or an endless loop costs this call only.
    """
    if _ISOLATE:
        outcome = isolation.run(functools.partial(_probe_call, student_fn, args, kwargs), _TIMEOUT)
        if outcome.kind in ("timeout", "crashed"):
            print(f"{_failure(outcome, 'Your ' + what)} Using the library's instead.")
            return library_fn(*args, **kwargs)
    try:
        result = student_fn(*args, **kwargs)
    except NotImplementedError:
        print(f"Exercise not done yet: using the library's {what} instead of yours.")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the student's code crashed: say so in one line, then go on
        print(f"Your {what} raised {type(exc).__name__}: {exc}. Using the library's instead.")
    else:
        if result is not None:
            print(f"Using your {what}.")
            return result
        print(f"Your {what} returned None. Using the library's instead.")
    return library_fn(*args, **kwargs)


def _probe_call(student_fn, args, kwargs):
    """Run the student's call in the child; only whether it returned matters (models do not travel back)."""
    student_fn(*args, **kwargs)
    return None


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


def two_steps_update(model, layer, loss, inputs, target, path):
    """Compile ``model`` with ``loss``, take two training steps on ``(inputs, target)`` and :class:`Wrong` unless
    the loss stays finite and ``layer``'s kernel moves (the gradient reaches it). ``path`` completes the hint
    "Build one model from <path>", e.g. "the image input to the output"."""
    first = to_numpy(layer.weights[0]).copy()
    model.compile(optimizer="adam", loss=loss, run_eagerly=True)  # 2 steps: no compiling
    for _ in range(2):
        logs = model.train_on_batch(inputs, target, return_dict=True)
    if not np.isfinite(float(logs["loss"])):
        raise Wrong("two training steps gave a NaN or infinite loss.")
    if np.allclose(to_numpy(layer.weights[0]), first):
        raise Wrong("two training steps left the first convolution unchanged: the gradient does not reach it. "
                    f"Build one model from {path}, and leave the layers trainable.")


def call_student_layer(layer_class, inputs, returns, **kwargs):
    """``(layer, output as NumPy)`` of ``layer_class(**kwargs)`` called on ``inputs``, or :class:`Wrong` when the
    class is no Keras layer or ``call`` returns None (``returns`` says what it should return)."""
    import keras

    layer = layer_class(**kwargs)
    if not isinstance(layer, keras.layers.Layer):
        raise Wrong(f"the class must subclass keras.layers.Layer, got {type(layer).__name__}.")
    out = layer(keras.ops.convert_to_tensor(inputs))
    if out is None:
        raise Wrong(f"call() returns None: {returns}.")
    return layer, to_numpy(out)


def gradient_in_plain_words(step, what, advice):
    """``step()``; a crash inside the student's code (Keras' wrapper peeled off) becomes a :class:`Wrong` that
    says no gradient can flow through ``what``, then ``advice``."""
    try:
        return step()
    except (NotImplementedError, Wrong):
        raise
    except Exception as exc:
        exc = innermost_error(exc)  # the student's error, not Keras' wrapper
        raise Wrong(f"no gradient can flow through your {what} ({type(exc).__name__}: {str(exc)[:120]}). "
                    f"{advice}") from exc


if _ISOLATE:
    isolation.start(_MEMORY_GB)  # now, before the lesson runs any tensor op (see isolation.py)
_freeze(sys.modules[__name__])
