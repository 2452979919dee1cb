"""The lesson tool: ``solutions/`` is the source, ``lessons/`` is generated from it.

Commands (``python -m unsuplab.lessontool COMMAND`` or ``unsuplab-lessons COMMAND``):

  build           regenerate lessons/ from solutions/ (and strip outputs from solutions/)
  check           fail if lessons/ differs from what build would write, or a notebook has outputs
  run DIR...      execute notebooks headless and write them as HTML (``--html build/html``)
  import PY NB    turn a ``# %%`` script into a notebook (an authoring convenience)

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
"""

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_ONLY = "# SOLUTION ONLY"
CODE_PLACEHOLDER = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_PLACEHOLDER = "YOUR ANSWER HERE"
NB_VERSION = 4


class LessonError(ValueError):
    """A notebook in solutions/ breaks the marker rules."""


def _strip_block(source, where, markdown):
    out, inside, indent = [], False, ""
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise LessonError(f"{where}, line {number}: nested '{BEGIN}'.")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            if markdown:
                out.append(MARKDOWN_PLACEHOLDER)
            else:
                if not indent:
                    raise LessonError(
                        f"{where}, line {number}: a solution block must sit inside a function "
                        "(indented), so the lesson still runs when the exercise is left undone.")
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


def clean(nb):
    """Return a copy of ``nb`` without outputs, execution counts or volatile metadata."""
    nb = copy.deepcopy(nb)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.pop("id", None)
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = NB_VERSION, 4
    return nb


def to_lesson(nb, where="notebook"):
    """The student's version of a solution notebook."""
    nb = clean(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.source.lstrip().startswith(SOLUTION_ONLY):
            continue
        if BEGIN in cell.source or END in cell.source:
            cell.source = _strip_block(cell.source, f"{where}, cell {index}", cell.cell_type == "markdown")
        cells.append(cell)
    nb.cells = cells
    return nb


def dumps(nb):
    return nbformat.writes(nb, version=NB_VERSION) + "\n"


def read(path):
    try:
        return nbformat.read(str(path), as_version=NB_VERSION)
    except Exception as exc:  # nbformat raises several kinds for a corrupt file
        raise LessonError(f"{path}: not a readable notebook ({exc}).") from exc


def plan(solutions, lessons):
    """Yield (solution path, lesson path, lesson text, clean solution text)."""
    paths = sorted(Path(solutions).glob("*.ipynb"))
    if not paths:
        raise LessonError(f"no notebooks found in {solutions}/.")
    for path in paths:
        nb = read(path)
        yield path, Path(lessons) / path.name, dumps(to_lesson(nb, str(path))), dumps(clean(nb))


def build(solutions="solutions", lessons="lessons"):
    Path(lessons).mkdir(parents=True, exist_ok=True)
    wanted = set()
    for src, dst, lesson_text, solution_text in plan(solutions, lessons):
        wanted.add(dst.name)
        if src.read_text(encoding="utf-8") != solution_text:
            src.write_text(solution_text, encoding="utf-8")
            print(f"stripped outputs from {src}")
        if not dst.exists() or dst.read_text(encoding="utf-8") != lesson_text:
            dst.write_text(lesson_text, encoding="utf-8")
            print(f"wrote {dst}")
    for stale in sorted(Path(lessons).glob("*.ipynb")):
        if stale.name not in wanted:
            print(f"note: {stale} has no source in {solutions}/ (left in place; delete it by hand)")
    return 0


def check(solutions="solutions", lessons="lessons"):
    """Return a list of problems: drift between the two folders, or stored outputs."""
    problems, wanted = [], set()
    for src, dst, lesson_text, solution_text in plan(solutions, lessons):
        wanted.add(dst.name)
        if src.read_text(encoding="utf-8") != solution_text:
            problems.append(f"{src} has outputs or volatile metadata; run the build command")
        if not dst.exists():
            problems.append(f"{dst} is missing; run the build command")
        elif dst.read_text(encoding="utf-8") != lesson_text:
            problems.append(f"{dst} differs from what {src} generates; run the build command")
    for extra in sorted(Path(lessons).glob("*.ipynb")):
        if extra.name not in wanted:
            problems.append(f"{extra} has no source in {solutions}/")
    return problems


def run(paths, html_dir=None, timeout=600):
    """Execute notebooks in their own folder; optionally write each as HTML and as an executed .ipynb."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebooks = []
    for p in map(Path, paths):
        notebooks += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    failed = []
    for path in notebooks:
        nb = read(path)
        print(f"running {path} ...", flush=True)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except Exception as exc:
            failed.append(path)
            print(f"FAILED {path}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else exc}")
        if html_dir:
            out = Path(html_dir) / path.parent.name / (path.stem + ".html")
            out.parent.mkdir(parents=True, exist_ok=True)
            body, _ = HTMLExporter().from_notebook_node(nb)
            out.write_text(body, encoding="utf-8")
            nbformat.write(nb, str(out.with_suffix(".ipynb")))  # executed copy, outputs included
            print(f"  wrote {out} (and the executed .ipynb beside it)")
    print(f"{len(notebooks) - len(failed)} of {len(notebooks)} notebooks ran without error.")
    return 1 if failed else 0


def import_script(script, notebook):
    """Turn a percent-format script (``# %%`` and ``# %% [markdown]`` cells) into a notebook."""
    text = Path(script).read_text(encoding="utf-8")
    cells = []
    for chunk in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = chunk.partition("\n")
        body = body.strip("\n")
        if "[markdown]" in header:
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.splitlines()]
            cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
        else:
            cells.append(nbformat.v4.new_code_cell(body))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    Path(notebook).write_text(dumps(clean(nb)), encoding="utf-8")
    print(f"wrote {notebook} ({len(cells)} cells)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="unsuplab-lessons", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "check"):
        p = sub.add_parser(name)
        p.add_argument("--solutions", default="solutions")
        p.add_argument("--lessons", default="lessons")
    p = sub.add_parser("run")
    p.add_argument("paths", nargs="+")
    p.add_argument("--html", default=None, help="folder for the executed notebooks as HTML")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p = sub.add_parser("import")
    p.add_argument("script")
    p.add_argument("notebook")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return build(args.solutions, args.lessons)
        if args.command == "check":
            problems = check(args.solutions, args.lessons)
            for problem in problems:
                print(problem)
            print("lessons/ is in sync with solutions/." if not problems else f"{len(problems)} problem(s).")
            return 1 if problems else 0
        if args.command == "run":
            return run(args.paths, args.html, args.timeout)
        return import_script(args.script, args.notebook)
    except LessonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
