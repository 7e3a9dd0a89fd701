"""Package discovery (pyproject.toml) ships every app of the project: an installed copy has each
app, its migrations and its sub-packages, and never the tests or the benchmarks."""

import tomllib
from pathlib import Path

import setuptools
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def _discovered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    # namespaces off: only folders with an __init__.py (static/, templates/, node_modules/ are not code)
    assert find.get("namespaces") is False
    return set(
        setuptools.find_packages(
            where=str(ROOT), include=find.get("include", ("*",)), exclude=find.get("exclude", ())
        )
    )


def _local_apps():
    """The apps whose code is in this repository (not in the virtualenv inside it)."""
    local = []
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if ROOT in path.parents and not path.relative_to(ROOT).parts[0].startswith("."):
            local.append(app)
    return local


def test_every_app_and_its_migrations_are_packaged():
    found = _discovered()
    assert "liaoning_tt" in found
    local = _local_apps()
    assert {"core", "accounts", "achievements", "dashboards", "exchange"} <= {app.name for app in local}
    for app in local:
        assert app.name in found, app.name
        for init in Path(app.path).rglob("__init__.py"):
            package = ".".join(init.parent.relative_to(ROOT).parts)
            assert package in found, package  # migrations, api, management.commands, ...


def test_tests_and_benchmarks_are_not_packaged():
    assert not {package.split(".")[0] for package in _discovered()} & {"tests", "benchmarks"}
