import json

import nbformat
import pytest

from unsuplab import backends


def _notebook(first):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(first), nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_first_cell_names_the_backends_a_lesson_cannot_run_on(tmp_path):
    nb = _notebook("# Lesson\n\nIntro.\n\n> **Not on PyTorch:** torch has no such op.\n**Not on JAX:** too slow.\n")
    assert backends.not_on(nb) == {"torch": "torch has no such op.", "jax": "too slow."}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert backends.skip_reason(path, "torch") == "not on PyTorch: torch has no such op."
    assert backends.skip_reason(path, "tensorflow") is None
    assert backends.not_on(_notebook("# Lesson\n\nRuns on not on PyTorch anywhere.")) == {}
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert backends.skip_reason(tmp_path / "broken.ipynb", "jax") is None  # running it names the error


def test_current_backend_from_the_environment_then_keras_json(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backends.current() == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert backends.current() == "tensorflow"
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch"}))
    assert backends.current() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    with pytest.raises(ValueError, match="KERAS_BACKEND: expected one of tensorflow, jax, torch"):
        backends.current()


def test_the_notebook_run_skips_a_lesson_on_its_backend_with_the_reason(pytester, monkeypatch):
    pytester.makeconftest(open(__file__.replace("test_backends.py", "conftest.py")).read())
    nbformat.write(_notebook("# L\n\n**Not on JAX:** no reason at all."), str(pytester.path / "lesson.ipynb"))
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    result = pytester.runpytest("--nbval-lax", "-rs", "-p", "no:cacheprovider", "lesson.ipynb")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*lesson.ipynb not on JAX: no reason at all.*"])


@pytest.mark.tensorflow_only  # runs a kernel; the backend of this process does not matter
def test_the_course_runs_on_the_backend_asked_records_it_and_skips_with_the_reason(tmp_path, monkeypatch, capsys):
    from unsuplab import course

    monkeypatch.setattr(course, "library_mtime", lambda lesson=None: 0.0)
    src = tmp_path / "src"
    src.mkdir()
    nb = _notebook("# 91 · Which backend\n\nPrints the backend.")
    nb.cells[1] = nbformat.v4.new_code_cell("import os\nprint(os.environ['KERAS_BACKEND'])")
    nbformat.write(nb, str(src / "91_which.ipynb"))
    nbformat.write(_notebook("# 92 · Not here\n\n**Not on JAX:** it needs a TensorFlow-only op."),
                   str(src / "92_not_on_jax.ipynb"))
    out = tmp_path / "out"
    records, status = course.run([src], out, mode="fast", backend="jax")
    assert status == 0 and [r["status"] for r in records] == ["ok", "skipped"]
    printed = capsys.readouterr().out
    assert "on JAX" in printed and "92_not_on_jax ... skipped, not on JAX: it needs a TensorFlow-only op." in printed
    executed = nbformat.read(str(out / "executed" / "91_which.ipynb"), as_version=4)
    assert executed.metadata["unsuplab_course"]["backend"] == "jax"
    assert executed.cells[1].outputs[0]["text"].strip() == "jax"
    assert course.is_fresh(src / "91_which.ipynb", out / "executed" / "91_which.ipynb", "fast", backend="jax")
    assert not course.is_fresh(src / "91_which.ipynb", out / "executed" / "91_which.ipynb", "fast", backend="torch")
    assert "Keras backend: JAX" in (out / "site" / "index.html").read_text()
    assert "fast mode, JAX" in (out / "site" / "91_which.html").read_text()
    with pytest.raises(course.CourseError, match="backend: expected one of"):
        course.run([src], out, backend="theano")
