"""Issue 26: the benchmark scripts write their results tables atomically (unsuplab.fileio), never in place."""

import ast
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


def _in_place_writes(path):
    """(line, call) of every ``.write_text``/``.write_bytes`` call and ``open(..., "w")`` in a script."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        modes = [a.value for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]
                 if isinstance(a, ast.Constant)]
        if name in ("write_text", "write_bytes") or (name == "open" and any("w" in str(m) for m in modes)):
            found.append((node.lineno, name))
    return found


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_results_are_written_atomically(path):
    assert _in_place_writes(path) == [], f"{path.name}: write results with unsuplab.fileio.atomic_write_text"


def test_the_scan_finds_an_in_place_write(tmp_path):
    script = tmp_path / "x.py"
    script.write_text("from pathlib import Path\nPath('r.md').write_text('t')\nopen('a', 'w')\n", encoding="utf-8")
    assert [name for _, name in _in_place_writes(script)] == ["write_text", "open"]
