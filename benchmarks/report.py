"""What every benchmark's results file shares: the machine, the command line, mean and spread, the load note.

A script in this folder imports it as ``import report`` (run as ``python benchmarks/NAME.py``, Python puts the
script's folder first on ``sys.path``). Results are written atomically (:func:`write`): a run killed while
writing keeps the previous table.
"""

import os
import platform
import shlex
import sys
from pathlib import Path

LOAD_EFFECT = "wall times are inflated when the load exceeds the CPU count."


def load_average():
    """The 1, 5 and 15-minute load averages, as the results files print them."""
    return ", ".join(f"{v:.1f}" for v in os.getloadavg()) + " (1, 5, 15 min)"


def machine():
    """Host, CPU count, device (JAX), Keras version and backend, and the load average now."""
    import keras

    device = "cpu"
    if keras.backend.backend() == "jax":
        import jax

        device = str(jax.devices()[0].device_kind)
    return (f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, {device}, Keras {keras.__version__} "
            f"({keras.backend.backend()}), load average {load_average()}")


def load_note(effect=LOAD_EFFECT):
    """The last line of a results file: the load when it was written, and what a high load does (``effect``)."""
    return f"Load average when written: {load_average()}. The machine is shared: {effect}"


def command(argv=None, script=None, env=()):
    """The command that ran: ``NAME.py ARGS``, or with ``script`` ``python SCRIPT ARGS`` shell-quoted.

    ``argv``: the arguments given to ``main`` (None: the process's own). ``env``: variables shown before the
    command when set (e.g. ``KERAS_BACKEND``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if script is None:
        return " ".join([Path(sys.argv[0]).name] + args)
    prefix = " ".join(f"{name}={os.environ[name]}" for name in env if os.environ.get(name))
    return (prefix + " " if prefix else "") + shlex.join(["python", script] + args)


def spread(values, fmt=".4f", single=None):
    """``min-max`` of ``values``, each formatted by ``fmt``; ``single`` instead when there is one value (if given)."""
    values = [float(v) for v in values]
    if single is not None and len(values) == 1:
        return single
    return f"{min(values):{fmt}}-{max(values):{fmt}}"


def mean_spread(values, fmt=".4f", sep=None):
    """``mean (min-max)``; with ``sep`` the two side by side, e.g. ``sep=" | "`` for two table cells."""
    values = [float(v) for v in values]
    mean = f"{sum(values) / len(values):{fmt}}"
    return f"{mean} ({spread(values, fmt)})" if sep is None else f"{mean}{sep}{spread(values, fmt)}"


def write(path, lines):
    """Write ``lines`` (a list of lines, or text) to ``path`` atomically, making its folder; returns the text."""
    from unsuplab.fileio import atomic_write_text

    text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text, encoding="utf-8")
    return text
