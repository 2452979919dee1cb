"""The course runner (`make lessons`): progress, resuming, failures, and the static site it writes.

One real lesson (00) runs in fast mode next to two tiny notebooks, one of which fails on purpose.
"""

import base64
import contextlib
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from unsuplab import course

pytestmark = pytest.mark.tensorflow_only  # runs lessons in a kernel: once is enough

ROOT = Path(__file__).resolve().parents[2]
LESSON_00 = ROOT / "lessons" / "00_what_is_unsupervised_learning.ipynb"
v4 = nbformat.v4


def notebook(*cells):
    return v4.new_notebook(cells=list(cells), metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def write_tiny_notebooks(folder):
    """A lesson with a figure and one that fails between two good ones (names sort 00 < 89 < 90)."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(
        v4.new_markdown_cell("# 90 · Tiny figure\n\n**This lesson:** a sine wave."),
        v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 0])\nplt.show()")),
        str(folder / "90_tiny_figure.ipynb"))
    nbformat.write(notebook(
        v4.new_markdown_cell("# 89 · Tiny failure"),
        v4.new_code_cell("raise RuntimeError('deliberate failure')")),
        str(folder / "89_tiny_failure.ipynb"))
    return folder


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))


def parse(path):
    parser = _Links()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Run lesson 00 and the tiny notebooks once, in fast mode; return (out, stdout, exit status)."""
    tmp = tmp_path_factory.mktemp("course")
    tiny = write_tiny_notebooks(tmp / "src")
    out = tmp / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        records, status = course.run([LESSON_00, tiny], out, mode="fast", timeout=600)
    return out, printed.getvalue(), status, records


def test_progress_lines_and_summary(built):
    out, printed, status, records = built
    assert status == 1  # one lesson failed
    assert "[1/3] 00_what_is_unsupervised_learning ... started" in printed
    assert re.search(r"\[1/3\] 00_what_is_unsupervised_learning \.\.\. \d+ s, ok", printed)
    assert re.search(r"\[2/3\] 89_tiny_failure \.\.\. \d+ s, failed: RuntimeError: deliberate failure", printed)
    assert re.search(r"\[3/3\] 90_tiny_figure \.\.\. \d+ s, ok", printed)  # the failure did not stop it
    assert "left)" in printed  # the estimate of the time left
    log = out / "logs" / "89_tiny_failure.log"
    assert f"FAILED: 89_tiny_failure (see {log})" in printed
    assert [r["status"] for r in records] == ["ok", "failed", "ok"]
    recorded = json.loads((out / "durations.json").read_text())["fast"]
    assert set(recorded) == {"00_what_is_unsupervised_learning", "90_tiny_figure"}


def test_failure_log_and_marked_page(built):
    out = built[0]
    log = (out / "logs" / "89_tiny_failure.log").read_text()
    assert "RuntimeError: deliberate failure" in log and "failed after" in log
    assert course.TCP_WARNING not in log
    assert "\x1b[" not in log  # no terminal colour codes in the log
    meta = nbformat.read(str(out / "executed" / "89_tiny_failure.ipynb"), 4).metadata[course.META_KEY]
    assert meta["status"] == "failed" and meta["mode"] == "fast"
    page = (out / "site" / "89_tiny_failure.html").read_text()
    assert "This lesson stopped with an error" in page


def test_every_index_link_resolves(built):
    site = built[0] / "site"
    index = parse(site / "index.html")
    pages = [h for h in index.hrefs if h.endswith(".html")]
    assert {"00_what_is_unsupervised_learning.html", "89_tiny_failure.html", "90_tiny_figure.html",
            "results.html"} <= set(pages)
    for page in [site / "index.html"] + sorted(site.glob("*.html")):
        for href in parse(page).hrefs:
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target, _, anchor = href.partition("#")
            target_path = site / target if target else page
            assert target_path.is_file(), f"{page.name}: link {href} does not resolve"
            if anchor:
                assert anchor in parse(target_path).ids, f"{page.name}: anchor {href} does not resolve"


def test_lesson_pages_contain_their_figures(built):
    out = built[0]
    for executed in sorted((out / "executed").glob("*.ipynb")):
        nb = nbformat.read(str(executed), 4)
        figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
        images = [s for s in parse(out / "site" / f"{executed.stem}.html").images if s.startswith("data:image/png")]
        assert len(images) >= figures, f"{executed.stem}: {figures} figures, {len(images)} embedded images"
        for src in images:
            picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
            assert min(picture.size) > 10
    lesson_00 = nbformat.read(str(out / "executed" / "00_what_is_unsupervised_learning.ipynb"), 4)
    assert sum("image/png" in o.get("data", {}) for c in lesson_00.cells for o in c.get("outputs", [])) >= 1


def test_index_shows_each_lesson_with_a_line_and_a_picture(built):
    index = (built[0] / "site" / "index.html").read_text()
    assert "00 · What is unsupervised learning?" in index and "90 · Tiny figure" in index
    assert "A sine wave." in index  # the lesson's one line, as a sentence
    pictures = parse(built[0] / "site" / "index.html").images
    assert sum(src.startswith("data:image/png;base64,") for src in pictures) == 2  # 00 and 90 have figures
    results = (built[0] / "site" / "results.html").read_text()
    assert "<table>" in results and "PCA, 32 components" in results  # benchmarks/results/autoencoders.md


def test_second_run_skips_and_force_redoes(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(course, "library_mtime", lambda lesson=None: 0.0)  # other library edits must not interfere
    src = write_tiny_notebooks(tmp_path / "src")
    os.remove(src / "89_tiny_failure.ipynb")
    out = tmp_path / "out"
    records, status = course.run([src], out, mode="fast", site=False)
    assert status == 0 and records[0]["status"] == "ok"
    executed = out / "executed" / "90_tiny_figure.ipynb"
    first = executed.stat().st_mtime_ns
    records, status = course.run([src], out, mode="fast", site=False)
    assert records[0]["status"] == "skipped" and executed.stat().st_mtime_ns == first
    assert not course.is_fresh(src / "90_tiny_figure.ipynb", executed, "full")  # another mode is not up to date
    earlier = (src / "90_tiny_figure.ipynb").stat().st_mtime - 10
    os.utime(executed, (earlier, earlier))  # as if the source changed after the run
    assert course.run([src], out, mode="fast", site=False)[0][0]["status"] == "ok"
    assert course.run([src], out, mode="fast", site=False)[0][0]["status"] == "skipped"
    assert course.run([src], out, mode="fast", force=True, site=False)[0][0]["status"] == "ok"
    printed = capfd.readouterr()
    assert "skipped (up to date; --force to run it again)" in printed.out
    assert "without encryption" not in printed.out + printed.err


def test_a_lesson_ignores_the_other_lessons_checks(tmp_path, monkeypatch):
    (tmp_path / "checks").mkdir()
    for name, when in [("layers.py", 100), ("checks/__init__.py", 200), ("checks/lesson03.py", 300),
                       ("checks/lesson09.py", 900)]:
        (tmp_path / name).write_text("")
        os.utime(tmp_path / name, (when, when))
    monkeypatch.setattr(course, "HERE", tmp_path)
    assert course.library_mtime("09_inpainting") == 900
    assert course.library_mtime("03_convolutional_autoencoder") == 300  # lesson 09's checks do not count
    assert course.library_mtime("00_what_is_unsupervised_learning") == 200
    assert course.library_mtime() == 900


def test_interrupt_keeps_finished_lessons(tmp_path, monkeypatch, capsys):
    src = write_tiny_notebooks(tmp_path / "src")
    calls = []

    def fake_execute(source, executed, log_path, mode, timeout):
        calls.append(source.stem)
        if len(calls) == 2:
            raise KeyboardInterrupt
        executed.write_text("{}")
        return "ok", 1.0, ""

    monkeypatch.setattr(course, "execute", fake_execute)
    records, status = course.run([src], tmp_path / "out", mode="fast")
    assert status == 130 and [r["lesson"] for r in records] == ["89_tiny_failure"]
    assert "run the same command again to resume" in capsys.readouterr().out


def test_estimates_cover_every_lesson():
    for mode in ("fast", "full"):
        durations = course.load_durations(Path("/nonexistent"), mode)
        assert {p.stem for p in (ROOT / "solutions").glob("*.ipynb")} <= set(durations)
    assert course.estimate(["a", "b", "new"], {"a": 10.0, "b": 30.0}) == 60.0  # unknown: the median
    assert course.format_seconds(45) == "45 s" and course.format_seconds(600) == "10 min"


def test_bad_arguments_name_the_argument(tmp_path):
    with pytest.raises(course.CourseError, match="paths: .*neither a folder nor"):
        course.find_notebooks([tmp_path / "missing.ipynb"])
    with pytest.raises(course.CourseError, match="paths: no notebooks"):
        course.find_notebooks([tmp_path])
    with pytest.raises(course.CourseError, match="mode: expected 'full' or 'fast'"):
        course.run([LESSON_00], tmp_path, mode="medium")
    assert course.main(["site", "--out", str(tmp_path / "empty")]) == 2


def test_site_command_rebuilds_from_executed_lessons(built, tmp_path):
    out = built[0]
    assert course.main(["site", "--fast", "--out", str(out), "--results", str(tmp_path)]) == 0
    index = (out / "site" / "index.html").read_text()
    assert "89 · Tiny failure" in index and "results.html" not in index  # no tables in an empty folder
