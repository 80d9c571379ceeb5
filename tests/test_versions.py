"""The lowest versions CI installs are the lower bounds pyproject.toml declares.

``.ci/versions.sh lowest`` installs ``.ci/lowest-versions.txt`` as pip constraints
and runs the embedding tests on them; this keeps that file and the declared bounds
one list, so a bound cannot be lowered (or a dependency added) without CI trying it.
"""

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

CI = REPO / ".ci"


def lower_bounds(lines: list[str]) -> dict[str, str]:
    """Each requirement's name and ``>=`` bound (None when it has none).

    >>> lower_bounds(["Flask>=3.0,<4", "psutil"])
    {'flask': '3.0', 'psutil': None}
    """
    bounds = {}
    for line in lines:
        requirement = Requirement(line)
        lowest = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        bounds[canonicalize_name(requirement.name)] = lowest[0] if lowest else None
    return bounds


def requirement_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def declared() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return lower_bounds(project["dependencies"])


def test_every_dependency_declares_a_lower_bound():
    assert [name for name, bound in declared().items() if bound is None] == []


def test_the_lowest_versions_ci_installs_are_the_declared_bounds():
    pins = {}
    for line in requirement_lines((CI / "lowest-versions.txt").read_text()):
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = spec.version
    assert pins == declared()


def test_the_example_hosts_bounds_are_the_packages():
    """The host's requirements meet the same constraints (pip refuses a host bound above
    a pin, and a lower one would claim what nothing tests)."""
    host = lower_bounds(
        requirement_lines((REPO / "examples" / "host_site" / "requirements.txt").read_text())
    )
    assert host == {name: declared()[name] for name in host}


def test_ci_runs_the_embedding_tests_on_the_lowest_and_the_newest_versions():
    steps = (CI / "run").read_text()
    assert ".ci/versions.sh lowest" in steps and ".ci/versions.sh newest" in steps
    script = (CI / "versions.sh").read_text()
    for test in ("tests/test_installed_host.py", "tests/test_embedding.py"):
        assert test in script


#: A row of the README's table of what an install takes: an extra's name in brackets.
EXTRA_ROW = re.compile(r"^\| `\[([a-z]+)\]` \|")


def readme_extras() -> dict[str, str]:
    """The extras the README's install table lists, each with its row."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Set up and run\n", 1)[1].split("\n## ", 1)[0]
    return {m[1]: line for line in section.splitlines() if (m := EXTRA_ROW.match(line))}


def test_the_readme_says_what_each_extra_adds():
    """Every optional extra of pyproject.toml has its row: the packages it installs, and
    the megabytes they add."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = extras["optional-dependencies"]
    rows = readme_extras()
    assert sorted(rows) == sorted(extras)
    for name, requirements in extras.items():
        for requirement in requirements:
            assert canonicalize_name(Requirement(requirement).name) in rows[name].lower(), name
        assert re.search(r"\+\d+ MB \|$", rows[name]), rows[name]
