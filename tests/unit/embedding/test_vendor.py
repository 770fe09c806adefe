"""Qlik's JavaScript in the package: copied from node_modules with licences, served by name,
never committed, and a clear refusal when it is neither built nor buildable."""

from __future__ import annotations

import gzip
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from qlik_jwt.embedding.static import static_file
from qlik_jwt.embedding.vendor import (
    CHART_MODULES,
    VENDOR_DIR,
    VENDOR_FILES,
    VendorMissingError,
    copy_vendor_files,
    missing_vendor_files,
    prepare,
)
from tests.support.node import NODE_MODULES, REPO

FRONT_END = REPO / "src" / "qlik_jwt" / "web" / "static"


def fake_node_modules(root: Path) -> Path:
    for item in VENDOR_FILES:
        package = root / item.package
        (package / item.source).parent.mkdir(parents=True, exist_ok=True)
        (package / item.source).write_text(f"/* {item.package} */", encoding="utf-8")
        (package / "package.json").write_text('{"version": "1.2.3"}', encoding="utf-8")
        (package / "LICENSE").write_text("MIT", encoding="utf-8")
    return root


def test_the_build_copies_every_file_with_its_licence(tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    manifest = copy_vendor_files(fake_node_modules(tmp_path / "node_modules"), target)
    assert missing_vendor_files(target) == []
    packed = gzip.decompress((target / "stardust.js.gz").read_bytes())
    assert packed == b"/* @nebula.js/stardust */"
    files = manifest["files"]
    assert isinstance(files, dict) and set(files) == {item.name for item in VENDOR_FILES}
    stardust = files["stardust.js"]
    assert stardust["package"] == "@nebula.js/stardust" and stardust["version"] == "1.2.3"
    assert (target / stardust["license"]).read_text() == "MIT"
    assert json.loads((target / "manifest.json").read_text()) == manifest


def test_prepare_uses_an_earlier_copy_or_refuses_naming_the_fix(tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    nowhere = tmp_path / "no-node-modules"
    with pytest.raises(VendorMissingError) as refused:
        prepare(nowhere, target)
    assert "stardust.js" in str(refused.value) and "make node-deps" in str(refused.value)
    assert "skipped" in prepare(nowhere, target, required=False)  # an editable install
    copy_vendor_files(fake_node_modules(tmp_path / "node_modules"), target)
    assert "already holds" in prepare(nowhere, target)  # a wheel built from an sdist


def test_the_repository_built_them_and_serves_them_by_name() -> None:
    assert (NODE_MODULES / "@nebula.js" / "stardust").is_dir(), "run `make node-deps`"
    assert missing_vendor_files() == [], "run `make node-deps`"
    found = static_file("stardust.js")
    assert found is not None and found.path.parent == VENDOR_DIR.resolve()
    assert found.media_type.startswith("text/javascript")
    schema = static_file("enigma-schema.json")
    assert schema is not None and schema.media_type == "application/json"
    assert static_file("licenses") is None and static_file("../vendor/stardust.js") is None


def test_the_page_and_the_build_name_the_same_chart_modules() -> None:
    script = (FRONT_END / "nebula-view.js").read_text(encoding="utf-8")
    for qtype, item in CHART_MODULES.items():
        assert f'{qtype}: "{item.name}"' in script


def test_the_wheel_includes_them() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["qlik_jwt"]
    package = REPO / "src" / "qlik_jwt"
    included = {p for pattern in patterns for p in package.glob(pattern)}
    for item in VENDOR_FILES:
        assert VENDOR_DIR / item.name in included, item.name
        assert VENDOR_DIR / f"{item.name}.gz" in included, item.name
    assert any(p.parent.name == "licenses" for p in included)


def test_no_third_party_build_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [name for name in tracked if "/static/vendor/" in name] == []
    # Every Qlik build (enigma.js, stardust, sn-*) starts with Qlik's copyright banner.
    banners = subprocess.run(
        ["git", "grep", "-l", "-E", r"Copyright \(c\) [0-9]+ QlikTech"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert banners == []
