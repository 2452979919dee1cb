"""The README's Python example runs as written and shows what it says: the autoencoder beats PCA."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def example():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README.md has no ```python example"
    return blocks[0]


def test_example_is_short():
    lines = [line for line in example().splitlines() if line.strip()]
    assert len(lines) <= 12


@pytest.mark.tensorflow_only
def test_example_runs_and_the_autoencoder_beats_pca(tmp_path):
    done = subprocess.run([sys.executable, "-c", example()], capture_output=True, text=True, cwd=tmp_path,
                          timeout=600, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    scores = dict(re.findall(r"^(autoencoder|PCA-32) MSE:\s+([0-9.]+)$", done.stdout, flags=re.M))
    assert set(scores) == {"autoencoder", "PCA-32"}, done.stdout
    assert float(scores["autoencoder"]) < float(scores["PCA-32"])
