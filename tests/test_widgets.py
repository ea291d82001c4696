import ipywidgets as widgets
import pytest
from IPython.display import DisplayHandle

from sbsr.book import live


def test_live_draws_initial_state_and_updates_in_place(monkeypatch):
    shown, updates = [], []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: shown.append(a[0]) or DisplayHandle("h"))
    monkeypatch.setattr(DisplayHandle, "update", lambda self, *a, **kw: updates.append(a[0]))
    knob = widgets.IntSlider(value=2, min=0, max=5)
    assert live(lambda n: (f"n={n}", n * n), static=False, n=knob) is None
    assert shown[1:] == ["n=2", 4]
    knob.value = 3
    assert updates == ["n=3", 9]


def test_live_needs_a_knob():
    with pytest.raises(ValueError, match="at least one knob"):
        live(lambda: None)


def test_plotly_figures_are_shown_as_raw_bundles(monkeypatch):
    import plotly.graph_objects as go

    calls = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: calls.append((a, kw)) or DisplayHandle("h"))
    live(lambda k: go.Figure(go.Bar(y=[k])), k=widgets.IntSlider(value=1))  # 101 states: no automatic twin
    assert len(calls) == 2
    (bundle,), kw = calls[1]
    assert kw == {"display_id": True, "raw": True}
    assert "Plotly.newPlot" in bundle["text/html"] and "application/vnd.plotly.v1+json" in bundle


def test_static_twin_precomputes_every_state_in_order(monkeypatch):
    import json
    import re

    from sbsr.book.widgets import static_twin

    calls = []

    def make(a, b):
        calls.append((a, b))
        return f"{a}-{b}"

    html = static_twin(make, {"a": widgets.Dropdown(options=["x", "y"], value="y"),
                              "b": widgets.IntSlider(value=1, min=0, max=2)})
    # 2 options x 3 slider positions = 6 states, the last knob varying fastest (the page's index order)
    assert calls == [("x", 0), ("x", 1), ("x", 2), ("y", 0), ("y", 1), ("y", 2)]
    spec = json.loads(re.search(r'class="sbsr-twin-states">(.*?)</script>', html).group(1))
    assert spec["sizes"] == [2, 3] and [s[0]["html"] for s in spec["states"]][4] == "<pre>y-1</pre>"
    assert '<option value="1" selected>y</option>' in html and 'value="1" style' in html


def test_static_twin_of_a_continuous_knob_needs_its_values():
    from sbsr.book.widgets import static_twin

    knob = widgets.FloatSlider(value=0.5, min=0.0, max=1.0)
    with pytest.raises(ValueError, match="no finite list"):
        static_twin(lambda s: s, {"s": knob})
    html = static_twin(lambda s: s, {"s": knob}, {"s": [0.25, 0.5]})
    assert 'data-states="2"' in html and 'value="1"' in html  # starts at the widget's value 0.5


def test_live_with_static_adds_the_twin(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: shown.append(a[0]) or DisplayHandle("h"))
    live(lambda n: n, static=True, n=widgets.Dropdown(options=[1, 2], value=1))
    assert "sbsr-twin" in shown[-1].data and len(shown) == 3


def test_live_adds_a_twin_by_itself_only_for_a_few_discrete_states(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: shown.append(a[0]) or DisplayHandle("h"))
    live(lambda metric: metric, metric=widgets.ToggleButtons(options=["acc@1", "acc@5"]))  # 2 states: a twin
    assert "sbsr-twin" in shown[-1].data
    shown.clear()
    live(lambda s: s, s=widgets.FloatSlider(value=0.5))  # continuous: none
    assert len(shown) == 2 and not any("sbsr-twin" in str(getattr(x, "data", x)) for x in shown)
