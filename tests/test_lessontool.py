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


def test_every_exercise_has_a_check_from_its_own_lesson_module():
    import importlib

    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        lesson = lessontool.to_lesson(lessontool.read(path), path.name)
        module = importlib.import_module(f"unsuplab.checks.lesson{path.name[:2]}")
        roles = [c.metadata.get("nbgrader", {}) for c in lesson.cells]
        assert any(r.get("grade_id") == "setup_checks" for r in roles), f"{path.name}: no 'import lessonNN as check'"
        checks = [r["grade_id"] for r in roles if r.get("grade") and not r.get("solution")]
        assert checks, f"{path.name} has no check cell"
        for name in checks:
            function = getattr(module, name.removeprefix("check_"), None)
            assert callable(function) and hasattr(function, "__wrapped__"), f"{path.name}: {name} is not a check"
        waiting = None  # every code exercise is followed by its check before the next exercise
        for index, (cell, role) in enumerate(zip(lesson.cells, roles)):
            if role.get("solution") and cell.cell_type == "code":
                assert waiting is None, f"{path.name}: exercise in cell {waiting} has no check cell"
                waiting = index
            elif role.get("grade") and not role.get("solution"):
                waiting = None
        assert waiting is None, f"{path.name}: exercise in cell {waiting} has no check cell"


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
    assert any("holds edits" in p for p in lessontool.check(sol, les))
    (les / "99_orphan.ipynb").write_bytes(first)
    assert any("no source" in p for p in lessontool.check(sol, les))


def test_corrupt_notebook_is_reported(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "bad.ipynb").write_text("{ not json")
    assert lessontool.main(["check", "--solutions", str(tmp_path / "solutions"),
                            "--lessons", str(tmp_path / "lessons")]) == 2


def test_the_import_command_is_gone():
    """Authors write notebooks in Jupyter; percent scripts are jupytext's job, not a second parser here."""
    assert not hasattr(lessontool, "import_script")
    with pytest.raises(SystemExit):
        lessontool.main(["import", "x.py", "x.ipynb"])


# --- issue 19: a person's work is never lost --------------------------------------------------------------

def _course(tmp_path):
    sol, les = tmp_path / "solutions", tmp_path / "lessons"
    sol.mkdir()
    nb = _nb("from unsuplab.checks import lesson02 as check",
             "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f(f)")
    (sol / "01_x.ipynb").write_text(nbformat.writes(nb))
    return sol, les


def _student_edit(path):
    nb = lessontool.read(path)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError()", "return 1  # my answer")
    nb.cells[1].outputs = []
    nbformat.write(nb, str(path))  # as Jupyter saves it (cell ids added)


def test_build_refuses_to_overwrite_an_edited_lesson(tmp_path, capsys):
    sol, les = _course(tmp_path)
    lessontool.build(sol, les)
    _student_edit(les / "01_x.ipynb")
    edited = (les / "01_x.ipynb").read_bytes()
    (sol / "01_x.ipynb").write_text((sol / "01_x.ipynb").read_text().replace("return 1", "return 2"))
    problems = lessontool.check(sol, les)
    assert len(problems) == 1 and "holds edits" in problems[0] and "will not overwrite" in problems[0]
    with pytest.raises(LessonError, match=r"01_x.ipynb: edited since it was generated.*Nothing was written"):
        lessontool.build(sol, les)
    assert lessontool.main(["build", "--solutions", str(sol), "--lessons", str(les)]) == 2
    assert (les / "01_x.ipynb").read_bytes() == edited
    assert lessontool.main(["build", "--solutions", str(sol), "--lessons", str(les), "--backup"]) == 0
    backups = list(les.glob("01_x.ipynb.edited-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited
    assert f"moved your edited {les / '01_x.ipynb'} aside to {backups[0]}" in capsys.readouterr().out
    assert lessontool.check(sol, les) == []


def test_an_untouched_lesson_is_regenerated(tmp_path):
    sol, les = _course(tmp_path)
    lessontool.build(sol, les)
    nb = lessontool.read(les / "01_x.ipynb")
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nbformat.write(nb, str(les / "01_x.ipynb"))  # run and saved, not edited
    assert not lessontool.holds_work(les / "01_x.ipynb")
    problems = lessontool.check(sol, les)
    assert len(problems) == 1 and "holds no edits" in problems[0]
    lessontool.build(sol, les)
    assert lessontool.check(sol, les) == [] and not list(les.glob("*.edited-*"))


@pytest.mark.parametrize("lessons", ["same", "same/", "same/sub", "."])
def test_build_refuses_overlapping_folders(tmp_path, monkeypatch, lessons):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "same").mkdir()
    source = nbformat.writes(_nb("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"))
    (tmp_path / "same" / "01_x.ipynb").write_text(source)
    assert lessontool.main(["build", "--solutions", "same", "--lessons", lessons]) == 2
    assert (tmp_path / "same" / "01_x.ipynb").read_text() == source
    with pytest.raises(LessonError, match="overlap"):
        lessontool.build("same", lessons)


# --- issue 19 grouped: clear errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("source, message", [
    ("if True:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION",
     r"inside a function \(it sits under 'if True:'\)"),
    ("for i in range(2):\n    ### BEGIN SOLUTION\n    x = i\n    ### END SOLUTION", "inside a function"),
    ("class A:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION", "under 'class A:'"),
    ("def f():\n    ### begin solution\n    return 1\n    ### end solution", "looks like a marker"),
    ("def f():\n    ###BEGIN SOLUTION\n    return 1\n    ###END SOLUTION", "looks like a marker"),
    ("#SOLUTION ONLY\nprint('answer')", "looks like a marker"),
    ("# solution only\nprint('answer')", "looks like a marker"),
])
def test_misplaced_or_misspelt_markers_are_refused(source, message):
    with pytest.raises(LessonError, match=message):
        lessontool.to_lesson(_nb(source))


def test_solution_in_a_method_or_loop_inside_a_function_is_fine():
    nb = _nb("class A:\n    def f(self):\n        for i in range(2):\n"
             "            ### BEGIN SOLUTION\n"
             "            pass\n            ### END SOLUTION\n        return 1")
    assert "raise NotImplementedError()" in lessontool.to_lesson(nb).cells[0].source


def test_build_writes_nothing_when_a_later_notebook_is_bad(tmp_path):
    sol, les = _course(tmp_path)
    (sol / "02_bad.ipynb").write_text(nbformat.writes(_nb("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")))
    with pytest.raises(LessonError, match="02_bad.ipynb, cell 0"):
        lessontool.build(sol, les)
    assert not les.exists() or not list(les.iterdir())


def test_run_reports_clear_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert lessontool.main(["run", str(tmp_path / "empty")]) == 2
    assert "no notebooks found" in capsys.readouterr().err
    assert lessontool.main(["run", str(tmp_path / "nothing.ipynb")]) == 2
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "a_bad.ipynb").write_text("{ not json")
    (tmp_path / "file.html").write_text("x")
    assert lessontool.main(["run", str(tmp_path / "nb"), "--html", str(tmp_path / "file.html")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert lessontool.run([tmp_path / "nb"]) == 1
    assert "0 of 1 notebooks ran without error. Failed:" in capsys.readouterr().out


# --- issue 13: nbgrader metadata --------------------------------------------------------------------------

def test_nbgrader_metadata_and_points_come_from_the_markers():
    nb = _nb("from unsuplab.checks import lesson02 as check",
             "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f(f)",
             "md:Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
             "class G:\n    def __call__(self):\n        ### BEGIN SOLUTION\n        return 2\n"
             "        ### END SOLUTION",
             "# points: 3\ncheck.g(G)", "print('free cell')")
    lesson = lessontool.to_lesson(nb)
    meta = [c.metadata.get("nbgrader") for c in lesson.cells]
    assert meta[0] == {"grade": False, "grade_id": "setup_checks", "locked": True, "schema_version": 3,
                       "solution": False, "task": False}
    assert meta[1]["solution"] and meta[1]["grade_id"] == "f" and not meta[1]["grade"] and not meta[1]["locked"]
    assert meta[2] == {"grade": True, "grade_id": "check_f", "locked": True, "points": 1, "schema_version": 3,
                       "solution": False, "task": False}
    assert lesson.cells[2].source == "# points: 1\ncheck.f(f)", "the lesson states the points"
    assert meta[3]["solution"] and meta[3]["grade"] and meta[3]["points"] == 0
    assert meta[3]["grade_id"] == "answer_cell_3"
    assert meta[4]["grade_id"] == "G" and meta[5]["grade_id"] == "check_g" and meta[5]["points"] == 3
    assert lesson.cells[5].source == "# points: 3\ncheck.g(G)"
    assert meta[6] is None
    assert lessontool.annotate(lessontool.clean(nb)).cells[1].metadata["nbgrader"] == meta[1]


@pytest.mark.parametrize("cells, message", [
    (["check.f(f)"], r"cell 0: check cell 'check.f\(f\)' has no exercise"),
    (["def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f(f)", "check.f(f)"],
     "cell 2: check cell"),
    (["def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f(f)",
      "def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION", "check.g(f)"],
     r"cell 2: grade id 'f' is used again \(first in notebook, cell 0\)"),
    (["def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "# points: lots\ncheck.f(f)"],
     "one positive number"),
    (["def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f(f)", "x = 1",
      "# part: values\ncheck.f_values(f)"], "cell 3: check cell"),  # a part follows its check directly
    (["# part: values\ncheck.f_values(f)"], "cell 0: check cell"),
])
def test_instructor_layout_errors_name_the_cell(cells, message):
    with pytest.raises(LessonError, match=message):
        lessontool.to_lesson(_nb(*cells))


def test_no_cell_under_an_exercise_prints_the_librarys_reference():
    """Issue 27: the library's source (``inspect.getsource``) is shown only in the appendix at the end of a lesson,
    never one cell below an exercise, in the solutions and in the released lessons alike."""
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = nbformat.read(str(path), as_version=4).cells
            appendix = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                             and c.source.startswith("## Appendix: the library's versions")), len(cells))
            for index, cell in enumerate(cells[:appendix]):
                assert not (cell.cell_type == "code" and "getsource" in cell.source), \
                    f"{folder}/{path.name}, cell {index} prints library source above the appendix"
            assert all(c.cell_type != "code" or lessontool.BEGIN not in c.source for c in cells[appendix:]), \
                f"{folder}/{path.name}: an exercise after the appendix"


def test_an_exercise_graded_in_parts_gets_one_graded_cell_per_part():
    nb = _nb("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "check.f_contract(f)",
             "md:The values:", "# points: 2\n# part: values\ncheck.f(f)")
    meta = [c.metadata.get("nbgrader") for c in lessontool.to_lesson(nb).cells]
    assert (meta[1]["grade_id"], meta[1]["points"]) == ("check_f_contract", 1)
    assert (meta[3]["grade_id"], meta[3]["points"]) == ("check_f", 2)


def test_the_exercise_table_in_the_instructors_guide_is_current():
    text = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    table = lessontool.exercise_table(ROOT / "solutions")
    assert f"{lessontool.TABLE_BEGIN}\n{table}\n{lessontool.TABLE_END}" in text
    assert "| 04_sparse_autoencoder | `check_kl_sparsity_layer_contract` |" in table
