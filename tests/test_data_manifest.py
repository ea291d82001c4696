"""sbsr.data.manifest: config hashes, manifests with checksums, detection of partial/corrupt caches."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from sbsr.data.manifest import (
    MANIFEST_NAME,
    BuildResult,
    build_cached,
    canonical_json,
    config_hash,
    read_manifest,
    source_fingerprint,
    verify_cache,
)


def test_config_hash_is_canonical_and_sensitive():
    a = {"n": 3, "azimuths": [0, 30, 75], "nested": {"x": 1, "y": 2}}
    b = {"nested": {"y": 2, "x": 1}, "azimuths": [0, 30, 75], "n": 3}
    assert canonical_json(a) == '{"azimuths":[0,30,75],"n":3,"nested":{"x":1,"y":2}}'
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) == hashlib.sha256(canonical_json(a).encode()).hexdigest()[:16]
    assert config_hash({**a, "n": 4}) != config_hash(a)
    assert len(config_hash(a, 64)) == 64


def test_source_fingerprint_changes_with_missing_modules():
    fp = source_fingerprint(["sbsr.io"])
    assert fp == source_fingerprint(["sbsr.io"])
    assert fp != source_fingerprint(["sbsr.io", "sbsr.no_such_module_xyz"])


class Counter:
    """A build function that writes two files and counts its calls."""

    def __init__(self, fail: bool = False):
        self.calls = 0
        self.fail = fail

    def __call__(self, staging):
        self.calls += 1
        (staging / "sub").mkdir()
        (staging / "a.txt").write_text("alpha")
        (staging / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
        if self.fail:
            raise RuntimeError("build exploded")
        return BuildResult(counts={"items": 2}, skipped={"counts": {"sketch": 1}})


def _build(root, build, config=None, **kw):
    return build_cached(root, name="toy", version="1", profile="quick", config=config or {"n": 2}, build=build, **kw)


def test_build_once_then_reuse(tmp_path):
    root = tmp_path / "ds"
    build = Counter()
    manifest, built = _build(root, build)
    assert built and build.calls == 1
    assert manifest.counts == {"items": 2}
    assert manifest.files["a.txt"] == {"sha256": hashlib.sha256(b"alpha").hexdigest(), "bytes": 5}
    assert set(manifest.files) == {"a.txt", "sub/b.bin"}
    on_disk = json.loads((root / MANIFEST_NAME).read_text())
    assert on_disk["config_hash"] == config_hash({"n": 2})
    manifest2, built2 = _build(root, build)
    assert not built2 and build.calls == 1
    assert manifest2.config_hash == manifest.config_hash
    # no staging folders left behind (only the lock file beside the dataset)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ds.lock", "ds"]


@pytest.mark.parametrize("damage", ["flip_byte", "delete_file", "delete_manifest", "bad_manifest", "truncate"])
def test_corrupted_or_partial_cache_is_detected_and_rebuilt(tmp_path, damage):
    root = tmp_path / "ds"
    build = Counter()
    _build(root, build)
    if damage == "flip_byte":
        (root / "a.txt").write_text("alphA")  # same size, different checksum
    elif damage == "delete_file":
        (root / "sub" / "b.bin").unlink()
    elif damage == "delete_manifest":
        (root / MANIFEST_NAME).unlink()  # looks like an interrupted build
    elif damage == "bad_manifest":
        (root / MANIFEST_NAME).write_text("{not json")
    else:
        (root / "a.txt").write_text("al")
    status = verify_cache(root, config_hash({"n": 2}))
    assert not status.ok
    _, built = _build(root, build)
    assert built and build.calls == 2
    assert verify_cache(root, config_hash({"n": 2})).ok
    assert (root / "a.txt").read_text() == "alpha"


def test_quick_verification_skips_checksums_but_checks_sizes(tmp_path):
    root = tmp_path / "ds"
    _build(root, Counter())
    (root / "a.txt").write_text("alphA")
    assert verify_cache(root, checksums=False).ok
    assert not verify_cache(root, checksums=True).ok
    (root / "a.txt").write_text("alphabet")
    assert "size" in verify_cache(root, checksums=False).reason


def test_stale_config_triggers_rebuild(tmp_path):
    root = tmp_path / "ds"
    build = Counter()
    _build(root, build, config={"n": 2})
    status = verify_cache(root, config_hash({"n": 3}))
    assert not status.ok and "stale" in status.reason
    manifest, built = _build(root, build, config={"n": 3})
    assert built and manifest.config == {"n": 3}


def test_failed_build_keeps_previous_cache_and_cleans_staging(tmp_path):
    root = tmp_path / "ds"
    _build(root, Counter())
    before = read_manifest(root)
    with pytest.raises(RuntimeError, match="exploded"):
        _build(root, Counter(fail=True), force=True)
    assert read_manifest(root).config_hash == before.config_hash
    assert verify_cache(root).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ds.lock", "ds"]


def test_leftover_partial_of_dead_process_is_removed(tmp_path):
    stale = tmp_path / ".ds.partial-999999999"
    stale.mkdir()
    (stale / "junk").write_text("x")
    _build(tmp_path / "ds", Counter())
    assert not stale.exists()
    assert os.path.isdir(tmp_path / "ds")


def test_concurrent_builders_build_once(tmp_path):
    import threading
    import time

    calls = []

    def slow_build(staging):
        calls.append(1)
        time.sleep(0.2)
        (staging / "x.txt").write_text("x")
        return BuildResult(counts={"x": 1})

    results = []
    threads = [threading.Thread(target=lambda: results.append(_build(tmp_path / "ds", slow_build)[1]))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and sorted(results) == [False, True]
