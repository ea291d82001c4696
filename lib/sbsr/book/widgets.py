"""Widget knobs that work in the static book, under papermill, and live in Jupyter.

``live(make, knob=widget, ...)`` shows the knobs and the object ``make(**values)`` returns (a plotly
figure, a DataFrame, HTML, ... or a tuple of them). The first result is displayed with a display id, so the
executed notebook (and the static book) holds the initial state as an ordinary output; when a knob
changes in a live kernel, the same display is updated in place.

**Static twin.** ``live(make, static=..., knob=...)`` also precomputes ``make`` for every combination of the
knobs' values when the notebook runs and emits an HTML block with plain HTML controls (a ``<select>`` per
dropdown or toggle, a range slider per slider) over those pre-rendered states, so that the knob also works in
the static book (no kernel). ``static=True`` takes each knob's own finite options (Dropdown, ToggleButtons,
SelectionSlider, RadioButtons, an IntSlider's range); ``static={"size": [0.5, 0.6]}`` lists the values of a
continuous knob (the others still come from their options). In the book the twin hides the (dead) widgets of
its cell; in a live notebook it hides itself and the widgets redraw as before.

Why not ``ipywidgets.interactive_output``: its callbacks write into an ``Output`` widget, and a headless
papermill/nbclient run can block on such a cell until the cell timeout (nbclient issue 312, seen in this
project's runs). Display handles need no widget output capture.
"""

from __future__ import annotations

import html as _html
import itertools
import json
import uuid
from typing import Any, Callable

MAX_STATES = 64  # precomputed states per twin (every state is stored in the page)
AUTO_STATES = 12  # static=None: a twin when every knob is discrete and there are at most this many states


def _displayable(obj):
    """Plotly figures become their mime bundle (their ``_ipython_display_`` would drop the display id)."""
    if hasattr(obj, "to_plotly_json"):
        from .plotting import figure_bundle

        return (figure_bundle(obj),), {"raw": True}
    return (obj,), {}


def knob_values(widget) -> list:
    """The finite list of values a widget can take (its options, or an IntSlider's range); ``ValueError``
    for a continuous one (give its values in ``static={name: [...]}``)."""
    options = getattr(widget, "options", None)
    if options is not None:
        return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in options]
    if type(widget).__name__ in ("IntSlider", "BoundedIntText") and hasattr(widget, "step"):
        return list(range(widget.min, widget.max + 1, widget.step or 1))
    raise ValueError(f"{type(widget).__name__} {getattr(widget, 'description', '')!r} has no finite list of values; "
                     "pass them as static={name: [values]}")


def _html_of(obj) -> dict:
    """One output of ``make`` as a twin slot: a plotly figure (JSON) or HTML."""
    if hasattr(obj, "to_plotly_json"):
        return {"plotly": json.loads(obj.to_json())}
    if hasattr(obj, "_repr_html_"):
        return {"html": obj._repr_html_()}
    if hasattr(obj, "_repr_markdown_"):
        return {"html": "<pre>" + _html.escape(obj._repr_markdown_()) + "</pre>"}
    return {"html": "<pre>" + _html.escape(str(obj)) + "</pre>"}


TWIN_JS = """(function () {
  var root = document.getElementById(%(id)s);
  if (!root) return;
  var inBook = typeof DOCUMENTATION_OPTIONS !== "undefined";  // a Sphinx page (a const: not on window)
  if (!inBook) { root.style.display = "none"; return; }  // a live notebook: the widgets work
  // hide the cell's dead widgets and initial outputs, including widget views the manager inserts later
  var cell = root.closest(".cell_output");
  if (cell) {
    var mine = root.closest(".output") || root, sheet = document.getElementById("sbsr-twin-style");
    while (mine.parentElement && mine.parentElement !== cell) mine = mine.parentElement;
    mine.classList.add("sbsr-twin-keep");
    cell.classList.add("sbsr-twin-cell");
    if (!sheet) {
      sheet = document.createElement("style"); sheet.id = "sbsr-twin-style";
      sheet.textContent = ".sbsr-twin-cell > :not(.sbsr-twin-keep) { display: none !important; }";
      document.head.appendChild(sheet);
    }
  }
  var spec = JSON.parse(root.querySelector("script.sbsr-twin-states").textContent);
  var controls = root.querySelectorAll("[data-knob]"), slots = root.querySelectorAll(".sbsr-twin-slot");
  function index() {
    var i = 0;
    Array.prototype.forEach.call(controls, function (c, n) { i = i * spec.sizes[n] + parseInt(c.value, 10); });
    return i;
  }
  function show() {
    var state = spec.states[index()];
    Array.prototype.forEach.call(controls, function (c, n) {
      var label = root.querySelector("[data-readout='" + n + "']");
      if (label) label.textContent = spec.labels[n][parseInt(c.value, 10)];
    });
    Array.prototype.forEach.call(slots, function (slot, j) {
      var out = state[j];
      if (out.plotly && window.Plotly) {
        slot.classList.add("sbsr-plotly");
        window.Plotly.react(slot, out.plotly.data, out.plotly.layout, {responsive: true});
      } else { slot.innerHTML = out.html || ""; }
    });
    root.setAttribute("data-state", index());
  }
  Array.prototype.forEach.call(controls, function (c) { c.addEventListener("input", show); c.addEventListener("change", show); });
  show();
})();"""


def static_twin(make: Callable[..., Any], knobs: dict, values: dict[str, list] | None = None) -> str:
    """HTML (with its script) of the static twin: ``make`` evaluated for every combination of knob values.

    ``values`` maps a knob name to its list of values (default: :func:`knob_values`). At most
    :data:`MAX_STATES` combinations. The widgets' current values select the initial state.
    """
    values = dict(values or {})
    names = list(knobs)
    lists = [list(values[n]) if n in values else knob_values(knobs[n]) for n in names]
    for n, vals in zip(names, lists):
        if not vals:
            raise ValueError(f"knob {n!r}: no values to precompute")
    n_states = 1
    for vals in lists:
        n_states *= len(vals)
    if n_states > MAX_STATES:
        raise ValueError(f"{n_states} states to precompute, over {MAX_STATES}: give fewer values in static=")
    states = []
    for combo in itertools.product(*lists):
        out = make(**dict(zip(names, combo)))
        states.append([_html_of(o) for o in (out if isinstance(out, tuple) else (out,))])
    twin_id = "sbsr-twin-" + uuid.uuid4().hex[:12]
    labels = [[_label(v) for v in vals] for vals in lists]
    controls = []
    for i, (n, vals) in enumerate(zip(names, lists)):
        desc = _html.escape(getattr(knobs[n], "description", "") or n)
        start = _initial_index(vals, getattr(knobs[n], "value", vals[0]))
        if getattr(knobs[n], "options", None) is not None and "Slider" not in type(knobs[n]).__name__:
            opts = "".join(f'<option value="{j}"{" selected" if j == start else ""}>{_html.escape(lab)}</option>'
                           for j, lab in enumerate(labels[i]))
            controls.append(f'<label>{desc} <select data-knob="{i}">{opts}</select></label>')
        else:
            controls.append(f'<label>{desc} <input type="range" data-knob="{i}" min="0" max="{len(vals) - 1}" step="1" '
                            f'value="{start}" style="vertical-align: middle; width: 320px"> '
                            f'<span data-readout="{i}">{_html.escape(labels[i][start])}</span></label>')
    n_slots = max(len(s) for s in states)
    spec = {"sizes": [len(v) for v in lists], "labels": labels, "states": states}
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="sbsr-twin" id="{twin_id}" data-states="{n_states}">'
            f'<div class="sbsr-twin-controls" style="margin: .3em 0">{" ".join(controls)} '
            '<span style="font-size: .8em; color: #666">(precomputed when the book was built: '
            f'{n_states} states; no kernel needed)</span></div>'
            + "".join('<div class="sbsr-twin-slot"></div>' for _ in range(n_slots))
            + f'<script type="application/json" class="sbsr-twin-states">{payload}</script>'
            f"<script>{TWIN_JS % {'id': json.dumps(twin_id)}}</script></div>")


def _label(v) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def _initial_index(vals: list, value) -> int:
    for j, v in enumerate(vals):
        if v == value:
            return j
    if all(isinstance(v, (int, float)) for v in vals) and isinstance(value, (int, float)):
        return min(range(len(vals)), key=lambda j: abs(vals[j] - value))
    return 0


def live(make: Callable[..., Any], static: bool | dict | None = None, **knobs) -> None:
    """Display ``knobs`` (ipywidgets with a ``value``) and ``make(**values)``; redraw on every change.

    ``static``: ``True`` or ``{knob: [values]}`` adds the static twin (see the module docstring); ``None``
    (default) adds it when every knob is discrete and there are at most :data:`AUTO_STATES` states; ``False``
    never.
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
    twin = None
    if static:
        twin = static_twin(make, knobs, static if isinstance(static, dict) else None)
    elif static is None and _n_states(knobs) <= AUTO_STATES:
        try:
            twin = static_twin(make, knobs)
        except Exception:  # noqa: BLE001 - an automatic twin is optional; the live widgets are unaffected
            twin = None
    if twin is not None:
        from IPython.display import HTML

        display(HTML(twin))


def _n_states(knobs: dict) -> float:
    """Number of combinations of the knobs' values (infinite when one is continuous)."""
    n = 1
    for w in knobs.values():
        try:
            n *= len(knob_values(w))
        except ValueError:
            return float("inf")
    return n
