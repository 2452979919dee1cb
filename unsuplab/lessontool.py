"""The lesson tool: ``solutions/`` is the source, ``lessons/`` is generated from it.

Commands (``python -m unsuplab.lessontool COMMAND`` or ``unsuplab-lessons COMMAND``):

  build           regenerate lessons/ from solutions/ (strip outputs, write nbgrader metadata);
                  never overwrites an edited lesson (``--backup`` moves it aside instead)
  check           fail if lessons/ differs from what build would write, or a notebook has outputs
  run DIR...      execute notebooks headless and write them as HTML (``--html build/html``)

Marker syntax is nbgrader's, so instructors can reuse the notebooks there.
In a code cell::

    def kl_sparsity(rho, rho_hat):
        ### BEGIN SOLUTION
        return ...
        ### END SOLUTION

becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the same
indentation. A solution block must sit inside a function: the placeholder then
raises only when the check cell calls it, so the rest of the lesson runs on when
an exercise is left undone. In a markdown cell the block becomes ``YOUR ANSWER HERE``.
Cells whose first line is ``# SOLUTION ONLY`` are dropped from the lesson.

nbgrader (the grading engine, see docs/instructors.md): build writes nbgrader cell
metadata from the markers. A cell with a solution block is a solution cell; the code
cell after it that calls ``check.NAME(...)`` is an autograded test cell (``grade_id``
``check_NAME``, locked) worth N points from its ``# points: N`` line (build adds
``# points: 1`` where there is none, so the lesson states the points); a written answer
(a markdown solution block) is a manually graded cell worth 0 points; the cell that
imports the checks is locked. lessons/ then equals what ``nbgrader generate_assignment``
releases, cell for cell.

A lesson that someone edited is never overwritten: build refuses (or, with
``--backup``, moves it aside to a timestamped file and says where).
"""

import argparse
import ast
import copy
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from unsuplab.fileio import atomic_write_text

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_BLOCK = re.compile(r"\n?^### BEGIN HIDDEN TESTS\n.*?^### END HIDDEN TESTS$\n?", re.M | re.S)
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_ONLY = "# SOLUTION ONLY"
CODE_PLACEHOLDER = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_PLACEHOLDER = "YOUR ANSWER HERE"
NB_VERSION = 4
CHECK_CALL = re.compile(r"^check\.(\w+)\(", re.M)
CHECK_IMPORT = re.compile(r"^from unsuplab\.checks import \w+ as check\b", re.M)
POINTS = re.compile(r"^# points: *(\S+) *$", re.M)
PART = re.compile(r"^# part: *\S", re.M)  # a further graded part of the exercise just checked
NEAR_MARKER = re.compile(r"^\s*#+\s*(begin|end)\s*solution\b|^\s*#+\s*solution\s*only\b", re.I)
SCHEMA = 3


class LessonError(ValueError):
    """A notebook in solutions/ breaks the marker rules."""


def _enclosing_headers(lines, number):
    """The block headers (``def``, ``for``, ``class``...) that enclose line ``number`` (1-based), innermost first."""
    line = lines[number - 1]
    indent = len(line) - len(line.lstrip())
    headers = []
    for previous in reversed(lines[: number - 1]):
        stripped = previous.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(previous) - len(previous.lstrip())
        if level < indent:
            headers.append(stripped)
            indent = level
    return headers


def _strip_block(source, where, markdown):
    out, inside, indent = [], False, ""
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped not in (BEGIN, END) and NEAR_MARKER.match(line):
            raise LessonError(f"{where}, line {number}: {stripped!r} looks like a marker but is not spelt "
                              f"exactly '{BEGIN}', '{END}' or '{SOLUTION_ONLY}' (upper case, one space).")
        if stripped == BEGIN:
            if inside:
                raise LessonError(f"{where}, line {number}: nested '{BEGIN}'.")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            if markdown:
                out.append(MARKDOWN_PLACEHOLDER)
            else:
                headers = _enclosing_headers(lines, number)
                if not any(h.startswith(("def ", "async def ")) for h in headers):
                    under = f" (it sits under {headers[0]!r})" if headers else ""
                    raise LessonError(
                        f"{where}, line {number}: a solution block must sit inside a function{under}, "
                        "so the lesson still runs when the exercise is left undone.")
                out.extend(indent + p for p in CODE_PLACEHOLDER)
        elif stripped == END:
            if not inside:
                raise LessonError(f"{where}, line {number}: '{END}' without '{BEGIN}'.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise LessonError(f"{where}: '{BEGIN}' is never closed.")
    return "\n".join(out)


def _nbgrader(grade_id, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _points(cell, where):
    found = POINTS.findall(cell.source)
    if not found:
        return 1
    try:
        points = float(found[-1])
    except ValueError:
        points = -1
    if points <= 0 or len(found) > 1:
        raise LessonError(f"{where}: '# points: N' needs one positive number, got {found}.")
    return int(points) if points == int(points) else points


def hidden_checks(where):
    """The names NAME that ``unsuplab/checks/lessonNN.py`` grades on hidden cases (``def hidden_NAME``), for the
    notebook ``where`` (``NN_title.ipynb``); read from the file, without importing it."""
    number = re.match(r"(\d\d)_", Path(where).name)
    path = CHECKS_DIR / f"lesson{number.group(1)}.py" if number else None
    if path is None or not path.exists():
        return set()
    return set(re.findall(r"^def hidden_(\w+)\(", path.read_text(encoding="utf-8"), re.M))


def with_hidden_tests(source, names):
    """A check cell's source with nbgrader's hidden-test block: ``check.hidden_NAME(...)`` with the visible
    call's arguments for each ``check.NAME(...)`` that has hidden cases (issue 27). Any old block is replaced."""
    source = HIDDEN_BLOCK.sub("\n", source).rstrip("\n")
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "check":
            call = ast.get_source_segment(source, node)
            calls.append(call.replace(f"check.{node.func.attr}(", f"check.hidden_{node.func.attr}(", 1))
    return "\n".join([source, HIDDEN_BEGIN, *calls, HIDDEN_END]) if calls else source


TABLE_BEGIN, TABLE_END = "<!-- exercise table: begin (written by the lesson tool) -->", "<!-- exercise table: end -->"
EXERCISE_TITLE = re.compile(r'@exercise\(\s*"([^"]+)"(?:[^()]|\([^()]*\))*\)\s*def (\w+)\(')


def exercise_table(solutions="solutions"):
    """The instructors' table (Markdown): every lesson's graded cells, the exercise each grades, its points and
    whether it has hidden cases; from the solutions' nbgrader metadata and the checks' titles."""
    rows = ["| lesson | graded cell (`grade_id`) | exercise | points | hidden cases |", "|---|---|---|---|---|"]
    total = 0
    for path in sorted(Path(solutions).glob("*.ipynb")):
        checks = CHECKS_DIR / f"lesson{path.name[:2]}.py"
        titles = dict((name, title) for title, name in EXERCISE_TITLE.findall(
            checks.read_text(encoding="utf-8"))) if checks.exists() else {}
        hidden = hidden_checks(path)
        for cell in annotate(clean(read(path)), str(path)).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade"):
                continue
            name = meta["grade_id"].removeprefix("check_")
            title = titles.get(name, "written answer (manually graded, feedback only)")
            rows.append(f"| {path.stem} | `{meta['grade_id']}` | {title} | {meta['points']:g} | "
                        f"{'yes' if name in hidden else ('-' if name not in titles else 'no')} |")
            total += meta["points"]
    return "\n".join(rows + ["", f"{total:g} points in all."])


def _with_table(text, table):
    head, begin, rest = text.partition(TABLE_BEGIN)
    _, end, tail = rest.partition(TABLE_END)
    return f"{head}{begin}\n{table}\n{end}{tail}" if begin and end else text


def annotate(nb, where="notebook"):
    """Write nbgrader cell metadata from the markers (issue 13); refuse a layout nbgrader cannot grade."""
    nb = copy.deepcopy(nb)
    ids, pending, hidden, parts_of = {}, None, hidden_checks(where), None
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        here = f"{where}, cell {index}"
        source = cell.source
        meta = None
        if cell.source.lstrip().startswith(SOLUTION_ONLY):
            continue
        if BEGIN in source:
            if cell.cell_type == "code":
                name = re.search(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", source, re.M)
                grade_id = name.group(1) if name else f"answer_cell_{index}"
                meta = _nbgrader(grade_id, solution=True)
            else:  # nbgrader requires a written answer to be a graded cell: manually graded, 0 points
                meta = _nbgrader(f"answer_cell_{index}", solution=True, grade=True, points=0)
            pending = pending or here
        elif cell.cell_type == "code" and CHECK_CALL.search(source):
            if pending is None and not (PART.search(source) and parts_of):
                raise LessonError(f"{here}: check cell {source.strip().splitlines()[0]!r} has no exercise: "
                                  f"no cell with '{BEGIN}' since the previous check cell (a further part of the "
                                  "same exercise follows its check cell directly and has a '# part: NAME' line).")
            parts_of = pending or parts_of
            points = _points(cell, here)
            if not POINTS.search(source):  # state the points in the lesson itself
                cell.source = f"# points: {points}\n" + source
            cell.source = with_hidden_tests(cell.source, hidden)
            meta = _nbgrader("check_" + CHECK_CALL.search(source).group(1), grade=True, locked=True,
                             points=points)
            pending = None
        elif cell.cell_type == "code" and CHECK_IMPORT.search(source):
            meta = _nbgrader("setup_checks", locked=True)
        if cell.cell_type == "code" and meta is None:
            parts_of = None  # parts follow their exercise's check cell directly
        if meta is not None:
            if meta["grade_id"] in ids:
                raise LessonError(f"{here}: grade id {meta['grade_id']!r} is used again (first in "
                                  f"{ids[meta['grade_id']]}); give the function or check another name.")
            ids[meta["grade_id"]] = here
            cell.metadata["nbgrader"] = meta
    return nb


def clean(nb):
    """Return a copy of ``nb`` without outputs, execution counts, cell ids or volatile metadata.

    nbconvert's ClearOutput/ClearMetadata preprocessors do the clearing; kept are the kernel
    and language (without its version), our own ``unsuplab`` entry, and cell tags and nbgrader metadata.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor

    nb = copy.deepcopy(nb)
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    nb, _ = ClearMetadataPreprocessor(
        enabled=True, preserve_nb_metadata_mask={"kernelspec", "language_info", "unsuplab"},
        preserve_cell_metadata_mask={"tags", "nbgrader"}).preprocess(nb, {})
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = NB_VERSION, 4
    return nb


def _check_markers(cell, where):
    for number, line in enumerate(cell.source.splitlines(), 1):
        if line.strip() not in (BEGIN, END) and not line.startswith(SOLUTION_ONLY) and NEAR_MARKER.match(line):
            raise LessonError(f"{where}, line {number}: {line.strip()!r} looks like a marker but is not spelt "
                              f"exactly '{BEGIN}', '{END}' or '{SOLUTION_ONLY}' (upper case, one space), "
                              "so the solution would leak into the lesson.")


def to_lesson(nb, where="notebook"):
    """The student's version of a solution notebook (with nbgrader metadata and a hash of what was generated)."""
    nb = annotate(clean(nb), where)
    cells = []
    for index, cell in enumerate(nb.cells):
        _check_markers(cell, f"{where}, cell {index}")
        if cell.source.lstrip().startswith(SOLUTION_ONLY):
            continue
        if BEGIN in cell.source or END in cell.source:
            cell.source = _strip_block(cell.source, f"{where}, cell {index}", cell.cell_type == "markdown")
        if HIDDEN_BEGIN in cell.source:  # as nbgrader's generate_assignment: the student never sees them
            cell.source = HIDDEN_BLOCK.sub("\n", cell.source).rstrip("\n")
        cells.append(cell)
    nb.cells = cells
    nb.metadata["unsuplab"] = {"generated": content_hash(nb)}
    return nb


def content_hash(nb):
    """SHA-256 of the cells a person could edit (type and source), to tell a generated lesson from an edited one."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells).encode("utf-8")).hexdigest()


def holds_work(path):
    """True when the lesson at ``path`` was edited since our tool wrote it (so it must not be overwritten).

    A lesson carries the hash of the cells build wrote; if its cells no longer match, someone edited it.
    A lesson from before the hash existed counts as untouched only if it is still byte-for-byte in our
    format (Jupyter rewrites the file on save, adding cell ids).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=NB_VERSION)
    except Exception:
        return True  # unreadable: keep it, a person should look
    stored = nb.metadata.get("unsuplab", {}).get("generated")
    if stored:
        return content_hash(nb) != stored
    return text != dumps(clean(nb))


def dumps(nb):
    return nbformat.writes(nb, version=NB_VERSION) + "\n"


def read(path):
    try:
        return nbformat.read(str(path), as_version=NB_VERSION)
    except Exception as exc:  # nbformat raises several kinds for a corrupt file
        raise LessonError(f"{path}: not a readable notebook ({exc}).") from exc


def _separate(solutions, lessons):
    sol, les = Path(solutions).resolve(), Path(lessons).resolve()
    if sol == les or sol in les.parents or les in sol.parents:
        raise LessonError(f"--solutions {solutions} and --lessons {lessons} overlap ({sol} and {les}); "
                          "they must be two separate folders, or the solutions would be replaced by placeholders.")
    if not sol.is_dir():
        raise LessonError(f"--solutions {solutions}: no such folder.")


def plan(solutions, lessons):
    """Return [(solution path, lesson path, lesson text, clean solution text)], all computed before any write."""
    _separate(solutions, lessons)
    paths = sorted(Path(solutions).glob("*.ipynb"))
    if not paths:
        raise LessonError(f"no notebooks found in {solutions}/.")
    out = []
    for path in paths:
        nb = read(path)
        lesson = to_lesson(nb, str(path))
        out.append((path, Path(lessons) / path.name, dumps(lesson), dumps(annotate(clean(nb), str(path)))))
    return out


def build(solutions="solutions", lessons="lessons", backup=False):
    """Regenerate lessons/ and normalise solutions/; never overwrite a lesson someone edited.

    Everything is computed first; nothing is written when a notebook is malformed or a lesson holds work
    (unless ``backup``: then the edited lesson is moved aside to ``NAME.ipynb.edited-TIMESTAMP``).
    """
    steps = plan(solutions, lessons)
    edited = [dst for _, dst, text, _ in steps
              if dst.exists() and dst.read_text(encoding="utf-8") != text and holds_work(dst)]
    if edited and not backup:
        names = ", ".join(str(p) for p in edited)
        raise LessonError(f"{names}: edited since it was generated (someone's work is in it), so build will not "
                          "overwrite it. Save that work elsewhere, or run build with --backup to move the edited "
                          "file aside to a timestamped copy first. Nothing was written.")
    Path(lessons).mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    wanted = set()
    for src, dst, lesson_text, solution_text in steps:
        wanted.add(dst.name)
        if src.read_text(encoding="utf-8") != solution_text:
            atomic_write_text(src, solution_text)
            print(f"normalised {src} (outputs stripped, nbgrader metadata written)")
        if dst in edited:
            aside = dst.with_name(f"{dst.name}.edited-{stamp}")
            dst.rename(aside)
            print(f"moved your edited {dst} aside to {aside}")
        if not dst.exists() or dst.read_text(encoding="utf-8") != lesson_text:
            atomic_write_text(dst, lesson_text)
            print(f"wrote {dst}")
    for stale in sorted(Path(lessons).glob("*.ipynb")):
        if stale.name not in wanted:
            print(f"note: {stale} has no source in {solutions}/ (left in place)")
    docs = Path(solutions).resolve().parent / "docs" / "instructors.md"
    if docs.exists():
        text = docs.read_text(encoding="utf-8")
        updated = _with_table(text, exercise_table(solutions))
        if updated != text:
            atomic_write_text(docs, updated)
            print(f"wrote the exercise table in {docs}")
    return 0


def check(solutions="solutions", lessons="lessons"):
    """Return a list of problems: drift between the two folders, or stored outputs. Changes nothing."""
    problems, wanted = [], set()
    for src, dst, lesson_text, solution_text in plan(solutions, lessons):
        wanted.add(dst.name)
        if src.read_text(encoding="utf-8") != solution_text:
            problems.append(f"{src} has outputs, volatile or missing nbgrader metadata; the build command "
                            "normalises it (solution code is kept)")
        if not dst.exists():
            problems.append(f"{dst} is missing; the build command writes it")
        elif dst.read_text(encoding="utf-8") != lesson_text:
            if holds_work(dst):
                problems.append(f"{dst} differs from what {src} generates and holds edits (a student's work?); "
                                "keep it: build will not overwrite it (build --backup moves it aside first)")
            else:
                problems.append(f"{dst} is out of date with {src} and holds no edits; the build command "
                                "regenerates it")
    for extra in sorted(Path(lessons).glob("*.ipynb")):
        if extra.name not in wanted:
            problems.append(f"{extra} has no source in {solutions}/")
    docs = Path(solutions).resolve().parent / "docs" / "instructors.md"
    if docs.exists():
        text = docs.read_text(encoding="utf-8")
        if _with_table(text, exercise_table(solutions)) != text:
            problems.append(f"{docs}: the exercise table is out of date; the build command rewrites it")
    return problems


def run(paths, html_dir=None, timeout=600):
    """Execute notebooks in their own folder; optionally write each as HTML and as an executed .ipynb.

    Each notebook runs as the course runner runs a lesson (:func:`unsuplab.course.execute`, in
    :func:`unsuplab.course._kernel_environment`: this shell's mode and Keras backend, inline figures, TensorFlow's
    C++ start-up notices silenced); ``timeout`` is per cell. With ``html_dir``, ``DIR/<folder>/<name>.html`` and
    the executed ``.ipynb`` and the kernel's log beside it.
    """
    from nbconvert import HTMLExporter

    from unsuplab import backends, config
    from unsuplab.course import _kernel_environment, execute

    notebooks = []
    for p in map(Path, paths):
        if not p.exists():
            raise LessonError(f"{p}: no such notebook or folder.")
        notebooks += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    if not notebooks:
        raise LessonError(f"no notebooks found in {', '.join(map(str, paths))}.")
    if html_dir and Path(html_dir).exists() and not Path(html_dir).is_dir():
        raise LessonError(f"--html {html_dir}: is a file; give a folder for the HTML pages.")
    try:  # a bad UNSUPLAB_FAST or KERAS_BACKEND is the user's to fix: say which, not a traceback
        mode, backend = ("fast" if config.is_fast() else "full"), backends.current()
    except ValueError as exc:
        raise LessonError(str(exc)) from None
    failed = []
    with _kernel_environment(mode, backend), tempfile.TemporaryDirectory() as scratch:
        for path in notebooks:
            folder = Path(html_dir) / path.parent.name if html_dir else Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            executed = folder / (path.stem + ".ipynb")
            print(f"running {path} ...", flush=True)
            status, _, message = execute(path, executed, folder / (path.stem + ".log"), mode, timeout)
            if status != "ok":
                failed.append(path)
                print(f"FAILED {path}: {message}")
            if html_dir:
                body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
                atomic_write_text(executed.with_suffix(".html"), body)
                print(f"  wrote {executed.with_suffix('.html')} (and the executed .ipynb beside it)")
    print(f"{len(notebooks) - len(failed)} of {len(notebooks)} notebooks ran without error."
          + (f" Failed: {', '.join(str(p) for p in failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="unsuplab-lessons", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "check"):
        p = sub.add_parser(name)
        p.add_argument("--solutions", default="solutions")
        p.add_argument("--lessons", default="lessons")
        if name == "build":
            p.add_argument("--backup", action="store_true",
                           help="move a lesson someone edited aside (NAME.ipynb.edited-TIMESTAMP) instead of stopping")
    p = sub.add_parser("run")
    p.add_argument("paths", nargs="+")
    p.add_argument("--html", default=None, help="folder for the executed notebooks as HTML")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return build(args.solutions, args.lessons, args.backup)
        if args.command == "check":
            problems = check(args.solutions, args.lessons)
            for problem in problems:
                print(problem)
            print("lessons/ is in sync with solutions/." if not problems else f"{len(problems)} problem(s).")
            return 1 if problems else 0
        return run(args.paths, args.html, args.timeout)
    except LessonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
