"""Which Keras backend runs, and which lessons cannot run on it (and why).

Keras 3 picks its backend from ``KERAS_BACKEND``, else from ``~/.keras/keras.json``, else TensorFlow;
``current()`` reads it the same way without importing Keras. A lesson that cannot run on a backend says
so in its first cell, one line per backend, in this form::

    **Not on PyTorch:** the reason, in one sentence.

``skip_reason(notebook, backend)`` reads that line: the course runner (``make lessons``) and the notebook
tests (``tests/conftest.py``) skip the lesson on that backend and print the reason, never silently.
"""

import json
import os
import re
from pathlib import Path

NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
NOT_ON = re.compile(r"^[>\s]*\*\*Not on (TensorFlow|JAX|PyTorch):\*\*\s*(\S.*)$", re.MULTILINE)


def check(backend, name="KERAS_BACKEND"):
    """``backend`` if it is one of Keras 3's backends this course supports, else a ValueError naming ``name``."""
    if backend not in NAMES:
        raise ValueError(f"{name}: expected one of {', '.join(NAMES)}, got {backend!r}.")
    return backend


def current():
    """The backend Keras will use here: ``KERAS_BACKEND``, else ``keras.json``'s, else ``"tensorflow"``."""
    if os.environ.get("KERAS_BACKEND"):
        return check(os.environ["KERAS_BACKEND"])
    config = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "keras.json"
    try:
        chosen = json.loads(config.read_text(encoding="utf-8")).get("backend") or "tensorflow"
    except (OSError, ValueError, AttributeError):
        return "tensorflow"
    return check(chosen, f"the backend in {config}")


def not_on(notebook):
    """{backend: reason} from the ``**Not on NAME:** reason`` lines of the notebook's first cell.

    ``notebook`` is a path or an ``nbformat`` notebook; an unreadable file gives ``{}`` (running it reports why).
    """
    if isinstance(notebook, (str, Path)):
        import nbformat

        try:
            notebook = nbformat.read(str(notebook), as_version=4)
        except Exception:  # not JSON, not a notebook: the run that follows names the error
            return {}
    if not notebook.cells:
        return {}
    by_name = {title: key for key, title in NAMES.items()}
    return {by_name[title]: reason.strip() for title, reason in NOT_ON.findall(notebook.cells[0].source)}


def skip_reason(notebook, backend):
    """Why ``notebook`` cannot run on ``backend`` (from its first cell), or None when it can."""
    reason = not_on(notebook).get(check(backend, "backend"))
    return f"not on {NAMES[backend]}: {reason}" if reason else None
