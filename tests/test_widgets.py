import ipywidgets as widgets
import pytest
from IPython.display import DisplayHandle

from sbsr.book import live


def test_live_draws_initial_state_and_updates_in_place(monkeypatch):
    shown, updates = [], []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: shown.append(a[0]) or DisplayHandle("h"))
    monkeypatch.setattr(DisplayHandle, "update", lambda self, *a, **kw: updates.append(a[0]))
    knob = widgets.IntSlider(value=2, min=0, max=5)
    assert live(lambda n: (f"n={n}", n * n), n=knob) is None
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
    live(lambda k: go.Figure(go.Bar(y=[k])), k=widgets.IntSlider(value=1))
    (bundle,), kw = calls[1]
    assert kw == {"display_id": True, "raw": True}
    assert "Plotly.newPlot" in bundle["text/html"] and "application/vnd.plotly.v1+json" in bundle
