"""Issue 26: the course runner and its site under bad input (item 3 and the runner's "weak" items).

One run of four tiny notebooks: a corrupt source, a lesson that times out, one whose title is an HTML payload
(and whose file name breaks out of an attribute), and one named ``index`` that fails with an HTML payload as
its error; both durations files are corrupt. Then ``course site`` on a truncated executed notebook.
"""

import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from unsuplab import course

pytestmark = pytest.mark.tensorflow_only  # runs kernels: once is enough

v4 = nbformat.v4
TAG = "<img src=x onerror=alert(1)>"
ATTRIBUTE = 'a" onmouseover="x'


class _Injected(HTMLParser):
    """Collects what a payload would have injected: event-handler attributes and <img src=x> tags."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found += [f"{tag} {name}" for name, _ in attrs if name in ("onerror", "onmouseover")]
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("img src=x")


def _notebook(*cells):
    return v4.new_notebook(cells=list(cells), metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    lessons, out = root / "lessons", root / "out"
    lessons.mkdir()
    (lessons / "01_corrupt.ipynb").write_text('{"cells": [', encoding="utf-8")
    nbformat.write(_notebook(v4.new_markdown_cell("# 02 slow"), v4.new_code_cell("import time\ntime.sleep(120)")),
                   str(lessons / "02_slow.ipynb"))
    nbformat.write(_notebook(v4.new_markdown_cell(f"# {TAG} title"), v4.new_code_cell("print('fine')")),
                   str(lessons / f"{ATTRIBUTE}.ipynb"))
    nbformat.write(_notebook(v4.new_markdown_cell("# A lesson called index"),
                             v4.new_code_cell(f"raise RuntimeError({TAG!r})")), str(lessons / "index.ipynb"))
    out.mkdir()
    (out / "durations.json").write_text("[1, 2]", encoding="utf-8")          # a JSON list
    shipped = root / "shipped.json"
    shipped.write_text(json.dumps({"fast": [1, 2]}), encoding="utf-8")     # a mode that is not a table
    patch = pytest.MonkeyPatch()
    patch.setattr(course, "DEFAULT_DURATIONS", shipped)
    try:
        records, status = course.run([lessons], out, mode="fast", timeout=5, results=None)
    finally:
        patch.undo()
    return {"records": {r["lesson"]: r for r in records}, "status": status, "out": out, "site": out / "site"}


def test_a_corrupt_source_fails_alone_and_names_its_file(run):
    record = run["records"]["01_corrupt"]
    assert record["status"] == "failed" and run["status"] == 1
    assert run["records"][ATTRIBUTE]["status"] == "ok"   # the others went on
    log = Path(record["log"]).read_text(encoding="utf-8")
    assert "01_corrupt.ipynb is not a readable notebook" in log
    assert (run["site"] / "index.html").exists()
    page = (run["site"] / "01_corrupt.html").read_text(encoding="utf-8")
    assert "01_corrupt.ipynb is not a readable notebook" in page


def test_a_timeout_names_the_seconds_and_the_cell(run):
    page = (run["site"] / "02_slow.html").read_text(encoding="utf-8")
    assert "timed out after 5 s in cell 2" in page
    meta = nbformat.read(str(run["out"] / "executed" / "02_slow.ipynb"), as_version=4).metadata["unsuplab_course"]
    assert meta["error"] == "timed out after 5 s in cell 2"


def test_corrupt_durations_files_are_ignored_and_rewritten(run, capsys):
    recorded = json.loads((run["out"] / "durations.json").read_text(encoding="utf-8"))
    assert set(recorded["fast"]) == {ATTRIBUTE}   # the one lesson that ran without error
    assert course._read_durations(run["out"] / "durations.json")["fast"][ATTRIBUTE] >= 0


def test_corrupt_durations_warn(tmp_path, capsys, monkeypatch):
    for text in ("[1, 2]", '{"fast": [1, 2]}', "{not json", '{"fast": {"a": "x", "b": 3}}'):
        (tmp_path / "durations.json").write_text(text, encoding="utf-8")
        monkeypatch.setattr(course, "DEFAULT_DURATIONS", tmp_path / "none.json")
        durations = course.load_durations(tmp_path, "fast")
        assert durations == ({"b": 3.0} if '"b"' in text else {})
        course.save_duration(tmp_path, "fast", "c", 1.0)
        assert course.load_durations(tmp_path, "fast")["c"] == 1.0
    out = capsys.readouterr().out
    assert "got a list" in out and "not readable JSON" in out and "expected {lesson: seconds}" in out


def test_a_lesson_named_index_does_not_replace_the_index(run):
    index = (run["site"] / "index.html").read_text(encoding="utf-8")
    assert "Unsupervised deep learning with Keras 3" in index and 'href="index-lesson.html"' in index
    assert (run["site"] / "index-lesson.html").exists()
    assert course.page_name("Results") == "Results-lesson.html" and course.page_name("03_x") == "03_x.html"


def test_titles_errors_and_file_names_are_escaped(run):
    index = (run["site"] / "index.html").read_text(encoding="utf-8")
    page = (run["site"] / "index-lesson.html").read_text(encoding="utf-8")  # nav to the payload lesson + error
    for html in (index, page):
        assert _Injected(html).found == [] and TAG not in html
    assert "This lesson stopped with an error (RuntimeError: &lt;img src=x onerror=alert(1)&gt;)" in page
    assert "&lt;img src=x onerror=alert(1)&gt; title" in page          # the previous lesson's title, as text
    assert 'href="a%22%20onmouseover%3D%22x.html"' in page               # its file name, as a URL
    assert (run["site"] / f"{ATTRIBUTE}.html").exists()


def test_site_on_a_truncated_executed_notebook_names_the_lesson(run, capsys):
    executed = run["out"] / "executed" / f"{ATTRIBUTE}.ipynb"
    text = executed.read_text(encoding="utf-8")
    executed.write_text(text[: len(text) // 2], encoding="utf-8")
    assert course.main(["site", "--out", str(run["out"]), "--results", "none"]) == 0
    assert "is unreadable" in capsys.readouterr().err
    page = (run["site"] / f"{ATTRIBUTE}.html").read_text(encoding="utf-8")
    assert "is unreadable" in page and "run the lesson again" in page
    assert _Injected(page).found == [] and TAG not in page


def test_an_unreadable_results_table_is_left_out(tmp_path, capsys):
    (tmp_path / "good.md").write_text("# Good\n\n| a |\n|---|\n| 1 |\n", encoding="utf-8")
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe not utf-8")
    assert [t["file"] for t in course.results_tables(tmp_path)] == ["good.md"]
    assert "leaving out the results table" in capsys.readouterr().err
