"""The course site as a person sees it: the index and a lesson page rendered by headless Chromium.

Fails on a blank page or a broken image. Needs Debian's ``chromium`` package (CI installs it); skipped
with the reason when it is absent. The site is built from a hand-made executed notebook (no kernel).
"""

import base64
import io
import json
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from unsuplab import course  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.tensorflow_only,
              pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                 "(Debian: apt-get install chromium)")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
# Appended to a copy of a page: after load, count images that failed to decode and the visible text.
PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.documentElement.setAttribute('data-probe', JSON.stringify(
    {images: images.length, broken: broken, text: document.body.innerText.trim().length}));
});
</script>"""


def chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def probe(page, tmp_path):
    """Load ``page`` in Chromium and return what the probe script saw."""
    copy = page.with_name(f"probe_{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", copy.as_uri())
    copy.unlink()
    found = re.search(r"data-probe=\"([^\"]*)\"", dom)
    assert found, f"{page.name}: the page did not finish loading in Chromium"
    return json.loads(found.group(1).replace("&quot;", '"'))


def screenshot(page, tmp_path, name):
    shot = tmp_path / name
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,900", page.as_uri())
    return np.asarray(Image.open(shot).convert("L"), dtype=float)


def figure_output():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.imshow(np.random.default_rng(0).random((8, 8)), cmap="gray")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    (out / "executed").mkdir()
    for number, title in (("00", "First"), ("01", "Second")):
        cell = nbformat.v4.new_code_cell("show()", outputs=[figure_output()], execution_count=1)
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell(f"# {number} · {title}\n\n**This lesson:** a random picture.\n\n"
                                          "$$\\mathcal{L} = \\lVert x - g(f(x)) \\rVert^2$$"), cell])
        nb.metadata[course.META_KEY] = {"status": "ok", "mode": "fast", "seconds": 1.0}
        nbformat.write(nb, str(out / "executed" / f"{number}_{title.lower()}.ipynb"))
    course.build_site(out, sorted((out / "executed").glob("*.ipynb")))
    return out / "site"


@pytest.mark.parametrize("page", ["index.html", "00_first.html"])
def test_page_renders_with_its_images(site, tmp_path, page):
    seen = probe(site / page, tmp_path)
    assert seen["images"] >= 1 and seen["broken"] == 0, seen
    assert seen["text"] > 50, f"{page} renders (almost) no text: {seen}"
    pixels = screenshot(site / page, tmp_path, "page.png")
    assert pixels.std() > 10, f"{page} renders as a blank page (pixel std {pixels.std():.1f})"


def test_equations_are_typeset_offline(site, tmp_path):
    page = (site / "00_first.html").read_text(encoding="utf-8")
    assert "libs/mathjax" not in page and "mathjax/MathJax.js" in page  # the site's own copy, no CDN
    dom = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", (site / "00_first.html").as_uri())
    assert re.search(r'class="(MathJax|mjx-chtml|MJXc)', dom), "MathJax did not typeset the equation"


def test_probe_catches_a_broken_image(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><p>some text here</p><img src='missing.png'></body></html>")
    assert probe(page, tmp_path)["broken"] == 1
