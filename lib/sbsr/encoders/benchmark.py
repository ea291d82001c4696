"""Encoder throughput: raw forward vs the full feature pipeline, cache-hit speed-up, peak memory.

    python benchmarks/bench_encoders.py   (or sbsr.encoders.benchmark.run_benchmark from a notebook)
    --n 64 --batch-size 8 [--encoder random-RN101] [--tap layer3]
                                        [--device auto] [--json OUT]

* raw forward: ``Encoder.encode_preprocessed`` on batches already normalised and on the device;
* pipeline (cold cache): ``encode_with_cache`` on PNG files - load, hash, resize (``--image-size`` to 224),
  normalise, encode, write the fp16 cache entries; target >= 90 % of the raw forward rate;
* pipeline (warm cache): the same call again, every image a cache hit;
* peak memory: process RSS (``resource``), Python/NumPy allocations (``tracemalloc``), CUDA allocator.

Measurements are interleaved and the best of ``--repeats`` is kept for each, as the machine may be shared.
"""

from __future__ import annotations

import platform
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sbsr.encoders import FeatureCache, encode_with_cache, get_encoder


def synthetic_images(n: int, size: int, seed: int = 0) -> list[np.ndarray]:
    """Line-drawing-like grayscale images: dark random strokes on white."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for _ in range(n):
        img = np.full((size, size), 255, np.uint8)
        for _ in range(12):
            (x0, y0), (x1, y1) = rng.uniform(0.1 * size, 0.9 * size, (2, 2))
            d = np.abs((y1 - y0) * xx - (x1 - x0) * yy + x1 * y0 - y1 * x0) / max(np.hypot(x1 - x0, y1 - y0), 1e-6)
            t = ((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0)) / max((x1 - x0) ** 2 + (y1 - y0) ** 2, 1e-6)
            img[(d < 1.5) & (t >= 0) & (t <= 1)] = 0
        out.append(img)
    return out


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def rss_mib() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if platform.system() != "Darwin" else kb / 2**20


def run_benchmark(encoder: str = "random-RN101", tap: str = "layer3", n: int = 64, batch_size: int = 8,
                  image_size: int = 256, device: str = "auto", num_workers: int | None = None,
                  repeats: int = 2) -> dict:
    """Measure raw forward vs pipeline throughput, the cache-hit speed-up and peak memory."""
    rss_start = rss_mib()  # after importing torch & co. (several hundred MiB for a CUDA build of torch)

    enc = get_encoder(encoder, device=device, allow_random=True)
    images = synthetic_images(n, image_size)
    with tempfile.TemporaryDirectory(prefix="sbsr-bench-") as tmp:
        tmp = Path(tmp)
        paths = []
        for i, im in enumerate(images):
            p = tmp / "images" / f"{i:05d}.png"
            p.parent.mkdir(exist_ok=True)
            Image.fromarray(im).save(p)
            paths.append(p)

        # warm-up (allocator, cuDNN/oneDNN kernel selection)
        batch = enc.preprocess(images[: batch_size]).to(enc.device)
        enc.encode_preprocessed(batch, tap)
        _sync(enc.device)

        x_all = enc.preprocess(images).to(enc.device)
        raw_s = cold_s = warm_s = float("inf")
        trace_peak_cold = trace_peak_warm = 0
        cold_stats: dict = {}
        disk = 0
        # Interleave the measurements and keep the best of --repeats (the machine may be shared).
        for rep in range(max(1, repeats)):
            # raw forward on device-resident normalised batches
            _sync(enc.device)
            t0 = time.perf_counter()
            for s in range(0, n, batch_size):
                enc.encode_preprocessed(x_all[s:s + batch_size], tap).to("cpu")
            _sync(enc.device)
            raw_s = min(raw_s, time.perf_counter() - t0)

            # full pipeline on PNG files, cold then warm cache
            cache = FeatureCache(tmp / f"cache{rep}")
            tracemalloc.start()
            t0 = time.perf_counter()
            cold = encode_with_cache(enc, paths, tap, cache, batch_size=batch_size,
                                     num_workers=num_workers)
            _sync(enc.device)
            cold_s = min(cold_s, time.perf_counter() - t0)
            trace_peak_cold = max(trace_peak_cold, tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()
            cold_stats = cache.stats.as_dict()
            t0 = time.perf_counter()
            warm = encode_with_cache(enc, paths, tap, cache, batch_size=batch_size,
                                     num_workers=num_workers)
            warm_s = min(warm_s, time.perf_counter() - t0)
            trace_peak_warm = max(trace_peak_warm, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            if not np.array_equal(cold, warm):
                raise RuntimeError("cache hits differ from the computed features")
            disk = sum(f.stat().st_size for f in (tmp / f"cache{rep}").rglob("*.safetensors"))
        raw_rate = n / raw_s

    pipe_rate = n / cold_s
    result = {
        "encoder": enc.name,
        "weights_source": enc.weights_source,
        "tap": tap,
        "tap_shape": list(enc.tap_shape(tap)),
        "storage_dtype": str(cold.dtype),
        "device": enc.device,
        "torch_threads": torch.get_num_threads(),
        "n": n,
        "repeats": repeats,
        "batch_size": batch_size,
        "raw_forward_img_s": raw_rate,
        "pipeline_cold_img_s": pipe_rate,
        "pipeline_over_raw": pipe_rate / raw_rate,
        "pipeline_warm_img_s": n / warm_s,
        "cache_hit_speedup": cold_s / warm_s,
        "cache_stats_cold": cold_stats,
        "cache_bytes_per_image": disk / n,
        "peak_rss_mib": rss_mib(),
        "rss_after_imports_mib": rss_start,
        "tracemalloc_peak_cold_mib": trace_peak_cold / 2**20,
        "tracemalloc_peak_warm_mib": trace_peak_warm / 2**20,
        "cuda_peak_mib": torch.cuda.max_memory_allocated() / 2**20 if enc.device == "cuda" else None,
    }
    return result


def benchmark_rows(result: dict) -> list[tuple[str, str]]:
    """Human-readable (label, value) rows of a :func:`run_benchmark` result."""
    enc, tap, n, batch_size = result["encoder"], result["tap"], result["n"], result["batch_size"]
    raw_rate, pipe_rate = result["raw_forward_img_s"], result["pipeline_cold_img_s"]
    cold_s, warm_s = n / pipe_rate, n / result["pipeline_warm_img_s"]
    disk, rss_start = result["cache_bytes_per_image"] * n, result["rss_after_imports_mib"]
    trace_peak_cold = result["tracemalloc_peak_cold_mib"] * 2**20
    trace_peak_warm = result["tracemalloc_peak_warm_mib"] * 2**20
    rows = [
        ("encoder / tap", f"{enc} / {tap} {tuple(result['tap_shape'])} ({result['weights_source']})"),
        ("device, threads, n, batch", f"{result['device']}, {result['torch_threads']}, {n}, {batch_size}"),
        ("raw forward", f"{raw_rate:9.2f} img/s"),
        ("pipeline, cold cache", f"{pipe_rate:9.2f} img/s  ({100 * pipe_rate / raw_rate:.1f} % of raw; target >= 90 %)"),
        ("pipeline, warm cache", f"{n / warm_s:9.2f} img/s  (cache-hit speed-up x{cold_s / warm_s:.1f})"),
        ("cache on disk", f"{disk / n / 1024:9.1f} KiB/img ({result['storage_dtype']})"),
        ("peak RSS", f"{result['peak_rss_mib']:9.1f} MiB  ({rss_start:.0f} MiB after imports)"),
        ("tracemalloc peak cold/warm", f"{trace_peak_cold / 2**20:9.1f} / {trace_peak_warm / 2**20:.1f} MiB"),
    ]
    if result["cuda_peak_mib"] is not None:
        rows.append(("CUDA peak", f"{result['cuda_peak_mib']:9.1f} MiB"))
    return rows

