"""Sketch search in the browser: time to the first result and per query, in headless Chromium from file://.

    python benchmarks/bench_websearch.py [--queries 10] [--chromium /usr/bin/chromium] [--json OUT]

Builds the data file if needed (``python -m sbsr.book.websearch``), writes a minimal page with the explorer's
panel into a temporary folder, opens it with the network blocked, and reports: the data file's size, the time
until the encoder and index are decoded (page load to ready), the time from the first stroke to its ranking
(the first query, which also compiles the JavaScript), and the time per query after that (encoding the
sketch's four affine copies through the layer3 tap, then Eq. 4.1 against the gallery). The numbers depend on
the machine; this one may be shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sbsr.book import websearch
from sbsr.config import find_project_root

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=10, help="timed queries after the first")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    root = find_project_root()
    data = websearch.build_data(root, args.profile)
    out: dict = {"data_file_mib": round(data.stat().st_size / 2**20, 2)}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_path = websearch.standalone_page(root, tmp)
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_function("window.sbsrWebsearch && window.sbsrWebsearch.ready", timeout=120_000)
        out["page_load_to_ready_ms"] = round((time.perf_counter() - t0) * 1000)
        out["decode_ms"] = round(page.evaluate("sbsrWebsearch.load_ms"))
        t1 = time.perf_counter()
        websearch.draw_on_page(page, websearch.DEMO_STROKES[:1])
        page.wait_for_function("sbsrWebsearch.count >= 1", timeout=120_000)
        out["first_stroke_to_result_ms"] = round((time.perf_counter() - t1) * 1000)
        out["first_query_in_page_ms"] = round(page.evaluate("sbsrWebsearch.last.total_ms"))
        times = page.evaluate(
            """n => { const W = sbsrWebsearch, q = Uint8Array.from(W.last.query), t = [];
                      for (let i = 0; i < n; i++) t.push(W.rank(W.model, q, "chair", 5).total_ms); return t; }""",
            args.queries)
        out["per_query_ms_median"] = round(statistics.median(times))
        out["per_query_ms_min"] = round(min(times))
        out["queries"] = args.queries
        out["chromium"] = browser.version
        browser.close()
    width = max(len(k) for k in out)
    for k, v in out.items():
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
    sys.exit(0)
