"""Issues 13 and 27: the exercises assign and grade with the real nbgrader (skipped when it is not installed, or
when bubblewrap cannot sandbox here).

One course directory under tmp: source/ from solutions/ (normalised by our lesson tool, hidden tests included),
then ``nbgrader generate_assignment`` for all lessons, and ``nbgrader autograde`` in the sandbox
(``unsuplab.checks.sandbox``) and in fast mode for three lessons (00: NumPy and a Keras model built by hand;
04: trains a sparse autoencoder; 13: a Keras layer and NumPy ranking): the solved notebooks, the untouched
release, a release solved except for one realistic mistake, and the seven games of issue 27, each in the notebook
it plays in. Scores come from nbgrader's own gradebook database and its ``nbgrader export`` CSV, not from our
parsing. The autograde's wall time is printed (run with ``-s``).
"""

import copy
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from unsuplab import lessontool

nbgrader = pytest.importorskip("nbgrader",
                               reason="nbgrader is not installed: pip install -r requirements-instructor.txt")

ROOT = Path(__file__).resolve().parents[1]
# 00: NumPy and a Keras model built by hand; 04: trains a sparse autoencoder; 13: a Keras layer and NumPy ranking
GRADED = ["00_what_is_unsupervised_learning", "04_sparse_autoencoder", "13_retrieval"]
L00, L13 = GRADED[0], GRADED[2]
CHECK_TIMEOUT = 15  # UNSUPLAB_CHECK_TIMEOUT while grading: a hang costs this per call of the answer
WRONG = ("04_sparse_autoencoder", "MyKLSparsity", "ops.sum(kl)", "ops.mean(kl)")  # a realistic mistake; the
# exercise is graded in two parts (the contract, then the values), so it keeps the contract's point
# The seven games of issue 27: (student, notebook, function, old line, new lines); each touches one exercise.
GAMES = {
    "mutates_input": (L13, "my_precision_at_k", "    nearest = ", "    distances.sort(axis=1)\n    nearest = "),
    "pops_environment": (L00, "pca_encode_decode", "    mean = ",
                         "    import os\n    os.environ.pop('NBGRADER_EXECUTION', None)\n"
                         "    return x_test[:, :k], x_test\n    mean = "),
    "redefines_check": (L00, "pca_as_keras", "def pca_as_keras", "check.pca_as_keras = lambda *a, **k: None\n\n\n"
                        "def pca_as_keras"),
    "delegates": (L13, "my_precision_at_k", "    nearest = ",
                  "    return metrics.precision_at_k(distances, query_labels, database_labels, k)\n    nearest = "),
    "exits": (L00, "pca_encode_decode", "    mean = ", "    import os\n    os._exit(1)\n    mean = "),
    "hangs": (L00, "pca_encode_decode", "    mean = ", "    while True:\n        pass\n    mean = "),
    "writes_outside": (L00, "pca_encode_decode", "    mean = ",
                       "    from pathlib import Path\n    Path('../../../written_by_student.txt').write_text('x')\n"
                       "    mean = "),
}
TOUCHED = {student: (notebook, "check_" + {"my_precision_at_k": "precision_at_k"}.get(fn, fn))
           for student, (notebook, fn, *_rest) in GAMES.items()}
HONEST = ("solved", "untouched", "one_wrong")


def nbgrader_cmd(course, *args, sandboxed=False):
    from unsuplab.checks import sandbox

    folder = course.parent / f"{course.name}-kernel-spec"  # outside the course, as make grade does
    sandbox.install_kernel(folder, course)
    env = sandbox.grade_env(folder, dict(os.environ, UNSUPLAB_FAST="1", PYTHONWARNINGS="ignore",
                                         UNSUPLAB_CHECK_TIMEOUT=str(CHECK_TIMEOUT)))
    extra = [f"--ExecutePreprocessor.kernel_name={sandbox.KERNEL_NAME}"] if sandboxed else []
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, *extra], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _edited(solved, function, old, new):
    nb = copy.deepcopy(solved)
    cell = next(c for c in nb.cells if c.source.startswith((f"def {function}(", f"class {function}(")))
    assert old in cell.source, (function, old)
    cell.source = cell.source.replace(old, new, 1)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from unsuplab.checks import sandbox

    problem = sandbox.available()
    if problem:
        pytest.skip(f"the grading sandbox cannot run here: {problem}")
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "unsuplab"\nc.ExecutePreprocessor.timeout = 120\n')
    for assignment, names in (("all", None), ("graded", GRADED)):
        (course / "source" / assignment).mkdir(parents=True)
        for path in sorted((ROOT / "solutions").glob("*.ipynb")):
            if names is None or path.stem in names:
                text = lessontool.dumps(lessontool.annotate(lessontool.clean(lessontool.read(path)), str(path)))
                (course / "source" / assignment / path.name).write_text(text, encoding="utf-8")
    nbgrader_cmd(course, "generate_assignment", "all")
    nbgrader_cmd(course, "generate_assignment", "graded")
    release = course / "release" / "graded"
    for student in (*HONEST, *GAMES):
        (course / "submitted" / student / "graded").mkdir(parents=True)
    for name in GRADED:  # the honest students hand in every notebook
        nb_file = f"{name}.ipynb"
        solved = nbformat.read(str(course / "source" / "graded" / nb_file), as_version=4)
        nbformat.write(solved, str(course / "submitted" / "solved" / "graded" / nb_file))
        (course / "submitted" / "untouched" / "graded" / nb_file).write_bytes((release / nb_file).read_bytes())
        wrong = _edited(solved, *WRONG[1:]) if name == WRONG[0] else solved
        nbformat.write(wrong, str(course / "submitted" / "one_wrong" / "graded" / nb_file))
    for student, (name, function, old, new) in GAMES.items():  # a player hands in the notebook of the game
        solved = nbformat.read(str(course / "source" / "graded" / f"{name}.ipynb"), as_version=4)
        nbformat.write(_edited(solved, function, old, new), str(course / "submitted" / student / "graded" /
                                                                   f"{name}.ipynb"))
    start = time.monotonic()
    nbgrader_cmd(course, "autograde", "graded", "--CourseDirectory.student_id_exclude=hangs", sandboxed=True)
    course_seconds = time.monotonic() - start
    start = time.monotonic()
    nbgrader_cmd(course, "autograde", "graded", "--student=hangs", sandboxed=True)
    hang_seconds = time.monotonic() - start
    nbgrader_cmd(course, "export", "--to", "grades.csv")
    nbgrader_cmd(course, "generate_feedback", "graded")
    print(f"autograde: {course_seconds:.0f} s for {len(HONEST)} x {len(GRADED)} + {len(GAMES) - 1} notebooks, "
          f"{hang_seconds:.0f} s for the hanging one")
    return course, hang_seconds


def _grades(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for name in GRADED:
            notebook = gb.find_notebook(name, "graded")
            for cell in notebook.grade_cells:
                for student in (*HONEST, *GAMES):
                    try:
                        grade = gb.find_grade(cell.name, name, "graded", student)
                    except Exception:  # a notebook this student did not hand in
                        continue
                    out[student, name, cell.name] = (grade.score, cell.max_score)
        return out


def test_every_lesson_releases_as_our_lesson(course):
    course, _ = course
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


def test_honest_submissions_score_what_they_earned(course):
    course, _ = course
    grades = {k: v for k, v in _grades(course).items() if k[0] in HONEST}
    assert len(grades) == 3 * 6, grades  # 2 + 2 (two parts) + 2 graded cells in the three lessons
    for (student, name, cell), (score, max_score) in grades.items():
        wrong = student == "one_wrong" and name == WRONG[0] and cell == "check_kl_sparsity_layer"
        want = 0 if student == "untouched" or wrong else max_score
        assert score == want, (student, name, cell, score)


def test_every_game_scores_zero_on_its_exercise_and_keeps_the_others(course):
    course, _ = course
    grades = _grades(course)
    for student, (name, touched) in TOUCHED.items():
        mine = {cell: score for (who, nb, cell), (score, _) in grades.items() if who == student and nb == name}
        assert mine[touched] == 0, (student, mine)
        others = {cell: score for cell, score in mine.items() if cell != touched}
        assert others and all(score > 0 for score in others.values()), (student, mine)


def test_a_hang_is_graded_within_two_minutes_and_a_write_outside_is_refused(course):
    course, hang_seconds = course
    assert hang_seconds < 120
    assert not (course / "written_by_student.txt").exists()
    graded = nbformat.read(str(course / "autograded" / "writes_outside" / "graded" / f"{L00}.ipynb"), as_version=4)
    text = "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) for c in graded.cells if c.cell_type == "code"
                     for o in c.outputs)
    assert "Read-only file system" in text


def test_exported_csv_has_the_totals(course):
    course, _ = course
    rows = {row["student_id"]: row for row in csv.DictReader(open(course / "grades.csv"))
            if row["assignment"] == "graded"}
    assert {s: float(rows[s]["raw_score"]) for s in HONEST} == {"solved": 6.0, "untouched": 0.0, "one_wrong": 5.0}
    assert {float(rows[s]["max_score"]) for s in rows} == {6.0}


def test_untouched_release_still_runs_every_cell(course):
    course, _ = course
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
                assert errors and errors[0].ename == "CheckFailed" and "not attempted" in errors[0].evalue
                assert errors[0].traceback == [errors[0].evalue]  # the message once, no grader's paths


def test_feedback_shows_each_failed_check_once_without_paths_or_start_up_noise(course):
    import html

    course, _ = course
    student, name = "one_wrong", WRONG[0]
    graded = nbformat.read(str(course / "autograded" / student / "graded" / f"{name}.ipynb"), as_version=4)
    failed = [o for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [o.ename for o in failed] == ["CheckFailed"], failed  # only the wrong part of the exercise
    page = (course / "feedback" / student / "graded" / f"{name}.html").read_text(encoding="utf-8")
    page = html.unescape(re.sub(r"(?s)<(style|script)\b.*?</\1>", "", page))  # what the student reads
    message = failed[0].evalue.strip().splitlines()[0]
    assert page.count(message) == 1, message
    for noise in ("Traceback", "site-packages", str(course), str(ROOT), "cpu_feature_guard", "absl::",
                  "oneDNN", "NBGRADER_EXECUTION"):
        assert noise not in page, noise
    for student in (*HONEST, *GAMES):  # every graded student gets a page, the crashed and hanging ones too
        notebooks = {GAMES[student][0]} if student in GAMES else set(GRADED)
        for nb in notebooks:
            assert (course / "feedback" / student / "graded" / f"{nb}.html").exists(), (student, nb)
