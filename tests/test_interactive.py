"""unsuplab.interactive.explore: sliders where widgets run, the stills where they cannot, named errors."""

import pytest

from unsuplab import interactive


def test_stills_are_drawn_in_turn_where_widgets_cannot_run(monkeypatch):
    monkeypatch.setenv(interactive.STATIC_ENV, "1")
    calls = []
    shown = interactive.explore(lambda alpha, rounds: calls.append((alpha, rounds)),
                                {"alpha": (0.2, 10.0, 0.2), "rounds": (0, 5, 1)},
                                [{"alpha": 1.0, "rounds": 1}, {"alpha": 0.2, "rounds": 4}])
    assert shown is None and calls == [(1.0, 1), (0.2, 4)]


def test_sliders_start_at_the_first_still_and_redraw_on_change(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv(interactive.STATIC_ENV, "0")
    calls = []
    widget = interactive.explore(lambda alpha, rounds, k: calls.append((alpha, rounds, k)),
                                 {"alpha": (0.2, 10.0, 0.2), "rounds": (0, 5, 1), "k": [5, 15, 30]},
                                 [{"alpha": 1.0, "rounds": 2, "k": 15}, {"alpha": 3.0, "rounds": 0, "k": 5}])
    slider, steps, dropdown = widget.children[:3]
    assert (type(slider).__name__, type(steps).__name__, type(dropdown).__name__) == \
        ("FloatSlider", "IntSlider", "Dropdown")
    assert calls == [(1.0, 2, 15)]  # drawn once, at the first still
    dropdown.value = 30
    assert calls[-1] == (1.0, 2, 30)


@pytest.mark.parametrize("controls, stills, match", [
    ({}, [{}], "controls"),
    ({"alpha": (0.0, 1.0, 0.1)}, [], "stills"),
    ({"alpha": (0.0, 1.0, 0.1)}, [{"beta": 0.5}], "every control"),
])
def test_bad_arguments_are_named(controls, stills, match, monkeypatch):
    monkeypatch.setenv(interactive.STATIC_ENV, "1")
    with pytest.raises(ValueError, match=match):
        interactive.explore(lambda **k: None, controls, stills)


def test_a_first_still_outside_its_slider_is_named(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv(interactive.STATIC_ENV, "0")
    with pytest.raises(ValueError, match="alpha=7"):
        interactive.explore(lambda alpha: None, {"alpha": (0.0, 1.0, 0.1)}, [{"alpha": 7}])
