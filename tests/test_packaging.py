"""environment.yml (conda) and pyproject.toml (pip) describe the same dependencies."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import pip._vendor.tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def normalise(requirement: str) -> tuple[str, str]:
    name, spec = _REQ.match(requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), ",".join(sorted(spec.replace(" ", "").split(",")))


def pyproject():
    """The dependencies, the test extra's included (conda has no extras), and the Python range."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = data["dependencies"] + data["optional-dependencies"]["test"]
    return dict(normalise(r) for r in requirements), data["requires-python"]


def conda():
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    plain = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    found = dict(normalise(d) for d in plain + [p for p in pip if not p.startswith("-e")])
    return found, found.pop("python"), found.pop("pip")


def test_same_dependencies_and_ranges():
    pip_deps, _ = pyproject()
    conda_deps, _, _ = conda()
    assert conda_deps == pip_deps


def test_same_python_range():
    _, requires_python = pyproject()
    _, python, _ = conda()
    assert python == ",".join(sorted(requires_python.split(",")))


def test_conda_env_installs_the_project_itself():
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-e ." in pip


def test_console_script_is_declared():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert data["scripts"]["labkit"] == "labkit.cli:main"


def test_every_package_is_listed():
    """pyproject.toml lists labkit's packages by name (the lessons are mapped into it), so a new one must be added."""
    from setuptools import find_packages

    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert set(find_packages(str(ROOT), include=["labkit*"])) <= set(listed)
