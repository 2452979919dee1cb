"""benchmarks/report.py: the one helper every benchmark script uses (machine, command, spreads, atomic write)."""

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if p.name != "report.py")


@pytest.fixture
def report(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as `python benchmarks/NAME.py` finds it: the script's folder
    import report

    return report


def test_spreads_and_means(report):
    assert report.spread([0.5, 0.25, 0.75]) == "0.2500-0.7500"
    assert report.spread([0.5], ".3f", single="-") == "-"
    assert report.spread([0.5], ".3f") == "0.500-0.500"
    assert report.mean_spread([0.5, 0.25, 0.75]) == "0.5000 (0.2500-0.7500)"
    assert report.mean_spread([1, 2, 6], ".1f", sep=" | ") == "3.0 | 1.0-6.0"


def test_command_line(report, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/iic.py", "--seeds", "0"])
    assert report.command() == "iic.py --seeds 0"
    assert report.command(["--tag", "a b"]) == "iic.py --tag a b"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.delenv("UNSUPLAB_FAST", raising=False)
    assert report.command(["--tag", "a b"], "benchmarks/x.py", env=("KERAS_BACKEND", "UNSUPLAB_FAST")) == \
        "KERAS_BACKEND=jax python benchmarks/x.py --tag 'a b'"


def test_machine_and_load_note(report):
    import keras

    line = report.machine()
    assert f"{os.cpu_count()} CPUs" in line and f"Keras {keras.__version__}" in line and "load average" in line
    assert report.load_note().startswith("Load average when written: ")
    assert report.load_note("CPU seconds less so.").endswith("The machine is shared: CPU seconds less so.")


def test_write_is_atomic_and_makes_the_folder(report, tmp_path):
    path = tmp_path / "new" / "r.md"
    assert report.write(path, ["# t", "", "| a |"]) == "# t\n\n| a |\n"
    assert path.read_text() == "# t\n\n| a |\n"
    report.write(path, "text\n")
    assert path.read_text() == "text\n" and [p.name for p in path.parent.iterdir()] == ["r.md"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_share_the_helper_without_sys_path_tricks(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "sys.path.insert" not in calls and "sys.path.append" not in calls
    assert "report" in imported, f"{script.name} does not use benchmarks/report.py"
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert not defined & {"machine", "load_average", "load_note"}, f"{script.name} writes its own"


@pytest.mark.parametrize("name", ["iic.py", "iic_segmentation.py", "word_embeddings.py"])
def test_scripts_run_from_the_repository_root(name):
    done = subprocess.run([sys.executable, f"benchmarks/{name}", "--help"], cwd=BENCHMARKS.parent,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]


def test_word_embeddings_table(report, monkeypatch, tmp_path):
    """The table of benchmarks/word_embeddings.py from made-up runs: one seed shows '-' for the spread."""
    import word_embeddings

    result = {"seed": 0, "seconds": 10.0, "cpu": 20.0, "words_per_s": 1000.0, "wordsim353": 0.5, "simlex999": 0.25,
              "analogy": 0.125, "wordsim353 coverage": 0.9, "simlex999 coverage": 0.8, "analogy coverage": 0.7}
    runs = {"ours, skip-gram": [result, {**result, "seed": 1, "wordsim353": 0.6}], "gensim, skip-gram": [result]}
    args = argparse.Namespace(epochs=1, batch_size=8, gensim_workers=1, out=str(tmp_path / "w.md"))
    monkeypatch.setattr(sys, "argv", ["benchmarks/word_embeddings.py"])
    word_embeddings.write(args, ["--seeds", "0,1"], runs, 100, 1000, 900)
    text = (tmp_path / "w.md").read_text()
    assert "| ours, skip-gram | 2 | 0.550 | 0.500-0.600 | 0.250 | 12.5% | 10 | 20 | 1,000 |" in text
    assert "| gensim, skip-gram | 1 | 0.500 | - | 0.250 |" in text
    assert "Command: `word_embeddings.py --seeds 0,1`" in text and text.rstrip().endswith("CPU seconds much less so.")


def test_errors_near_borders_of_the_segmentation_benchmark(report):
    """Two textures side by side (columns 0-9 and 10-19): the border pixels are column 9 (their right
    neighbour differs), so the 4-pixel strip is columns 6-12 (distance < 4 to column 9); cluster ids are
    matched first."""
    import iic_segmentation

    y = np.zeros((2, 20, 20), "int64")
    y[:, :, 10:] = 1
    maps = 1 - y  # swapped ids: one matching makes them all right
    maps[0, :, 10] = 1  # wrong column next to the border (after matching: texture 0 where 1 is)
    maps[1, :, 19] = 1  # wrong column far from it
    pixels, errors = iic_segmentation.errors_near_borders(maps, y)
    assert pixels == pytest.approx(7 / 20) and errors == pytest.approx(0.5)
    assert iic_segmentation.errors_near_borders(1 - y, y) == (pytest.approx(7 / 20), 0.0)  # no errors: 0, not NaN


def test_clustering_side_resizes_each_image_alone(report):
    """benchmarks/clustering.py --side: every image resized on its own (no blending across the batch), values kept."""
    import clustering

    x = np.zeros((3, 8, 8, 1), "float32")
    x[1] = 1.0
    x[2, :, :4] = 1.0  # left half bright
    out = clustering.resized(x, 28)
    assert out.shape == (3, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], 0.0)
    np.testing.assert_allclose(out[1], 1.0, atol=1e-6)
    assert out[2, :, :12].min() > 0.99 and out[2, :, 16:].max() < 0.01
    with pytest.raises(ValueError, match="`side`"):
        clustering.resized(x, 0)
