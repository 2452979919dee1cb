"""Fast mode: one switch that shrinks epochs and sample counts for CI.

Set the environment variable ``UNSUPLAB_FAST=1`` (``make test`` and CI do) and
every lesson, test and benchmark trains on fewer samples for fewer epochs.
Full mode, the default a student gets, is the one whose numbers we quote.

    >>> from unsuplab.config import pick
    >>> epochs = pick(full=30, fast=1)
"""

import logging
import os

FAST_ENV = "UNSUPLAB_FAST"

# TensorFlow logs "N out of the last M calls ... triggered tf.function retracing" whenever a lesson predicts
# with several small models in a row. It is advice for production code, and students read it as an error,
# so the course keeps TensorFlow's Python logger at ERROR (real errors still show).
logging.getLogger("tensorflow").setLevel(logging.ERROR)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_flag(name):
    """The yes/no environment variable ``name``: 1/true/yes/on or 0/false/no/off (unset = no); else an error."""
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not understood; expected 1/true/yes/on or 0/false/no/off.")


def is_fast():
    """True when the environment asks for fast mode (``UNSUPLAB_FAST=1``)."""
    return env_flag(FAST_ENV)


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise."""
    return fast if is_fast() else full


def mode_name():
    return "FAST" if is_fast() else "FULL"


def banner():
    """Print one line that says which mode runs and which Keras backend (the lessons' first cell)."""
    print(banner_line())


def banner_line():
    """The line ``banner`` prints."""
    import keras

    if is_fast():
        line = (f"unsuplab: FAST mode ({FAST_ENV}=1): few samples and epochs, "
                "numbers are NOT meaningful. Unset it for the real run.")
    else:
        line = (f"unsuplab: FULL mode: the numbers quoted in the course "
                f"(set {FAST_ENV}=1 for a quick smoke run).")
    return line + f" Keras {keras.__version__}, backend {keras.backend.backend()}."
