"""Atomic file writes: the one way the project writes a text file it may be asked to keep.

A file is written to a temporary file beside it, flushed to disk and renamed over the target
(``os.replace``); on any error (a full disk, ``ulimit -f``, an interrupt) the temporary file is removed
and an existing file at ``path`` is left exactly as it was.
"""

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically; returns ``path`` as a :class:`~pathlib.Path`."""
    path = Path(path)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"`data` must be bytes, got {type(data).__name__}.")
    if path.is_dir():
        raise ValueError(f"`path` {str(path)!r} is a folder; give a file name.")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():  # keep the mode of the file being replaced
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically (see the module docstring); returns ``path``."""
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}.")
    return atomic_write_bytes(path, text.encode(encoding))
