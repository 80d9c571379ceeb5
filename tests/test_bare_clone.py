"""A clone without ../shared/data: tests that need the public datasets skip, except in CI."""

import pytest

from tests.conftest import required_data


def test_missing_datasets_skip_with_where_they_come_from(tmp_path):
    missing = tmp_path / "shared" / "data"
    with pytest.raises(pytest.skip.Exception) as skipped:
        required_data(missing, {})
    assert str(missing / "SOURCES.md") in str(skipped.value)


def test_missing_datasets_fail_under_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="CI must lay the shared datasets"):
        required_data(tmp_path / "data", {"CI": "true"})


def test_present_datasets_are_used(tmp_path):
    assert required_data(tmp_path, {"CI": "true"}) == tmp_path
