import subprocess
import sys

from sbsr.encoders.benchmark import benchmark_rows, run_benchmark


def test_benchmark_reports_rates_and_cache_speedup():
    res = run_benchmark("minclip-procedural-v1", "layer3", n=4, batch_size=2, image_size=64, device="cpu",
                        repeats=1)
    assert res["raw_forward_img_s"] > 0 and res["pipeline_cold_img_s"] > 0
    assert res["cache_hit_speedup"] > 1  # a warm cache beats encoding
    assert res["storage_dtype"] == "float16" and res["cache_bytes_per_image"] > 0
    labels = [k for k, _ in benchmark_rows(res)]
    assert labels[:3] == ["encoder / tap", "device, threads, n, batch", "raw forward"]


def test_benchmark_script_prints_its_numbers(project_root):
    out = subprocess.run([sys.executable, str(project_root / "benchmarks" / "bench_encoders.py"), "--n", "2",
                          "--batch-size", "2", "--image-size", "64", "--repeats", "1", "--encoder",
                          "minclip-procedural-v1", "--device", "cpu"], capture_output=True, text=True, check=True)
    assert "raw forward" in out.stdout and "img/s" in out.stdout and "cache-hit speed-up" in out.stdout
