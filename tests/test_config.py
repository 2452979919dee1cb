import pytest

from unsuplab import config


def test_pick_follows_the_switch(monkeypatch):
    monkeypatch.setenv("UNSUPLAB_FAST", "1")
    assert config.is_fast() and config.pick(full=30, fast=1) == 1
    assert "FAST" in config.banner_line()
    monkeypatch.setenv("UNSUPLAB_FAST", "0")
    assert not config.is_fast() and config.pick(full=30, fast=1) == 30
    monkeypatch.delenv("UNSUPLAB_FAST")
    assert config.mode_name() == "FULL" and "FULL" in config.banner_line()


def test_unclear_value_is_an_error(monkeypatch):
    monkeypatch.setenv("UNSUPLAB_FAST", "maybe")
    with pytest.raises(ValueError, match="UNSUPLAB_FAST"):
        config.is_fast()
