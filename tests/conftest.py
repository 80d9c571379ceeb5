"""Shared fixtures: paths to the real public datasets in ../shared/data."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real datasets; the suite needs it (CI lays it beside the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"Missing the shared datasets at {SHARED_DATA}")
    return SHARED_DATA
