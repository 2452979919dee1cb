import os
import resource
import subprocess
import sys

import pytest

from unsuplab.fileio import atomic_write_bytes, atomic_write_text


def test_writes_and_replaces(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "one")
    atomic_write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_keeps_mode_of_replaced_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    atomic_write_text(path, "new")
    assert path.stat().st_mode & 0o777 == 0o640


def test_bad_input_named(tmp_path):
    with pytest.raises(TypeError, match="text"):
        atomic_write_text(tmp_path / "a", b"bytes")
    with pytest.raises(TypeError, match="data"):
        atomic_write_bytes(tmp_path / "a", "text")
    with pytest.raises(ValueError, match="folder"):
        atomic_write_text(tmp_path, "x")


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    """Under `ulimit -f` the write fails; the old file and no temporary remain (issue 26, item 1)."""
    path = tmp_path / "big.txt"
    path.write_text("original")
    code = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
            "from unsuplab.fileio import atomic_write_text\n"
            f"atomic_write_text({str(path)!r}, 'x' * 100000)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert path.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["big.txt"]
    assert resource  # imported for the limit's name in the child
