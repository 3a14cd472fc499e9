"""The files an open-source package ships besides its code: licence, type marker, changelog."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def test_py_typed_is_shipped_as_package_data():
    assert (ROOT / "dbtmeta" / "py.typed").read_bytes() == b""
    setuptools = _pyproject()["tool"]["setuptools"]  # type: ignore[index]
    assert "py.typed" in setuptools["package-data"]["dbtmeta"]


def test_license_is_the_full_apache_2_text_and_declared():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "9. Accepting Warranty or Additional Liability." in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text
    project = _pyproject()
    assert project["project"]["license"] == {"text": "Apache-2.0"}  # type: ignore[index]
    assert project["tool"]["setuptools"]["license-files"] == ["LICENSE"]  # type: ignore[index]


def test_changelog_keeps_a_changelog_with_an_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    unreleased = text.split("## [Unreleased]\n", 1)[1]
    assert "### Added" in unreleased
    for command in (
        "sync-exposures",
        "stale-dashboards",
        "lineage",
        "impact",
        "check-exposures",
        "check-fields",
    ):
        assert f"`dbtmeta {command}`" in unreleased or f"dbtmeta {command}" in unreleased, command
