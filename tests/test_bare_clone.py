"""A clone without ../shared/data, or without axe-core from npm: tests that need them skip,
saying where they come from, except in CI."""

import pytest

from tests.conftest import required_data
from tests.e2e.helpers import AXE_INSTALL, AXE_SCRIPT, axe_source


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


def test_missing_axe_skips_with_the_command_that_installs_it(tmp_path):
    with pytest.raises(pytest.skip.Exception, match=AXE_INSTALL):
        axe_source(tmp_path / "axe.min.js", {})


def test_missing_axe_fails_under_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="CI needs axe-core"):
        axe_source(tmp_path / "axe.min.js", {"CI": "true"})


def test_axe_is_read_from_the_npm_folder(tmp_path):
    assert AXE_SCRIPT.parts[-5:] == (".ci", "node", "node_modules", "axe-core", "axe.min.js")
    script = tmp_path / "axe.min.js"
    script.write_text("window.axe = {};")
    assert axe_source(script, {"CI": "true"}) == "window.axe = {};"
