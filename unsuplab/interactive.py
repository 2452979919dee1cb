"""Figures to explore with sliders: ipywidgets' ``interact`` in Jupyter or Colab, still pictures where no widget
can run (the course site, nbval, a kernel without ipywidgets).

    >>> explore(draw, {"alpha": (0.2, 10.0, 0.2)}, stills=[{"alpha": 1.0}, {"alpha": 0.2}])

A page executed ahead of time keeps only what a cell printed and drew; a widget's output lives in the widget and
needs a live kernel. So the course's runners (and ``make test-notebooks``) set ``UNSUPLAB_STATIC=1``, and
:func:`explore` then draws each setting of ``stills`` in turn: what a reader of the site should see. Where widgets
run, the first setting is where the sliders start.
"""

from . import config

STATIC_ENV = "UNSUPLAB_STATIC"


def widgets_available():
    """True in a kernel where sliders can run: ipywidgets is installed and ``UNSUPLAB_STATIC`` is not set."""
    if config.env_flag(STATIC_ENV):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _control(name, spec, start):
    """An ipywidgets control for ``spec``: ``(low, high, step)`` is a slider (integer when all three are), a list
    or tuple of other length a drop-down; it starts at ``start``."""
    import ipywidgets

    if isinstance(spec, tuple) and len(spec) == 3 and all(isinstance(v, (int, float)) for v in spec):
        low, high, step = spec
        if not low <= start <= high:
            raise ValueError(f"the first still sets {name}={start!r}, outside its slider ({low}, {high}).")
        kind = ipywidgets.IntSlider if all(isinstance(v, int) for v in (*spec, start)) else ipywidgets.FloatSlider
        return kind(value=start, min=low, max=high, step=step, description=name, continuous_update=False)
    options = list(spec)
    if start not in options:
        raise ValueError(f"the first still sets {name}={start!r}, not one of its options {options}.")
    return ipywidgets.Dropdown(options=options, value=start, description=name)


def explore(draw, controls, stills):
    """Show ``draw(**values)`` with one control per entry of ``controls`` (name -> ``(low, high, step)`` for a
    slider, a list for a drop-down), starting at ``stills[0]``; where widgets cannot run, call ``draw`` once for
    each dict of ``stills`` instead. Returns the ``interact`` widget, or None for still pictures."""
    if not callable(draw):
        raise TypeError(f"`draw` must be a function that draws one figure, got {draw!r}.")
    if not isinstance(controls, dict) or not controls:
        raise ValueError("`controls` must be a non-empty dict: name -> (low, high, step) or a list of options.")
    if not stills or not all(isinstance(s, dict) and set(s) == set(controls) for s in stills):
        raise ValueError(f"`stills` must be a non-empty list of dicts, each setting every control: "
                         f"{sorted(controls)}.")
    if not widgets_available():
        for values in stills:
            draw(**values)
        return None
    import ipywidgets

    shown = ipywidgets.interact(draw, **{name: _control(name, spec, stills[0][name])
                                         for name, spec in controls.items()})
    return getattr(shown, "widget", shown)  # interact returns the function, its widget attached
