import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def venv_python() -> str:
    """The interpreter running the tests (the project's .venv under `make test`)."""
    return sys.executable


@pytest.fixture(autouse=True)
def _no_project_root_leak(monkeypatch):
    monkeypatch.delenv("SBSR_PROJECT_ROOT", raising=False)
    monkeypatch.delenv("SBSR_HEADLESS", raising=False)
    yield
