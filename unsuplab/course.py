"""The course runner: execute every lesson, then publish the executed lessons as one static site.

    python -m unsuplab.course run [PATHS...] [--fast] [--force] [--out DIR] [--backend NAME]   (``make lessons``)
    python -m unsuplab.course site [--out DIR]                                (rebuild the site only)

``run`` executes the lessons one after the other with nbclient and prints one line per lesson as it
starts and ends, with an estimate of the time left from the recorded durations of earlier runs
(``DIR/durations.json``; shipped defaults for a first run). It resumes: a lesson whose executed
notebook is newer than its source notebook and than the library, and that ran in the same mode
without error, is skipped (``--force`` redoes it). A failing lesson does not stop the others; each
lesson's kernel log and error go to ``DIR/logs/NAME.log``. The exit status is 1 if any lesson failed.
The kernels run on the Keras backend ``--backend`` names (default: ``KERAS_BACKEND``, else Keras' own choice);
each executed lesson and the site record it, a lesson run on another backend is not up to date, and a lesson
whose first cell says it cannot run on the backend (:mod:`unsuplab.backends`) is skipped with that reason.

The site (``DIR/site/index.html``) is written with nbconvert (a small template over its ``lab``
template adds navigation) and Jinja2, both already needed to run notebooks: one page per lesson with
its figures embedded, an index, and the benchmark tables of ``benchmarks/results/*.md``. It opens from
the file system: relative links, images as data URIs, no server, and equations typeset by a copy of
MathJax 2.7 from the ``jupyter-server-mathjax`` wheel (no CDN).
"""

import argparse
import asyncio
import atexit
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import sys
import time
import traceback
import urllib.parse
from pathlib import Path

import nbformat

from . import backends
from .fileio import atomic_write_text

NB_VERSION = 4
HERE = Path(__file__).resolve().parent
SITE_FILES = HERE / "site"
TEMPLATES = SITE_FILES / "nbconvert"  # nbconvert template "unsuplab" (over "lab")
PAGES = SITE_FILES / "pages"  # Jinja2 templates of the index and results pages
DEFAULT_DURATIONS = SITE_FILES / "durations.json"
TOOLING = {"course.py", "lessontool.py"}  # editing the tools does not make executed lessons stale
META_KEY = "unsuplab_course"
TCP_WARNING = "Kernel is running over TCP without encryption"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class CourseError(ValueError):
    """Bad arguments to the course runner."""


# --------------------------------------------------------------------------- planning


def find_notebooks(paths):
    """The notebooks named by ``paths`` (files, or folders whose ``*.ipynb`` are taken), sorted by name."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(path.glob("*.ipynb"))
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise CourseError(f"paths: {path} is neither a folder nor an existing .ipynb notebook.")
    if not found:
        raise CourseError(f"paths: no notebooks found in {', '.join(map(str, paths))}.")
    names = [p.stem for p in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CourseError(f"paths: two notebooks share the name {', '.join(twice)}; run them separately.")
    return sorted(found, key=lambda p: p.name)


def library_mtime(lesson=None):
    """Newest modification time of the library's code (the tooling modules excluded).

    For ``lesson`` (a notebook name such as ``09_inpainting``) the check modules of the other lessons
    (``unsuplab/checks/lessonNN.py``) do not count: editing lesson 09's checks does not make lesson 03 stale.
    """
    number = lesson[:2] if lesson and lesson[:2].isdigit() else None
    times = [p.stat().st_mtime for p in HERE.rglob("*.py")
             if (p.name not in TOOLING or p.parent != HERE) and not _other_lessons_checks(p, number)]
    return max(times, default=0.0)


def _other_lessons_checks(path, number):
    match = re.fullmatch(r"lesson(\d\d)\.py", path.name)
    return number is not None and path.parent.name == "checks" and match is not None and match[1] != number


def read_meta(executed):
    try:
        nb = nbformat.read(str(executed), as_version=NB_VERSION)
    except Exception:  # a half-written or corrupt file: run the lesson again
        return None
    return nb.metadata.get(META_KEY)


def is_fresh(source, executed, mode, library_time=None, backend=None):
    """True when ``executed`` ran from ``source`` without error in ``mode`` on ``backend`` (default: the current
    one), after it and the library last changed."""
    if not executed.exists():
        return False
    if library_time is None:
        library_time = library_mtime(source.stem)
    newest_input = max(source.stat().st_mtime, library_time)
    if executed.stat().st_mtime <= newest_input:
        return False
    meta = read_meta(executed) or {}
    return (meta.get("status") == "ok" and meta.get("mode") == mode and meta.get("source") == str(source)
            and meta.get("backend", "tensorflow") == (backend or backends.current()))


def _read_durations(path):
    """``{mode: {lesson: seconds}}`` from a durations file; a missing, unreadable or malformed file (not JSON, a
    list, a mode that is not a table) counts as empty, with a warning. Entries that are not numbers are dropped."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"warning: ignoring {path}: not readable JSON ({exc}).")
        return {}
    if not isinstance(recorded, dict):
        print(f"warning: ignoring {path}: expected {{mode: {{lesson: seconds}}}}, got a {type(recorded).__name__}.")
        return {}
    tables = {}
    for mode, table in recorded.items():
        if mode.startswith("_"):  # comments such as "_about"
            continue
        if not isinstance(table, dict):
            print(f"warning: ignoring the {mode!r} entry of {path}: expected {{lesson: seconds}}, "
                  f"got a {type(table).__name__}.")
            continue
        tables[mode] = {k: float(v) for k, v in table.items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < float("inf")}
    return tables


def load_durations(out, mode):
    """Seconds per lesson for ``mode``: the recorded ones over the shipped defaults."""
    durations = {}
    for path in (DEFAULT_DURATIONS, Path(out) / "durations.json"):
        durations.update(_read_durations(path).get(mode, {}))
    return durations


def save_duration(out, mode, name, seconds):
    path = Path(out) / "durations.json"
    recorded = _read_durations(path)
    recorded.setdefault(mode, {})[name] = round(seconds, 1)
    atomic_write_text(path, json.dumps(recorded, indent=1, sort_keys=True) + "\n")


def estimate(names, durations):
    """Expected seconds for the lessons ``names``; an unknown lesson counts as the median known one."""
    typical = statistics.median(durations.values()) if durations else 60.0
    return sum(durations.get(name, typical) for name in names)


def format_seconds(seconds):
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


# --------------------------------------------------------------------------- execution


def execute(source, executed, log_path, mode, timeout):
    """Run one notebook in its own folder; write the executed notebook and the log. Return (status, message)."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    started = time.monotonic()
    status, message = "ok", ""
    with open(log_path, "w", encoding="utf-8") as log:
        log.write(f"lesson {source.stem}, {mode} mode, source {source}, started {_now()}\n")
        log.flush()
        try:
            nb = nbformat.read(str(source), as_version=NB_VERSION)
        except Exception as exc:  # not JSON, not a notebook, unreadable: this lesson fails, the others go on
            message = f"{source} is not a readable notebook ({type(exc).__name__}: {_last_line(str(exc) or repr(exc))})"
            log.write(f"\n{message}\nfailed after 0.0 s\n")
            _write_executed(executed, stub_notebook(source.stem, message), mode, "failed", 0.0, source, message)
            return "failed", 0.0, message
        client = _client_class()(nb, timeout=timeout, kernel_name="python3",
                                 resources={"metadata": {"path": str(source.parent.resolve())}})
        try:
            # The kernel's own stdout/stderr (its start-up log included) go to the log, not the terminal.
            client.execute(stdout=log, stderr=log)
        except CellTimeoutError as exc:
            status, message = "failed", f"timed out after {timeout} s in cell {client.cell_number}"
            log.write(f"\n{message}\n{ANSI.sub('', str(exc))}\n")
        except CellExecutionError as exc:
            status, message = "failed", _last_line(str(exc))
            log.write(f"\n{ANSI.sub('', str(exc))}\n")
        except Exception as exc:  # a dead kernel, a kernel that did not start
            status, message = "failed", f"{type(exc).__name__}: {_last_line(str(exc) or repr(exc))}"
            log.write("\n" + ANSI.sub("", traceback.format_exc()))
        seconds = time.monotonic() - started
        if client.interrupted:
            log.write(f"\ninterrupted after {seconds:.1f} s\n")
            raise KeyboardInterrupt
        log.write(f"\n{status} after {seconds:.1f} s\n")
    _drop_lines(log_path, TCP_WARNING)
    _write_executed(executed, nb, mode, status, seconds, source, message)
    return status, seconds, message


def _write_executed(executed, nb, mode, status, seconds, source, message):
    """Record the run in the notebook's metadata and write it atomically (never half-written)."""
    nb.metadata[META_KEY] = {"mode": mode, "backend": backends.current(), "status": status,
                             "seconds": round(seconds, 1), "source": str(source), "finished": _now(), "error": message}
    atomic_write_text(executed, nbformat.writes(nb))


def stub_notebook(name, message):
    """A one-cell notebook that says why a lesson has no outputs (its source or executed notebook is unreadable);
    the message is HTML-escaped, since markdown lets raw HTML through."""
    import html

    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"# {html.escape(str(name))}\n\nThis lesson could not be shown: {html.escape(str(message))}")])


def _client_class():
    """nbclient's client, except that Ctrl-C (or SIGTERM) stops the whole course run.

    nbclient answers these signals by shutting the kernel down, after which the notebook merely fails and
    the next one starts. Here the first signal interrupts the running cell and the runner then stops,
    recording nothing for the interrupted lesson; a second signal shuts the kernel down at once.
    """
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    class InterruptibleClient(NotebookClient):
        interrupted = False
        cell_number = 0  # the cell running now, counted from 1 over all cells (markdown ones too)

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            self.cell_number = cell_index + 1
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

        async def async_start_new_kernel(self, **kwargs):
            await super().async_start_new_kernel(**kwargs)

            def on_signal():
                if not self.interrupted:  # first Ctrl-C: interrupt the running cell, the kernel shuts down cleanly
                    self.interrupted = True
                    asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
                else:  # second one: shut the kernel down at once, as nbclient does
                    self._async_cleanup_kernel_future = asyncio.ensure_future(self._async_cleanup_kernel())
                    atexit.unregister(self._cleanup_kernel)

            try:  # replaces the handlers nbclient has just installed; restored by nbclient afterwards
                for sig in (signal.SIGINT, signal.SIGTERM):
                    asyncio.get_event_loop().add_signal_handler(sig, on_signal)
            except (RuntimeError, NotImplementedError):  # not the main thread, or Windows
                pass

    return InterruptibleClient


def _now():
    return datetime.datetime.now().isoformat(timespec="seconds")


def _last_line(text):
    lines = [ln.strip() for ln in ANSI.sub("", text).splitlines() if ln.strip()]
    return lines[-1] if lines else "error"


def _drop_lines(path, needle):
    """Remove the kernel's warning about unencrypted TCP (local kernel, nothing to act on) from a log."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    kept = [ln for ln in text.splitlines(keepends=True) if needle not in ln]
    atomic_write_text(path, "".join(kept))


def run(paths, out, mode="full", force=False, timeout=1800, site=True, results="benchmarks/results",
        backend=None):
    """Execute the lessons in ``paths`` into ``out`` on ``backend`` (default: the current one); return
    (records, exit status)."""
    try:
        backend = backends.check(backend, "backend") if backend else backends.current()
    except ValueError as exc:
        raise CourseError(str(exc)) from None
    if mode not in ("full", "fast"):
        raise CourseError(f"mode: expected 'full' or 'fast', got {mode!r}.")
    if not isinstance(timeout, int) or timeout <= 0:
        raise CourseError(f"timeout: expected a positive number of seconds per cell, got {timeout!r}.")
    notebooks = find_notebooks(paths)
    out = Path(out)
    (out / "executed").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    durations = load_durations(out, mode)
    todo = [p.stem for p in notebooks
            if force or not is_fresh(p, out / "executed" / f"{p.stem}.ipynb", mode, backend=backend)]
    total = len(notebooks)
    print(f"unsuplab course: {total} lesson{'s' if total != 1 else ''} in {mode} mode on "
          f"{backends.NAMES[backend]}, {len(todo)} to run "
          f"(about {format_seconds(estimate(todo, durations))}), output in {out}/", flush=True)
    records = []
    try:
        with _kernel_environment(mode, backend):
            _run_lessons(notebooks, out, mode, todo, durations, timeout, records)
    except KeyboardInterrupt:
        print("\ninterrupted: finished lessons are kept; run the same command again to resume.", flush=True)
        print(summary(records))
        return records, 130
    if site:
        index = build_site(out, [out / "executed" / f"{p.stem}.ipynb" for p in notebooks], results)
        print(f"site written: {index}")
    print(summary(records))
    return records, 1 if any(r["status"] == "failed" for r in records) else 0


@contextlib.contextmanager
def _kernel_environment(mode, backend="tensorflow"):
    """What the kernels inherit: the mode, the Keras backend, matplotlib's inline backend (figures become PNG
    outputs), still pictures for the sliders, and TensorFlow's C++ log level (its start-up notices on stderr would
    show in the pages)."""
    wanted = {"UNSUPLAB_FAST": "1" if mode == "fast" else "0", "KERAS_BACKEND": backend,
              "MPLBACKEND": "module://matplotlib_inline.backend_inline",
              "UNSUPLAB_STATIC": "1",  # sliders drawn as still pictures: a page keeps no widget (interactive.py)
              "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}  # no C++ start-up chatter
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_lessons(notebooks, out, mode, todo, durations, timeout, records):
    """Execute the lessons named in ``todo``, appending one record per lesson (so an interrupt keeps them)."""
    total = len(notebooks)
    for index, source in enumerate(notebooks, 1):
        name, tag = source.stem, f"[{index}/{total}] {source.stem}"
        executed, log_path = out / "executed" / f"{name}.ipynb", out / "logs" / f"{name}.log"
        if name not in todo:
            print(f"{tag} ... skipped (up to date; --force to run it again)", flush=True)
            records.append({"lesson": name, "status": "skipped", "seconds": None, "log": None})
            continue
        try:
            reason = backends.skip_reason(source, os.environ["KERAS_BACKEND"])
        except Exception:  # an unreadable notebook: execute() reports it as this lesson's failure
            reason = None
        if reason:
            print(f"{tag} ... skipped, {reason}", flush=True)
            records.append({"lesson": name, "status": "skipped", "seconds": None, "log": None, "reason": reason})
            continue
        left = estimate(todo[todo.index(name):], durations)
        print(f"{tag} ... started (about {format_seconds(estimate([name], durations))}; "
              f"about {format_seconds(left)} left)", flush=True)
        status, seconds, message = execute(source, executed, log_path, mode, timeout)
        print(f"{tag} ... {seconds:.0f} s, {status}" + (f": {message}" if message else ""), flush=True)
        if status == "ok":
            save_duration(out, mode, name, seconds)
            durations[name] = seconds
        records.append({"lesson": name, "status": status, "seconds": seconds,
                        "log": str(log_path) if status != "ok" else None})
    return records


def summary(records):
    """The table printed at the end: lesson, seconds, ok/failed/skipped, and where a failure's log is."""
    width = max([len(r["lesson"]) for r in records] + [6])
    lines = [f"{'lesson':<{width}}  {'seconds':>7}  status"]
    for r in records:
        seconds = "" if r["seconds"] is None else f"{r['seconds']:.0f}"
        where = f"  (log: {r['log']})" if r["log"] else (f"  ({r['reason']})" if r.get("reason") else "")
        lines.append(f"{r['lesson']:<{width}}  {seconds:>7}  {r['status']}{where}")
    counts = {s: sum(r["status"] == s for r in records) for s in ("ok", "failed", "skipped")}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + ".")
    failed = [r for r in records if r["status"] == "failed"]
    if failed:
        lines.append("FAILED: " + ", ".join(f"{r['lesson']} (see {r['log']})" for r in failed))
    return "\n".join(lines)


# --------------------------------------------------------------------------- the site


def _markdown(text):
    import mistune

    return mistune.html(text)


def _images(nb):
    """Data URIs of the notebook's PNG outputs, in order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                found.append((cell, "data:image/png;base64," + "".join(data["image/png"]).replace("\n", "")))
    return found


def lesson_card(nb, name, page):
    """What the index shows of one lesson: title, one line, a headline picture, status and time."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    heading = next((ln.lstrip("#").strip() for ln in first.splitlines() if ln.startswith("#")), name)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", first) if p.strip() and not p.lstrip().startswith(("#", ">"))]
    line = next((p for p in paragraphs if p.startswith("**This lesson:**")), None)
    if line is None:  # no summary line: the first sentence of the introduction
        line = re.split(r"(?<=[.!?])\s", paragraphs[0], maxsplit=1)[0] if paragraphs else ""
    line = line.replace("**This lesson:**", "").strip()
    line = line[:1].upper() + line[1:]  # "This lesson: a, b and c" reads as a sentence on its own
    images = _images(nb)
    tagged = [uri for cell, uri in images if "headline" in cell.get("metadata", {}).get("tags", [])]
    picture = (tagged or [uri for _, uri in images[-1:]] or [None])[0]
    meta = nb.metadata.get(META_KEY, {})
    return {"name": name, "page": page, "title": heading, "line": _markdown(line) if line else "",
            "picture": picture, "status": meta.get("status", "?"), "mode": meta.get("mode", "?"),
            "backend": backends.NAMES.get(meta.get("backend", "tensorflow"), "?"),
            "seconds": meta.get("seconds"), "error": meta.get("error", "")}


def results_tables(results):
    """(anchor, title, html) for each ``*.md`` table in ``results``."""
    tables = []
    for path in sorted(Path(results).glob("*.md")) if results and Path(results).is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"warning: leaving out the results table {path}: not readable as UTF-8 text ({exc}).",
                  file=sys.stderr)
            continue
        title = next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")), path.stem)
        tables.append({"anchor": path.stem, "file": path.name, "title": title, "html": _markdown(text)})
    return tables


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(PAGES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configuration nbconvert's pages ask the CDN for


def copy_mathjax(site):
    """Copy MathJax 2.7 from the ``jupyter-server-mathjax`` wheel into ``site/mathjax/``, so that the pages'
    equations render offline; return the pages' relative script URL, or None (nbconvert's CDN) without the wheel."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").exists():
        return None
    shutil.copytree(static, site / "mathjax", ignore=shutil.ignore_patterns("localization"), dirs_exist_ok=True)
    return f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"


def build_site(out, executed, results="benchmarks/results"):
    """Write ``out/site/``: one page per executed lesson, ``index.html`` and ``results.html``. Return the index path."""
    from nbconvert import HTMLExporter

    site = Path(out) / "site"
    site.mkdir(parents=True, exist_ok=True)
    executed = [Path(p) for p in executed if Path(p).exists()]
    notebooks = [_read_executed(p) for p in executed]
    pages = [page_name(p.stem) for p in executed]
    tables = results_tables(results)
    exporter = HTMLExporter(template_name="unsuplab", extra_template_basedirs=[str(TEMPLATES)])
    mathjax = copy_mathjax(site)
    if mathjax:
        exporter.mathjax_url = mathjax
    cards = [lesson_card(nb, path.stem, urllib.parse.quote(page)) for path, nb, page in zip(executed, notebooks, pages)]
    for i, (nb, card, page) in enumerate(zip(notebooks, cards, pages)):
        before, after = cards[i - 1] if i else None, cards[i + 1] if i + 1 < len(cards) else None
        nav = {"index": "index.html", "results": "results.html" if tables else None, "prev": before,
               "next": after, "status": card["status"], "mode": card["mode"], "backend": card["backend"],
               "error": card["error"]}
        body, _ = exporter.from_notebook_node(nb, resources={"unsuplab": nav,
                                                              "metadata": {"name": card["title"]}})
        atomic_write_text(site / page, body)
    env = _jinja()
    generated = _now()
    if tables:
        atomic_write_text(site / "results.html", env.get_template("results.html.j2").render(
            tables=tables, generated=generated, mathjax=mathjax))
    index = site / "index.html"
    atomic_write_text(index, env.get_template("index.html.j2").render(
        cards=cards, tables=tables, generated=generated, mathjax=mathjax,
        modes=sorted({c["mode"] for c in cards}), backends=sorted({c["backend"] for c in cards})))
    return index


SITE_PAGES = {"index", "results"}  # the site's own pages: a lesson of that name gets another page name


def page_name(stem):
    """The file name of a lesson's page: ``NAME.html``, or ``NAME-lesson.html`` for a lesson named like one of the
    site's own pages (``index``, ``results``, any case), which it would otherwise overwrite."""
    return f"{stem}-lesson.html" if stem.lower() in SITE_PAGES else f"{stem}.html"


def _read_executed(path):
    """An executed notebook; an unreadable one (truncated, not JSON) becomes a failed stub naming the file."""
    try:
        return nbformat.read(str(path), as_version=NB_VERSION)
    except Exception as exc:
        message = (f"the executed notebook {path} is unreadable ({type(exc).__name__}: "
                   f"{_last_line(str(exc) or repr(exc))}); run the lesson again")
        print(f"warning: {message}.", file=sys.stderr)
        nb = stub_notebook(path.stem, message)
        nb.metadata[META_KEY] = {"status": "failed", "error": message}
        return nb


# --------------------------------------------------------------------------- command line


def default_out(mode):
    return Path("build") / "course" / mode


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m unsuplab.course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="execute the lessons (resumable), then write the site")
    p.add_argument("paths", nargs="*", default=["lessons"], help="notebooks or folders (default: lessons)")
    p.add_argument("--fast", action="store_true", help="fast mode (UNSUPLAB_FAST=1): the smoke run")
    p.add_argument("--force", action="store_true", help="run every lesson again, even those up to date")
    p.add_argument("--out", default=None, help="output folder (default: build/course/full or build/course/fast)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    p.add_argument("--results", default="benchmarks/results", help="folder of results tables (*.md)")
    p.add_argument("--no-site", action="store_true", help="execute only")
    p.add_argument("--backend", default=None, choices=sorted(backends.NAMES),
                   help="the Keras backend (default: KERAS_BACKEND, else Keras' own choice)")
    p = sub.add_parser("site", help="write the site from the lessons executed so far")
    p.add_argument("--fast", action="store_true", help="the fast-mode run's output folder")
    p.add_argument("--out", default=None)
    p.add_argument("--results", default="benchmarks/results")
    args = parser.parse_args(argv)
    mode = "fast" if args.fast else "full"
    out = Path(args.out) if args.out else default_out(mode)
    try:
        if args.command == "site":
            executed = sorted((out / "executed").glob("*.ipynb"))
            if not executed:
                raise CourseError(f"--out: no executed lessons in {out}/executed/; run the 'run' command first.")
            print(f"site written: {build_site(out, executed, args.results)}")
            return 0
        _, status = run(args.paths, out, mode, args.force, args.timeout, not args.no_site, args.results,
                        args.backend)
        return status
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
