"""``make dist`` builds a wheel of the library alone, and README's one-line install of it works as written.

The test runs the Makefile's ``dist`` target on a copy of the sources (the checkout is never written: another
process may be using it), then runs README's ``pip install build/dist/unsuplab-*.whl`` in a clean virtual
environment and uses the installed library from a folder outside the repository.

"Clean" here means: a venv made by ``python -m venv`` (no ``--system-site-packages``), so nothing of the checkout,
of its editable install (the ``__editable__`` finder and ``unsuplab-*.dist-info`` in the course's venv) or of the
base interpreter's own packages is visible in it. There is no network, so the third-party dependencies (Keras, a
backend, NumPy...) come from the course's venv: a folder of links to every entry of its site-packages except
unsuplab's own files and the ``.pth`` files, named in a ``.pth`` file of the new venv. pip sees them as installed,
so it resolves the wheel's declared dependencies against them (no index, no find-links and no pip configuration
file: a missing one fails the install instead of being fetched) and installs unsuplab alone into the new venv.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.tensorflow_only  # builds and installs a wheel: once is enough, the backend does not matter

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("Makefile", "pyproject.toml", "README.md", "requirements.txt")  # the Makefile's setup target names the last

SCRIPT = """
import sys
import keras
import numpy as np
import unsuplab, unsuplab.models
print(unsuplab.__file__)
model = unsuplab.models.build_dense_autoencoder(input_shape=(4, 4, 1), code_size=2, hidden=(3,))
x = np.random.default_rng(0).random((8, 4, 4, 1)).astype("float32")
model.compile("adam", "mse")
model.fit(x, x, epochs=1, verbose=0)
model.save("tiny.keras")
for load in (keras.saving.load_model, unsuplab.models.load_model):   # the second imports every registering module
    again = load("tiny.keras")
    assert type(again) is type(model), type(again)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
print("reloaded", type(again).__name__)
"""


def _run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _install_command():
    """README's command that installs the wheel (the line that names ``make dist``)."""
    text = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    assert "make dist" in text, "README.md does not say how to build the wheel (make dist)"
    commands = re.findall(r"`(pip install build/dist/[^`]*\.whl)`", text)
    assert len(commands) == 1, f"README.md should give one `pip install build/dist/...whl`, found {commands}"
    return commands[0]


def _dependencies_folder(folder):
    """Links to the course venv's third-party packages: all of its site-packages but unsuplab and the .pth files."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if "unsuplab" in name or name.endswith(".pth") or name == "__pycache__":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def test_make_dist_wheel_installs_alone_in_a_clean_venv_and_works(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "unsuplab", src / "unsuplab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    venv = Path(sys.prefix)  # the course's venv: setup counts as done (-o), so make never reinstalls it
    _run(["make", "-C", str(src), "dist", f"VENV={venv}", "-o", f"{venv}/.installed"])
    wheels = sorted((src / "build" / "dist").glob("unsuplab-*.whl"))
    assert len(wheels) == 1, wheels
    assert not (src / "build" / "lib").exists()  # the staging folder is emptied after the build

    # the wheel holds every file of the package (code and the site's templates that course.py reads), nothing else
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
    package = {p.relative_to(src).as_posix() for p in (src / "unsuplab").rglob("*") if p.is_file()}
    assert {n for n in names if n.startswith("unsuplab/")} == package
    assert {n.split("/")[0] for n in names} == {"unsuplab", wheels[0].name.split("-py")[0] + ".dist-info"}
    assert {"unsuplab/site/durations.json", "unsuplab/site/pages/index.html.j2",
            "unsuplab/site/nbconvert/unsuplab/conf.json", "unsuplab/checks/lesson14.py"} <= package

    # a clean venv: its own pip, the dependencies through a .pth file, no checkout and no editable install
    env_dir = tmp_path / "venv"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    environ.update(PATH=f"{env_dir / 'bin'}{os.pathsep}{environ.get('PATH', '')}", VIRTUAL_ENV=str(env_dir),
                   PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
                   PYTHONNOUSERSITE="1", KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"),
                   TF_CPP_MIN_LOG_LEVEL="3")
    _run([sys.executable, "-m", "venv", str(env_dir)], env=environ)
    python = env_dir / "bin" / "python"
    env_site = Path(_run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         env=environ).stdout.strip())
    env_site.joinpath("course_dependencies.pth").write_text(f"{_dependencies_folder(tmp_path / 'dependencies')}\n")
    missing = subprocess.run([str(python), "-I", "-c", "import unsuplab"], capture_output=True, text=True, env=environ,
                             cwd=tmp_path)
    assert missing.returncode != 0 and "No module named 'unsuplab'" in missing.stderr, missing.stderr

    # README's command, as written, run by a shell (which expands the *) where make dist wrote the wheel
    command = _install_command()
    assert glob.glob(str(src / command.split()[-1])) == [str(wheels[0])]
    _run(["bash", "-c", command], cwd=src, env=environ)
    assert (env_dir / "bin" / "unsuplab-lessons").is_file() and (env_dir / "bin" / "unsuplab-course").is_file()

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = _run([str(python), "-I", "-c", SCRIPT], cwd=outside, env=environ)
    imported = Path(done.stdout.splitlines()[0]).resolve()
    assert imported == (env_site / "unsuplab" / "__init__.py").resolve(), done.stdout
    assert ROOT not in imported.parents and src not in imported.parents
    assert done.stdout.splitlines()[-1] == "reloaded Autoencoder", done.stdout
