"""Fixtures shared by every test package: where the repository and the shared real data are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Test helpers (synthetic motion) live in tests/helpers, outside the wheel.
sys.path.insert(0, str(REPO_ROOT / "tests" / "helpers"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared real data (videos, mocap): ``$VIDEOPOSE_SHARED`` or ``../shared``; skips if absent."""
    folder = Path(os.environ.get("VIDEOPOSE_SHARED", REPO_ROOT / ".." / "shared")).resolve()
    if not folder.is_dir():
        pytest.skip(f"shared data folder not found at {folder} (set VIDEOPOSE_SHARED)")
    return folder


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary, empty HOME (Blender writes its config and caches under HOME)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    return home
