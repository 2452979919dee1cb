import gc
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

pytest_plugins = ["pytester"]  # tests/test_backends.py runs the notebook collection on a made-up lesson


@pytest.fixture(autouse=True, scope="module")
def _freeze_what_earlier_files_left():
    """Moves every object alive when a test file starts out of the garbage collector's reach (``gc.freeze``).

    A worker runs many files in one process, and the Keras models, traced functions and arrays they leave make
    each full collection walk over a million objects; on 2 cores one such collection, freeing earlier files' traced
    TensorFlow functions, took 39 s inside a 1 s DEC test. Frozen, a collection walks only the current file's
    objects: the TensorFlow unit tests took 225 s instead of 238-270 s, and a worker peaked at 2.8 GB (what
    earlier files leave is kept, not freed)."""
    gc.freeze()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def offline(monkeypatch):
    """No network: the loaders must answer at once with a clear error."""
    monkeypatch.setenv("UNSUPLAB_OFFLINE", "1")


# Test files that use no Keras backend (data loading, the lesson tool, file writing), marked backend_independent:
# make test-unit runs them in the TensorFlow pass, not again on JAX and PyTorch (the lowest-versions pass runs
# them too). tests/e2e/test_backend_splits.py compares the splits across all three backends.
RUN_ONCE = {"test_datasets.py", "test_datasets_mnist_reader.py", "test_lessontool.py", "test_reliability_lessontool.py",
            "test_texture_mosaics.py", "test_transactions.py", "test_fileio.py", "test_interactive.py"}


# The longest files, longest first (seconds on 2 cores, `--durations=0`): handed out first, in this order. The unit
# tests' 16.9 s (test_models) to 6.3 s (test_iic), then the end-to-end tests' 26.5 s (the course runner) to 4.5 s (the
# browser) in tests/e2e/ (`make test-e2e`).
LONGEST_FILES = ["test_models.py", "test_clustering.py", "test_datasets.py", "test_checks_hidden.py",
                 "test_registration.py", "test_jule.py", "test_dec.py", "test_selfsupervised.py",
                 "test_reliability_data.py", "test_iic_segmentation.py", "test_iic.py",
                 "test_course.py", "test_readme.py", "test_checks_in_a_fresh_python.py", "test_dist.py",
                 "test_backend_splits.py", "test_reliability_course.py", "test_site_browser.py"]


def pytest_collection_modifyitems(config, items):
    """Marks the tests of RUN_ONCE backend_independent. A notebook whose first cell says it cannot run on this backend
    (``**Not on PyTorch:** why``) is skipped, every cell with that reason (``-rs`` prints it): never silently."""
    from unsuplab import backends

    backend, reasons = backends.current(), {}
    for item in items:
        path = Path(str(item.path))
        if path.name in RUN_ONCE:
            item.add_marker(pytest.mark.backend_independent)
        if path.suffix != ".ipynb":
            continue
        if path not in reasons:
            reasons[path] = backends.skip_reason(path, backend)
        if reasons[path]:
            item.add_marker(pytest.mark.skip(reason=f"{path.name} {reasons[path]}"))
    # Longest files first: `-n 2 --dist loadfile` hands whole files to whichever worker is free, so a long file
    # drawn last leaves the other worker idle at the end (a stable sort: the order within a file is kept)
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(Path(str(item.path)).name, len(rank)))
