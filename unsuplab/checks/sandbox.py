"""Autograde with the student's code sandboxed: the course folder read-only except the submission being graded.

nbgrader itself (its gradebook.db, the feedback) runs as the instructor; only the notebook's *kernel*, where the
student's code runs, is wrapped in bubblewrap (Debian's ``bubblewrap``: unprivileged namespaces). Inside it the
whole file system is a read-only view, ``/tmp`` is a private empty tmpfs, and only the folder nbgrader executes
the notebook in (``autograded/<student>/<assignment>/``, a copy of the submission) is writable. A write into
the course root, the gradebook or another student's folder fails with "Read-only file system".
This is nbgrader's own extension point (a kernel spec chosen with ``ExecutePreprocessor.kernel_name``), the
approach of jupyter/nbgrader#483 without Docker.

    python -m unsuplab.checks.sandbox grade l04 [nbgrader options]   # in the course folder (make grade does it)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "unsuplab-sandbox"
FONTS_ENV, COURSE_ENV = "UNSUPLAB_SANDBOX_FONTS", "UNSUPLAB_SANDBOX_COURSE"


def _ro_bind(path):
    """bubblewrap's arguments that show ``path`` read-only at the same place inside the sandbox."""
    return ["--ro-bind", str(path), str(path)]


def bwrap_argv(workdir, connection_file, course=None):
    """bubblewrap's command line: read-only root, private /tmp, the ``course`` folder read-only (also when it lies
    under /tmp), writable ``workdir`` (the kernel's folder, inside the course)."""
    workdir, connection_file = str(Path(workdir).resolve()), str(Path(connection_file).resolve())
    course = _ro_bind(Path(course).resolve()) if course else []
    return ["bwrap", *_ro_bind("/"), "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", *_python_under_tmp(),
            *course,
            *_ro_bind(connection_file), "--bind", workdir, workdir, "--chdir", workdir,
            "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib", "--setenv", "KERAS_HOME", "/tmp/keras",
            "--die-with-parent", "--new-session"]


def _python_under_tmp():
    """Read-only binds for the Python environment and this package when they lie under /tmp (a clone or a venv
    there): the private /tmp would hide them and the kernel would die before it starts."""
    needed = sorted({Path(sys.prefix).resolve(), Path(__file__).resolve().parents[2]})
    return [arg for path in needed if str(path).startswith("/tmp/") for arg in _ro_bind(path)]


def kernel(argv):
    """Start ipykernel inside the sandbox (the kernel spec's command); ``argv`` is ``-f CONNECTION_FILE``."""
    connection_file = argv[argv.index("-f") + 1]
    fonts = []  # matplotlib's font list, read-only: without it every kernel rebuilds it (seconds)
    for font_list in sorted(Path(os.environ.get(FONTS_ENV, "/nonexistent")).glob("fontlist-*.json")):
        fonts += ["--ro-bind", str(font_list), f"/tmp/matplotlib/{font_list.name}"]
    command = bwrap_argv(os.getcwd(), connection_file, os.environ.get(COURSE_ENV)) + fonts + [
        sys.executable, "-m", "ipykernel_launcher", *argv]
    os.execvp(command[0], command)


def install_kernel(folder, course="."):
    """Write the sandboxed kernel spec for grading in ``course`` under ``folder/kernels/``; returns ``folder``
    (add it to JUPYTER_PATH)."""
    spec = Path(folder) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    fonts = Path(folder) / "matplotlib"
    fonts.mkdir(exist_ok=True)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "matplotlib"
    for font_list in cache.glob("fontlist-*.json"):
        shutil.copy(font_list, fonts / font_list.name)
    from unsuplab.fileio import atomic_write_text  # here: the kernel (this file run as a script) never needs it

    atomic_write_text(spec / "kernel.json", json.dumps({
        # this file run as a script: importing the checks package here would start its isolation helper
        "argv": [sys.executable, str(Path(__file__).resolve()), "kernel", "-f", "{connection_file}"],
        "env": {FONTS_ENV: str(fonts), COURSE_ENV: str(Path(course).resolve())},
        "interrupt_mode": "message",  # the kernel is in its own session: a signal to the launcher would not reach it
        "display_name": "Python 3 (unsuplab grading sandbox)", "language": "python"}, indent=1))
    return Path(folder)


def available():
    """None when bubblewrap runs here, else why not (one line)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap)"
    done = subprocess.run(["bwrap", *_ro_bind("/"), "--dev", "/dev", "--proc", "/proc", "true"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return f"bubblewrap cannot create a sandbox here: {done.stderr.strip()[:300]}"
    return None


def grade_env(folder, environ=None):
    """The environment for ``nbgrader autograde``: the sandbox kernel on JUPYTER_PATH, TensorFlow quiet."""
    env = dict(os.environ if environ is None else environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), env.get("JUPYTER_PATH", "")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs alembic
    return env


def grade(assignment, extra=(), course="."):
    """``nbgrader autograde ASSIGNMENT`` with every kernel in the sandbox; nbgrader's exit status."""
    problem = available()
    if problem:
        print(f"error: cannot sandbox the students' code: {problem}. Nothing was graded.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="unsuplab-kernel-") as folder:
        install_kernel(folder, course)
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment,
                   f"--ExecutePreprocessor.kernel_name={KERNEL_NAME}", *extra]
        return subprocess.run(command, cwd=course, env=grade_env(folder)).returncode


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["kernel"]:
        return kernel(argv[1:])
    if argv[:1] == ["grade"] and len(argv) >= 2:
        return grade(argv[1], argv[2:])
    print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
