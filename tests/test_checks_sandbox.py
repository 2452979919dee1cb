"""The grading sandbox's kernel spec (unsuplab/checks/sandbox.py): written whole, pointing at the sandbox."""

import json

from unsuplab.checks import sandbox


def test_install_kernel_writes_a_kernel_spec_that_starts_the_sandbox(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    folder = sandbox.install_kernel(tmp_path / "jupyter", course)
    spec = json.loads((folder / "kernels" / sandbox.KERNEL_NAME / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][1].endswith("sandbox.py") and spec["argv"][2:] == ["kernel", "-f", "{connection_file}"]
    assert spec["env"][sandbox.COURSE_ENV] == str(course.resolve())
    assert not list((folder / "kernels" / sandbox.KERNEL_NAME).glob(".*.tmp"))  # no temporary file left behind
    sandbox.install_kernel(tmp_path / "jupyter", course)  # a second install replaces it
    assert json.loads((folder / "kernels" / sandbox.KERNEL_NAME / "kernel.json").read_text())["argv"] == spec["argv"]


def test_bwrap_argv_binds_the_course_and_the_connection_file_read_only(tmp_path):
    argv = sandbox.bwrap_argv(tmp_path, tmp_path / "c.json", tmp_path / "course")
    for path in ("/", str((tmp_path / "course").resolve()), str((tmp_path / "c.json").resolve())):
        i = argv.index(path)
        assert argv[i - 1:i + 2] == ["--ro-bind", path, path]
    assert argv[argv.index("--bind") + 1] == str(tmp_path.resolve())
