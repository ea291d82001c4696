import os
import subprocess
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
    monkeypatch.delenv("SBSR_RESULTS_DIR", raising=False)
    monkeypatch.delenv("SBSR_DATA_DIR", raising=False)
    yield


@pytest.fixture(scope="session")
def built_book(project_root):
    """`python -m sbsr.book.build --profile quick` (what `make book` runs), once per test session.

    Every notebook is executed through the runner at the quick profile, then the HTML book is built; tests
    read what it produced (executed notebooks, results tables, HTML pages). Returns the CompletedProcess.
    ``SBSR_TEST_BOOK_SKIP_RUN=1`` rebuilds only the HTML from the notebooks executed last time (a developer's
    shortcut when only book pages changed; CI never sets it).
    """
    cmd = [sys.executable, "-m", "sbsr.book.build", "--profile", "quick"]
    if os.environ.get("SBSR_TEST_BOOK_SKIP_RUN") == "1" and not os.environ.get("CI"):
        cmd.append("--skip-run")
    return subprocess.run(cmd, cwd=project_root, capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="session")
def book_html(built_book, project_root) -> Path:
    """The built book's HTML folder; fails (with the build's output) when the build failed."""
    assert built_book.returncode == 0, built_book.stdout[-3000:] + built_book.stderr[-3000:]
    return project_root / "_build" / "html"


@pytest.fixture(scope="session")
def artifacts_dir(project_root) -> Path:
    """``test-artifacts/`` (git-ignored): screenshots and other files a test run leaves for people to look at."""
    path = project_root / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
