from pathlib import Path

import nbformat
import pytest

from unsuplab import lessontool
from unsuplab.lessontool import LessonError

ROOT = Path(__file__).resolve().parents[1]


def _nb(*cells):
    made = [nbformat.v4.new_markdown_cell(src[3:]) if src.startswith("md:") else nbformat.v4.new_code_cell(src)
            for src in cells]
    return nbformat.v4.new_notebook(cells=made, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}})


def test_repository_lessons_are_generated_from_solutions():
    problems = lessontool.check(ROOT / "solutions", ROOT / "lessons")
    assert problems == [], "\n".join(problems)


def test_every_lesson_has_an_exercise_and_a_check_cell():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        source = "\n".join(c.source for c in lessontool.read(path).cells)
        assert lessontool.BEGIN in source, f"{path.name} has no exercise"
        assert "check." in source or "checks." in source, f"{path.name} has no check cell"


def test_solution_block_becomes_a_placeholder_at_its_indentation():
    nb = _nb("def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n",
             "md:Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
             "# SOLUTION ONLY\nprint('hidden')")
    lesson = lessontool.to_lesson(nb)
    assert lesson.cells[0].source == "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert lesson.cells[1].source == "Why?\nYOUR ANSWER HERE"
    assert len(lesson.cells) == 2
    namespace = {}
    exec(lesson.cells[0].source, namespace)  # defining the function must not raise
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "inside a function"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION", "without"),
])
def test_malformed_blocks_are_refused(source, message):
    with pytest.raises(LessonError, match=message):
        lessontool.to_lesson(_nb(source))


def test_build_then_check_round_trip_and_drift(tmp_path):
    sol, les = tmp_path / "solutions", tmp_path / "lessons"
    sol.mkdir()
    nb = _nb("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "print(f)")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[1].execution_count = 3
    (sol / "01_x.ipynb").write_text(nbformat.writes(nb))
    assert lessontool.check(sol, les)  # outputs stored and lesson missing
    lessontool.build(sol, les)
    assert lessontool.check(sol, les) == []
    assert "hello" not in (sol / "01_x.ipynb").read_text(), "outputs must be stripped from the source"
    first = (les / "01_x.ipynb").read_bytes()
    lessontool.build(sol, les)
    assert (les / "01_x.ipynb").read_bytes() == first, "build must be byte-for-byte reproducible"
    (les / "01_x.ipynb").write_text(first.decode().replace("NotImplementedError", "Exception"))
    assert any("differs" in p for p in lessontool.check(sol, les))
    (les / "99_orphan.ipynb").write_bytes(first)
    assert any("no source" in p for p in lessontool.check(sol, les))


def test_corrupt_notebook_is_reported(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "bad.ipynb").write_text("{ not json")
    assert lessontool.main(["check", "--solutions", str(tmp_path / "solutions"),
                            "--lessons", str(tmp_path / "lessons")]) == 2


def test_import_script_makes_cells(tmp_path):
    script = tmp_path / "x.py"
    script.write_text("# %% [markdown]\n# # Title\n# text\n\n# %%\nx = 1\n")
    lessontool.import_script(script, tmp_path / "x.ipynb")
    nb = lessontool.read(tmp_path / "x.ipynb")
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[0].source == "# Title\ntext" and nb.cells[1].source == "x = 1"
