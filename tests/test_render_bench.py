"""Smoke test of benchmarks/bench_render.py (tiny sizes)."""

from __future__ import annotations

import importlib.util
import json


def test_bench_render_runs(project_root, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_render", project_root / "benchmarks" / "bench_render.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    result = bench.main(["--n-views", "2", "--repeats", "1", "--image-size", "64", "--json", str(out)])
    assert json.loads(out.read_text())["outputs"].keys() == result["outputs"].keys()
    for name in ("rgb", "depth", "normals", "parts", "lines", "all", "natural"):
        assert result["outputs"][name]["ms_per_view"] > 0
    assert "views/s" in capsys.readouterr().out
