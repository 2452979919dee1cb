"""lessontool run: the kernels get the course runner's environment (issue 28: no TensorFlow start-up noise)."""

import nbformat
import pytest

from unsuplab import lessontool

pytestmark = pytest.mark.tensorflow_only  # starts a kernel; the backend does not matter


def test_run_gives_the_kernel_the_course_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setenv("UNSUPLAB_FAST", "1")
    monkeypatch.delenv("UNSUPLAB_STATIC", raising=False)
    keys = ("TF_CPP_MIN_LOG_LEVEL", "UNSUPLAB_FAST", "MPLBACKEND", "UNSUPLAB_STATIC")
    code = f"import os\nprint([os.environ.get(k) for k in {keys}])"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "env.ipynb").write_text(nbformat.writes(nb))
    assert lessontool.run([tmp_path / "nb"], html_dir=tmp_path / "html") == 0
    executed = nbformat.read(tmp_path / "html" / "nb" / "env.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == \
        "['2', '1', 'module://matplotlib_inline.backend_inline', '1']"  # sliders drawn as stills (interactive.py)


@pytest.mark.parametrize("name, value", [("UNSUPLAB_FAST", "maybe"), ("KERAS_BACKEND", "theano")])
def test_run_names_a_bad_mode_or_backend_instead_of_a_traceback(tmp_path, monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    (tmp_path / "one.ipynb").write_text(nbformat.writes(nb))
    assert lessontool.main(["run", str(tmp_path / "one.ipynb")]) == 2
    err = capsys.readouterr().err
    assert name in err and value in err
