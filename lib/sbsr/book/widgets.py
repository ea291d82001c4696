"""Widget knobs that work in the static book, under papermill, and live in Jupyter.

``live(make, knob=widget, ...)`` shows the knobs and the object ``make(**values)`` returns (a plotly
figure, a DataFrame, HTML, ... or a tuple of them). The first result is displayed with a display id, so the
executed notebook (and the static book) holds the initial state as an ordinary output; when a knob
changes in a live kernel, the same display is updated in place.

Why not ``ipywidgets.interactive_output``: its callbacks write into an ``Output`` widget, and a headless
papermill/nbclient run can block on such a cell until the cell timeout (nbclient issue 312, seen in this
project's runs). Display handles need no widget output capture.
"""

from __future__ import annotations

from typing import Any, Callable


def _displayable(obj):
    """Plotly figures become their mime bundle (their ``_ipython_display_`` would drop the display id)."""
    if hasattr(obj, "to_plotly_json"):
        from .plotting import figure_bundle

        return (figure_bundle(obj),), {"raw": True}
    return (obj,), {}


def live(make: Callable[..., Any], **knobs) -> None:
    """Display ``knobs`` (ipywidgets with a ``value``) and ``make(**values)``; redraw on every change.

    Returns nothing (so that a notebook cell ending with ``live(...)`` prints no extra output).
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not knobs:
        raise ValueError("live() needs at least one knob widget")

    def values() -> dict[str, Any]:
        return {name: w.value for name, w in knobs.items()}

    def as_tuple(obj) -> tuple:
        return obj if isinstance(obj, tuple) else (obj,)

    display(widgets.HBox(list(knobs.values()), layout=widgets.Layout(flex_flow="row wrap")))
    handles = []
    for obj in as_tuple(make(**values())):
        args, kw = _displayable(obj)
        handles.append(display(*args, display_id=True, **kw))

    def redraw(_change=None) -> None:
        for handle, obj in zip(handles, as_tuple(make(**values()))):
            args, kw = _displayable(obj)
            handle.update(*args, **kw)

    for w in knobs.values():
        w.observe(redraw, names="value")
