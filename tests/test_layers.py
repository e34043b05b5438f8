"""Every module of a domain is either a view or under the services import contract.

The contract in pyproject.toml (``lint-imports``, run by .ci/run) forbids the
ledger, services and models to import Flask or the web layer; it names modules
by wildcard (``backend.*.services``) or one by one. A new module that is in
neither group would escape it silently: this test says which.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Modules that face a request, a command line or the scheduler: they may use the web layer.
VIEWS = {"api", "console", "cli", "schemas", "__init__"}
SHELL = {
    "backend.receipts.http",
    "backend.jobs.cli",
    "backend.jobs.entries",
    "backend.jobs.registry",
    "backend.jobs.runner",
    "backend.jobs.scheduler",
}
WEB_PACKAGES = {"web", "console"}


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == contract_id)


def _covered(module: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(module, pattern.replace("*", "[!.]*")) if "*" in pattern else module == pattern
        for pattern in patterns
    )


def test_every_domain_module_is_a_view_or_under_the_services_contract():
    patterns = _contract("services")["source_modules"] + _contract("core")["source_modules"]
    loose = []
    # Subpackages too (backend.finance.reconciliation.*): a wildcard covers one level only.
    for path in sorted((ROOT / "backend").glob("*/**/*.py")):
        package, name = path.relative_to(ROOT / "backend").parts[0], path.stem
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if package in WEB_PACKAGES or name in VIEWS or module in SHELL:
            continue
        if not _covered(module, patterns):
            loose.append(module)
    assert loose == [], f"add these to the services contract in pyproject.toml (or make them views): {loose}"


def test_the_contract_names_no_module_that_does_not_exist():
    for contract_id in ("core", "services"):
        for pattern in _contract(contract_id)["source_modules"]:
            if "*" not in pattern:
                parts = pattern.split(".")
                assert (
                    ROOT.joinpath(*parts).with_suffix(".py").exists()
                    or (ROOT.joinpath(*parts) / "__init__.py").exists()
                ), pattern
