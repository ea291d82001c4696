"""Manifests and caches of materialized datasets.

A materialized dataset is a folder with a ``manifest.json`` written *last*: the config it was built
from and its hash, item counts, the skipped items with reasons, and the size and sha256 of every file.
:func:`verify_cache` detects a partial build (no manifest), a stale one (config hash differs) and a
corrupted one (missing file, wrong size or checksum); :func:`build_cached` then rebuilds it in a
staging folder and swaps it into place, so readers never see a half-written dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sbsr.io import atomic_write_json, sha256_file

log = logging.getLogger("sbsr.data")

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the text that :func:`config_hash` hashes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: Any, length: int = 16) -> str:
    """sha256 of the canonical JSON of ``config`` (first ``length`` hex digits)."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()[:length]


def source_fingerprint(module_names: Iterable[str]) -> str:
    """A hash of the Python source of the named modules/packages (``"missing"`` parts for absent ones).

    Part of a dataset's config, so that changing the generator, renderer or sketch code invalidates
    the materializations made with the old code.
    """
    h = hashlib.sha256()
    for name in sorted(module_names):
        h.update(name.encode())
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            h.update(b"missing")
            continue
        if spec.submodule_search_locations:  # a package (regular or namespace): all its sources
            files = [(Path(loc), f) for loc in spec.submodule_search_locations for f in sorted(Path(loc).rglob("*.py"))]
        elif spec.origin and Path(spec.origin).is_file():
            files = [(Path(spec.origin).parent, Path(spec.origin))]
        else:
            h.update(b"no-source")
            continue
        for base, f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(f.relative_to(base).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Manifest:
    """The record of one materialized dataset (``manifest.json``)."""

    name: str
    version: str
    profile: str | None
    config: dict
    config_hash: str
    counts: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)  # {"counts": {kind: n}, "items": [...]}
    files: dict = field(default_factory=dict)  # relative posix path -> {"sha256": ..., "bytes": ...}
    extra: dict = field(default_factory=dict)
    schema: int = MANIFEST_SCHEMA
    complete: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "Manifest":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in raw.items() if k in known})


def read_manifest(root: str | os.PathLike) -> Manifest:
    path = Path(root) / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: manifest is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict) or "config_hash" not in raw:
        raise ValueError(f"{path}: manifest lacks 'config_hash'")
    return Manifest.from_dict(raw)


def write_manifest(root: str | os.PathLike, manifest: Manifest) -> Path:
    return atomic_write_json(Path(root) / MANIFEST_NAME, manifest.to_dict())


def scan_files(root: str | os.PathLike) -> dict[str, dict]:
    """Size and sha256 of every file under ``root`` except the manifest, keyed by posix relative path."""
    root = Path(root)
    out: dict[str, dict] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST_NAME:
            continue
        out[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


@dataclass
class CacheStatus:
    ok: bool
    reason: str
    manifest: Manifest | None = None

    def __bool__(self) -> bool:
        return self.ok


def verify_cache(root: str | os.PathLike, expected_hash: str | None = None, checksums: bool = True) -> CacheStatus:
    """Check a materialized folder against its manifest.

    ``checksums=False`` checks presence and sizes only (fast); ``True`` also recomputes every sha256.
    """
    root = Path(root)
    if not root.is_dir():
        return CacheStatus(False, f"{root} does not exist")
    try:
        manifest = read_manifest(root)
    except FileNotFoundError:
        return CacheStatus(False, f"{root}: no {MANIFEST_NAME} (partial or interrupted build)")
    except (ValueError, TypeError) as exc:
        return CacheStatus(False, f"corrupted manifest: {exc}")
    if not manifest.complete:
        return CacheStatus(False, f"{root}: manifest marks the build incomplete", manifest)
    if expected_hash is not None and manifest.config_hash != expected_hash:
        return CacheStatus(
            False, f"{root}: built from config {manifest.config_hash}, expected {expected_hash} (stale)", manifest
        )
    for rel, info in manifest.files.items():
        path = root / rel
        if not path.is_file():
            return CacheStatus(False, f"{path}: listed in the manifest but missing", manifest)
        if path.stat().st_size != int(info.get("bytes", -1)):
            return CacheStatus(False, f"{path}: size differs from the manifest (corrupted)", manifest)
        if checksums and sha256_file(path) != info.get("sha256"):
            return CacheStatus(False, f"{path}: sha256 differs from the manifest (corrupted)", manifest)
    return CacheStatus(True, "ok", manifest)


@dataclass
class BuildResult:
    """What a build function reports: item counts, skipped items, anything else for the manifest."""

    counts: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_partials(root: Path) -> None:
    leftovers = [*root.parent.glob(f".{root.name}.partial-*"), *root.parent.glob(f".{root.name}.old-*")]
    for stale in leftovers:
        try:
            pid = int(stale.name.rsplit("-", 1)[1])
        except ValueError:
            pid = -1
        if pid <= 0 or not _pid_alive(pid) or pid == os.getpid():
            log.info("removing leftover build folder %s", stale)
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """An exclusive lock beside ``root`` so that concurrent processes build a dataset once (POSIX)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: no locking
        yield
        return
    with open(root.parent / f".{root.name}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def build_cached(
    root: str | os.PathLike,
    *,
    name: str,
    version: str,
    profile: str | None,
    config: dict,
    build: Callable[[Path], BuildResult],
    force: bool = False,
    checksums: bool = True,
) -> tuple[Manifest, bool]:
    """Return the manifest of ``root``, (re)building it with ``build(staging_dir)`` when needed.

    The second value is True when a build ran. The build writes into a staging folder beside
    ``root``; the manifest (with checksums) is written there last, then the folder replaces ``root``.
    """
    root = Path(root)
    with _build_lock(root):
        return _build_locked(root, name, version, profile, config, build, force, checksums)


def _build_locked(root: Path, name: str, version: str, profile: str | None, config: dict,
                  build: Callable[[Path], BuildResult], force: bool, checksums: bool) -> tuple[Manifest, bool]:
    expected = config_hash(config)
    if not force:
        status = verify_cache(root, expected, checksums=checksums)
        if status.ok:
            return status.manifest, False
        if root.exists():
            log.warning("rebuilding %s: %s", root, status.reason)
    _remove_dead_partials(root)
    staging = root.parent / f".{root.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        result = build(staging)
        manifest = Manifest(
            name=name,
            version=str(version),
            profile=profile,
            config=config,
            config_hash=expected,
            counts=dict(result.counts),
            skipped=dict(result.skipped),
            files=scan_files(staging),
            extra=dict(result.extra),
        )
        write_manifest(staging, manifest)
        old = root.parent / f".{root.name}.old-{os.getpid()}"
        if root.exists():
            os.replace(root, old)
        os.replace(staging, root)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return manifest, True
