"""Issue 26 item 1: ``lessontool build`` and ``import`` never leave a notebook half-written.

A child process lowers RLIMIT_FSIZE (``ulimit -f``) below the size of the file it has to write; the write
fails, and the notebook that was there must be byte-identical afterwards.
"""

import subprocess
import sys
import textwrap

import nbformat
import pytest

resource = pytest.importorskip("resource")  # POSIX only

LIMIT = 4096  # bytes a child may write to one file


def _run_limited(code, cwd):
    """Run ``code`` in a child whose file-size limit is LIMIT bytes (SIGXFSZ ignored, so writes raise)."""
    prelude = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _big_solution(path):
    """A solution notebook that build must normalise (it has an output) and that exceeds LIMIT bytes."""
    code = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    cell = nbformat.v4.new_code_cell(code)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 50)]
    cells = [cell, nbformat.v4.new_code_cell("from unsuplab.checks import lesson00 as check")]
    cells += [nbformat.v4.new_markdown_cell("padding " * 40) for _ in range(30)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}})
    nbformat.write(nb, str(path))
    assert path.stat().st_size > LIMIT


def test_build_that_cannot_write_leaves_the_source_notebook_intact(tmp_path):
    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir()
    source = solutions / "00_x.ipynb"
    _big_solution(source)
    before = source.read_bytes()
    result = _run_limited(f"""
        from unsuplab import lessontool
        lessontool.build({str(solutions)!r}, {str(lessons)!r})
    """, tmp_path)
    assert result.returncode != 0, "the write should have hit the file-size limit"
    assert "File too large" in result.stderr or "Errno 27" in result.stderr, result.stderr[-2000:]
    assert source.read_bytes() == before
    assert not [p for p in solutions.iterdir() if p.name != source.name], "a temporary file was left behind"


def test_build_still_writes_when_there_is_room(tmp_path):
    from unsuplab import lessontool

    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir()
    _big_solution(solutions / "00_x.ipynb")
    assert lessontool.build(solutions, lessons) == 0
    assert nbformat.read(str(lessons / "00_x.ipynb"), as_version=4).cells
    assert nbformat.read(str(solutions / "00_x.ipynb"), as_version=4).cells[0].outputs == []
