"""Project paths, the profiles file, device selection and seeding.

Every notebook has a ``parameters`` cell with at least ``profile`` (``quick`` | ``full``), ``device``
(``auto`` | ``cpu`` | ``cuda``) and ``seed``; the values for each profile live in one YAML file,
``notebooks/profiles.yml``, read by :func:`load_profiles`.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from .io import read_data_file

PROFILES = ("quick", "full")
DEVICES = ("auto", "cpu", "cuda")


class ConfigError(ValueError):
    """A configuration file or parameter is wrong; the message names the file and the problem."""


def find_project_root(start: str | os.PathLike | None = None) -> Path:
    """The folder holding ``_config.yml`` and ``notebooks/profiles.yml``, searched upwards.

    ``SBSR_PROJECT_ROOT`` overrides the search.
    """
    env = os.environ.get("SBSR_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "_config.yml").is_file() and (candidate / "notebooks" / "profiles.yml").is_file():
            return candidate
    # Fall back to the source checkout this package was imported from.
    pkg_root = Path(__file__).resolve().parents[2]
    if (pkg_root / "_config.yml").is_file():
        return pkg_root
    raise ConfigError(f"no project root (a folder with _config.yml and notebooks/profiles.yml) above {here}")


@dataclass(frozen=True)
class NotebookSpec:
    """One chapter notebook as declared in the profiles file."""

    name: str
    title: str
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile -> values
    timeout: dict[str, int] = field(default_factory=dict)  # profile -> per-cell timeout (s)
    tables: tuple[str, ...] = ()  # published table ids (data/published/<id>.csv) this chapter reproduces
    figures: tuple[str, ...] = ()  # published figure ids (data/published/figures.yml) it reproduces


@dataclass(frozen=True)
class Profiles:
    """The parsed ``notebooks/profiles.yml``."""

    path: Path
    defaults: dict[str, dict[str, Any]]  # profile -> values shared by every notebook
    notebooks: list[NotebookSpec]

    def names(self) -> list[str]:
        return [nb.name for nb in self.notebooks]

    def get(self, name: str) -> NotebookSpec:
        for nb in self.notebooks:
            if nb.name == name:
                return nb
        raise KeyError(name)

    def parameters(self, name: str, profile: str) -> dict[str, Any]:
        """Defaults for ``profile`` overlaid with the notebook's own values for ``profile``."""
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
        nb = self.get(name)
        params: dict[str, Any] = {"profile": profile}
        params.update(self.defaults.get(profile, {}))
        params.update(nb.parameters.get(profile, {}))
        return params

    def cell_timeout(self, name: str, profile: str, default: int = 1800) -> int:
        return int(self.get(name).timeout.get(profile, default))


def load_profiles(path: str | os.PathLike | None = None) -> Profiles:
    """Read and validate the profiles file (``notebooks/profiles.yml`` by default).

    Layout::

        defaults:
          quick: {device: auto, seed: 0, ...}
          full:  {device: auto, seed: 0, ...}
        notebooks:
          - name: 00_introduction
            title: Introduction
            quick: {n_shapes: 12}
            full: {n_shapes: 200}
            timeout: {quick: 600, full: 7200}
            tables: [thesis_table_4_8]      # what the chapter reproduces (for the status page)
            figures: [thesis_fig_4_4]
    """
    path = Path(path) if path else find_project_root() / "notebooks" / "profiles.yml"
    raw = read_data_file(path, error=ConfigError, what="profiles file")
    if not isinstance(raw, dict) or "notebooks" not in raw:
        raise ConfigError(f"{path}: expected a mapping with a 'notebooks' list")
    unknown_top = set(raw) - {"defaults", "notebooks"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown_top)} (expected defaults, notebooks)")
    defaults = raw.get("defaults") or {}
    for prof in defaults:
        if prof not in PROFILES:
            raise ConfigError(f"{path}: defaults name unknown profile {prof!r}")
    notebooks: list[NotebookSpec] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["notebooks"] or []):
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"{path}: notebooks[{i}] needs a 'name'")
        name = str(entry["name"])
        if name in seen:
            raise ConfigError(f"{path}: notebook {name!r} is listed twice")
        seen.add(name)
        unknown = set(entry) - {"name", "title", "timeout", "tables", "figures", *PROFILES}
        if unknown:
            raise ConfigError(f"{path}: notebook {name!r} has unknown keys {sorted(unknown)}")
        notebooks.append(
            NotebookSpec(
                name=name,
                title=str(entry.get("title", name)),
                parameters={p: dict(entry.get(p) or {}) for p in PROFILES},
                timeout={k: int(v) for k, v in (entry.get("timeout") or {}).items()},
                tables=tuple(entry.get("tables") or ()),
                figures=tuple(entry.get("figures") or ()),
            )
        )
    return Profiles(path=path, defaults={p: dict(v or {}) for p, v in defaults.items()}, notebooks=notebooks)


def resolve_device(device: str = "auto") -> str:
    """``auto`` picks ``cuda`` when a GPU is visible to torch, else ``cpu``."""
    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r} (choose from {', '.join(DEVICES)})")
    if device == "auto":
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:  # pragma: no cover - torch is a hard dependency
            return "cpu"
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("device='cuda' was asked for but torch sees no GPU; use device='auto' or 'cpu'")
    return device


def seed_everything(seed: int, deterministic: bool = True) -> np.random.Generator:
    """Seed Python, NumPy and torch; return a NumPy generator for explicit use."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    try:
        import torch

        torch.manual_seed(seed)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    except ImportError:  # pragma: no cover
        pass
    return np.random.default_rng(seed)


_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", re.M)


def parameters_cell_names(text_path: str | os.PathLike) -> set[str]:
    """Names assigned in the ``parameters`` cell of a jupytext ``py:percent`` notebook (the cell whose
    ``# %%`` line carries the ``parameters`` tag)."""
    path = Path(text_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("# %%") and '"parameters"' in ln), None)
    if start is None:
        raise ConfigError(f"{path}: no cell tagged 'parameters' (papermill needs one)")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("# %%")), len(lines))
    return set(_ASSIGNMENT.findall("\n".join(lines[start + 1:end])))


def check_notebook_parameters(profiles: Profiles, root: str | os.PathLike) -> None:
    """Every key that ``profiles`` injects into a notebook (defaults and the notebook's own, both profiles)
    must be a name of that notebook's ``parameters`` cell: a misspelt key is an error naming it, the
    notebook and the profiles file (papermill would only warn, and the chapter would run with its default)."""
    problems = []
    for nb in profiles.notebooks:
        path = Path(root) / "notebooks" / f"{nb.name}.py"
        if not path.is_file():
            problems.append(f"notebook {nb.name!r} is listed but {path} does not exist")
            continue
        names = parameters_cell_names(path)
        for prof in PROFILES:
            unknown = sorted(set(profiles.parameters(nb.name, prof)) - names)
            if unknown:
                problems.append(f"{nb.name} ({prof}): {', '.join(unknown)} not in the parameters cell of {path.name}")
    if problems:
        raise ConfigError(f"{profiles.path}: unknown parameters: " + "; ".join(problems))


def check_toc(profiles: Profiles, root: str | os.PathLike) -> None:
    """``_toc.yml`` and ``notebooks/profiles.yml`` agree: every chapter notebook is in the table of contents
    exactly once, nothing else is listed under ``book/chapters/``, and within each part the chapters follow
    the execution order of ``profiles.yml`` (so the two files cannot drift apart unnoticed)."""
    toc_path = Path(root) / "_toc.yml"
    toc = read_data_file(toc_path, error=ConfigError, what="table of contents")
    order = {name: i for i, name in enumerate(profiles.names())}
    seen: list[str] = []
    problems = []
    for part in (toc or {}).get("parts", []):
        chapters = [str(c.get("file", "")).split("/")[-1] for c in part.get("chapters", [])
                    if str(c.get("file", "")).startswith("book/chapters/")]
        unknown = [c for c in chapters if c not in order]
        if unknown:
            problems.append(f"part {part.get('caption')!r} lists {', '.join(unknown)}, not in {profiles.path.name}")
        known = [c for c in chapters if c in order]
        if known != sorted(known, key=order.get):
            problems.append(f"part {part.get('caption')!r} has {', '.join(known)}; {profiles.path.name} runs them "
                            f"as {', '.join(sorted(known, key=order.get))}")
        seen += chapters
    twice = sorted({c for c in seen if seen.count(c) > 1})
    absent = [n for n in order if n not in seen]
    if twice:
        problems.append(f"listed twice: {', '.join(twice)}")
    if absent:
        problems.append(f"not in the table of contents: {', '.join(absent)}")
    if problems:
        raise ConfigError(f"{toc_path}: " + "; ".join(problems))
