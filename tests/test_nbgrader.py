"""Issue 13: the exercises assign and grade with the real nbgrader (skipped when it is not installed).

One course directory under tmp: source/ from solutions/ (normalised by our lesson tool), then
``nbgrader generate_assignment`` for all lessons, and ``nbgrader autograde`` for two lessons in fast mode
(00: plain NumPy/PCA; 02: trains a Keras model) and three students: the solved notebooks, the untouched
release, and a release solved except for one deliberately wrong answer. Scores come from nbgrader's own
gradebook database and its ``nbgrader export`` CSV, not from our parsing.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from unsuplab import lessontool

nbgrader = pytest.importorskip("nbgrader",
                               reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

ROOT = Path(__file__).resolve().parents[1]
GRADED = ["00_what_is_unsupervised_learning", "02_deep_autoencoder"]
WRONG = ("02_deep_autoencoder", "reconstruction_errors", "model.predict(x_test, verbose=0), x_test",
         "model.predict(x_train, verbose=0), x_train")  # measured on the training set: a wrong answer


def nbgrader_cmd(course, *args):
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = dict(os.environ, UNSUPLAB_FAST="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore",
               PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "unsuplab"\nc.ExecutePreprocessor.timeout = 600\n')
    for assignment, names in (("all", None), ("graded", GRADED)):
        (course / "source" / assignment).mkdir(parents=True)
        for path in sorted((ROOT / "solutions").glob("*.ipynb")):
            if names is None or path.stem in names:
                text = lessontool.dumps(lessontool.annotate(lessontool.clean(lessontool.read(path)), str(path)))
                (course / "source" / assignment / path.name).write_text(text, encoding="utf-8")
    nbgrader_cmd(course, "generate_assignment", "all")
    nbgrader_cmd(course, "generate_assignment", "graded")
    release = course / "release" / "graded"
    for student in ("solved", "untouched", "one_wrong"):
        (course / "submitted" / student / "graded").mkdir(parents=True)
    for name in GRADED:
        nb_file = f"{name}.ipynb"
        solved_text = (course / "source" / "graded" / nb_file).read_bytes()
        (course / "submitted" / "solved" / "graded" / nb_file).write_bytes(solved_text)
        (course / "submitted" / "untouched" / "graded" / nb_file).write_bytes((release / nb_file).read_bytes())
        solved = nbformat.read(str(course / "source" / "graded" / nb_file), as_version=4)
        if name == WRONG[0]:
            cell = next(c for c in solved.cells if c.source.startswith(f"def {WRONG[1]}"))
            assert WRONG[2] in cell.source
            cell.source = cell.source.replace(WRONG[2], WRONG[3])
        nbformat.write(solved, str(course / "submitted" / "one_wrong" / "graded" / nb_file))
    nbgrader_cmd(course, "autograde", "graded")
    nbgrader_cmd(course, "export", "--to", "grades.csv")
    return course


def _grades(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for name in GRADED:
            notebook = gb.find_notebook(name, "graded")
            for cell in notebook.grade_cells:
                for student in ("solved", "untouched", "one_wrong"):
                    grade = gb.find_grade(cell.name, name, "graded", student)
                    out[student, name, cell.name] = (grade.score, cell.max_score)
        return out


def test_every_lesson_releases_as_our_lesson(course):
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    released = sorted((course / "release" / "all").glob("*.ipynb"))
    assert [p.name for p in released] == [p.name for p in solutions]
    for path in solutions:  # from the copy nbgrader saw (authors may edit solutions/ meanwhile)
        ours = lessontool.to_lesson(lessontool.read(course / "source" / "all" / path.name), str(path))
        theirs = nbformat.read(str(course / "release" / "all" / path.name), as_version=4)
        assert [(c.cell_type, c.source) for c in theirs.cells] == \
               [(c.cell_type, c.source) for c in ours.cells], path.name
        assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in theirs.cells] == \
               [c.metadata.get("nbgrader", {}).get("grade_id") for c in ours.cells], path.name


def test_autograde_scores_each_exercise(course):
    grades = _grades(course)
    assert len(grades) == 3 * 4, grades  # two exercises in each of the two lessons
    for (student, name, cell), (score, max_score) in grades.items():
        assert max_score == 1
        wrong = student == "one_wrong" and name == WRONG[0] and cell == f"check_{WRONG[1]}"
        want = 0 if student == "untouched" or wrong else max_score
        assert score == want, (student, name, cell, score)


def test_exported_csv_has_the_totals(course):
    rows = {row["student_id"]: row for row in csv.DictReader(open(course / "grades.csv"))
            if row["assignment"] == "graded"}
    assert {s: float(rows[s]["raw_score"]) for s in rows} == {"solved": 4.0, "untouched": 0.0, "one_wrong": 3.0}
    assert {float(rows[s]["max_score"]) for s in rows} == {4.0}


def test_untouched_release_still_runs_every_cell(course):
    for name in GRADED:
        nb = nbformat.read(str(course / "autograded" / "untouched" / "graded" / f"{name}.ipynb"), as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            assert cell.execution_count is not None, f"{name} cell {index} did not run"
            errors = [o for o in cell.outputs if o.output_type == "error"]
            is_check = cell.metadata.get("nbgrader", {}).get("grade", False)
            assert is_check or not errors, f"{name} cell {index} failed: {errors}"
            if is_check:
                assert errors and errors[0].ename == "AssertionError" and "not attempted" in errors[0].evalue
