"""Safe file output: atomic writes and validated user paths.

Nothing already computed is lost: every file is written to a temporary sibling and moved into place
with :func:`os.replace`, which is atomic on POSIX file systems.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import yaml


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give results the usual permissions
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def ensure_within(path: str | os.PathLike, root: str | os.PathLike, what: str = "path") -> Path:
    """Resolve ``path`` and refuse it unless it lies inside ``root`` (guards output folders)."""
    resolved = Path(path).resolve()
    root = Path(root).resolve()
    if resolved != root and root not in resolved.parents:
        raise ValueError(f"{what} {resolved} is outside the allowed folder {root}")
    return resolved


def existing_dir(path: str | os.PathLike, what: str = "folder") -> Path:
    """A user-supplied folder that must exist; the error names it."""
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{what} {p} does not exist")
    if not p.is_dir():
        raise NotADirectoryError(f"{what} {p} is not a folder")
    return p.resolve()


def to_jsonable(obj: Any) -> Any:
    """Numpy scalars/arrays and tuples -> plain Python, recursively, so that ``json.dumps`` accepts it.

    >>> import numpy as np
    >>> to_jsonable({"a": np.arange(2), "b": (np.float32(0.5), np.bool_(True))})
    {'a': [0, 1], 'b': [0.5, True]}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def read_data_file(path: str | os.PathLike, error: type[Exception] = ValueError,
                   missing: type[Exception] | None = None, what: str = "file") -> Any:
    """The parsed content of a YAML (``.yml``/``.yaml``) or JSON (``.json``) file.

    A missing file raises ``missing`` (default ``error``) and a malformed one ``error``, each with a
    message that names the file and what is wrong.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise (missing or error)(f"{path}: {what} not found") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(f"{path}: not valid JSON ({exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
