"""``datasets.load_transactions``: Weka's supermarket baskets from Debian's ``weka`` package (lesson 19)."""

import numpy as np
import pytest

from unsuplab import datasets

SUPERMARKET = datasets.DEBIAN_WEKA_EXAMPLES / "supermarket.arff"
needs_weka = pytest.mark.skipif(not SUPERMARKET.is_file(), reason="Debian's weka package is missing "
                                "(sudo apt-get install --no-install-recommends weka)")


@pytest.fixture(scope="module")
def baskets():
    return datasets.load_transactions("supermarket")


@needs_weka
def test_supermarket_shape_dtype_and_items(baskets):
    assert baskets.shape == (4627, 216)
    assert set(baskets.dtypes) == {np.dtype(bool)}
    assert {"bread and cake", "milk-cream", "fruit", "vegetables", "pet foods", "department1"} <= set(baskets.columns)
    assert "total" not in baskets.columns   # the bill, not an item
    assert int(baskets.sum(axis=1).min()) >= 1   # every basket holds something
    assert int((baskets.sum(axis=0) == 0).sum()) == 94   # departments never bought are kept as False columns


@needs_weka
def test_supermarket_supports_counted_by_hand(baskets):
    # counted in the file with awk: field 13 ('bread and cake') and field 61 ('milk-cream') are "t"
    assert int(baskets["bread and cake"].sum()) == 3330
    assert int((baskets["bread and cake"] & baskets["milk-cream"]).sum()) == 2337
    assert baskets["bread and cake"].mean() == pytest.approx(3330 / 4627)


@needs_weka
def test_supermarket_feeds_mlxtend_apriori(baskets):
    from mlxtend.frequent_patterns import apriori

    frequent = apriori(baskets, min_support=0.6, use_colnames=True)
    support = dict(zip(frequent["itemsets"], frequent["support"]))
    assert support[frozenset({"bread and cake"})] == pytest.approx(3330 / 4627)
    assert all(len(s) <= 2 for s in support)


def test_missing_package_names_the_apt_command(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "DEBIAN_WEKA_EXAMPLES", tmp_path / "nowhere")
    with pytest.raises(datasets.DatasetUnavailable, match="apt-get install --no-install-recommends weka"):
        datasets.load_transactions("supermarket")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="supermarket"):
        datasets.load_transactions("groceries")
    with pytest.raises(ValueError, match="supermarket"):
        datasets.load_transactions(["supermarket"])


def _write(tmp_path, monkeypatch, text):
    (tmp_path / "supermarket.arff").write_text(text)
    monkeypatch.setattr(datasets, "DEBIAN_WEKA_EXAMPLES", tmp_path)


HEADER = "@relation s\n@attribute 'bread' { t}\n@attribute milk { t}\n@attribute 'total' { low, high}\n@data\n"


def test_small_arff_parses(tmp_path):
    path = tmp_path / "small.arff"
    path.write_text("% a comment\n" + HEADER + "t,?,low\n?,t,high\n\nt,t,low\n")
    frame = datasets.read_arff_baskets(path)
    assert list(frame.columns) == ["bread", "milk"]
    assert frame.to_numpy().tolist() == [[True, False], [False, True], [True, True]]


@pytest.mark.parametrize("text, message", [
    (HEADER + "t,?,low\nt,?\n", "basket 2 has 2 values"),          # truncated row
    (HEADER + "t,x,low\n", "'milk' holds 'x'"),                     # a value that is not t or ?
    ("not an arff file\n", "not an ARFF file of baskets"),
    (HEADER.replace("@attribute milk { t}", "@attribute 'milk"), "not an ARFF attribute"),
    (HEADER + "t,?,low\n", "holds 1 baskets of 2 items"),           # readable, but not the supermarket file
])
def test_corrupt_file_is_a_clear_error(tmp_path, monkeypatch, text, message):
    _write(tmp_path, monkeypatch, text)
    with pytest.raises(datasets.CorruptDataset, match=message):
        datasets.load_transactions("supermarket")


def test_binary_file_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "supermarket.arff").write_bytes(b"\x1f\x8b\x08\x00\xff\xfe\x00")
    monkeypatch.setattr(datasets, "DEBIAN_WEKA_EXAMPLES", tmp_path)
    with pytest.raises(datasets.CorruptDataset, match="could not be read as text"):
        datasets.load_transactions("supermarket")


@needs_weka
def test_truncated_copy_of_the_real_file(tmp_path, monkeypatch):
    text = SUPERMARKET.read_text()
    _write(tmp_path, monkeypatch, text[: len(text) - 300])   # cut inside the last basket
    with pytest.raises(datasets.CorruptDataset, match="truncated or damaged"):
        datasets.load_transactions("supermarket")
