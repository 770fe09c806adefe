"""Qlik's JavaScript in the package: which npm files the page loads, and copying them.

enigma.js (the engine client, with its QIX schema), nebula.js stardust and the sn-* chart
modules come from the npm packages pinned in ``package-lock.json``. They are not committed:
the build copies their UMD builds (and a gzip copy of each) and licences from ``node_modules`` into
``qlik_jwt/web/static/vendor/`` (git-ignored), which the wheel includes and the web app serves
as ``/static/<name>``, so no script comes from another host.

Run ``python src/qlik_jwt/embedding/vendor.py`` (``make node-deps`` does, after ``npm ci``);
``setup.py`` runs it when building a wheel. Standard library only, so the build can load it
without installing anything.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHART_MODULES",
    "VENDOR_DIR",
    "VENDOR_FILES",
    "VendorFile",
    "VendorMissingError",
    "copy_vendor_files",
    "missing_vendor_files",
    "prepare",
]

VENDOR_DIR = Path(__file__).parents[1] / "web" / "static" / "vendor"
MANIFEST = "manifest.json"
BUILD_HINT = "run `make node-deps` (npm ci, then python src/qlik_jwt/embedding/vendor.py)"


@dataclass(frozen=True)
class VendorFile:
    """One file the page loads: its npm package, its path there, and its name when served."""

    package: str
    source: str
    name: str


def _chart(package: str) -> VendorFile:
    short = package.rpartition("/")[2]
    return VendorFile(package, f"dist/{short}.js", f"{short}.js")


# The visualization type (``qInfo.qType``/``visualization``) each chart module draws.
CHART_MODULES: dict[str, VendorFile] = {
    "barchart": _chart("@nebula.js/sn-bar-chart"),
    "linechart": _chart("@nebula.js/sn-line-chart"),
    "piechart": _chart("@nebula.js/sn-pie-chart"),
    "kpi": _chart("@nebula.js/sn-kpi"),
    "table": _chart("@nebula.js/sn-table"),
    "filterpane": _chart("@nebula.js/sn-filter-pane"),
}
# enigma's newest QIX schema: the emulator reports this engine version (see engine.state).
QIX_SCHEMA = VendorFile("enigma.js", "schemas/12.2027.0.json", "enigma-schema.json")
VENDOR_FILES: tuple[VendorFile, ...] = (
    VendorFile("enigma.js", "enigma.min.js", "enigma.min.js"),
    QIX_SCHEMA,
    VendorFile("@nebula.js/stardust", "dist/stardust.js", "stardust.js"),
    *CHART_MODULES.values(),
)


class VendorMissingError(Exception):
    """Qlik's JavaScript is neither in ``node_modules`` nor already copied."""


def _licence(package_dir: Path) -> Path:
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "license"):
        if (package_dir / name).is_file():
            return package_dir / name
    raise VendorMissingError(f"{package_dir} has no LICENSE file; {BUILD_HINT}")


def copy_vendor_files(node_modules: Path, target: Path = VENDOR_DIR) -> dict[str, object]:
    """Copy every vendor file and each package's licence into ``target``; write and return
    the manifest (served name -> package, version, bytes, sha256).

    Raises :class:`VendorMissingError` naming the first package or file that is missing.
    """
    target.mkdir(parents=True, exist_ok=True)
    (target / "licenses").mkdir(exist_ok=True)
    files: dict[str, object] = {}
    for item in VENDOR_FILES:
        package_dir = node_modules / item.package
        source = package_dir / item.source
        if not source.is_file():
            raise VendorMissingError(f"{source} is missing; {BUILD_HINT}")
        version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
        shutil.copyfile(source, target / item.name)
        # Served to browsers that accept gzip: 8 MB of JavaScript becomes 2.3 MB, at no cost
        # per request.
        data = source.read_bytes()
        (target / f"{item.name}.gz").write_bytes(gzip.compress(data, 9, mtime=0))
        licence = item.package.replace("@", "").replace("/", "-") + ".txt"
        shutil.copyfile(_licence(package_dir), target / "licenses" / licence)
        files[item.name] = {
            "package": item.package,
            "version": version,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "license": f"licenses/{licence}",
        }
    manifest: dict[str, object] = {"files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def missing_vendor_files(target: Path = VENDOR_DIR) -> list[str]:
    """Names of the vendor files not in ``target`` (empty when the build ran)."""
    return [item.name for item in VENDOR_FILES if not (target / item.name).is_file()]


def prepare(node_modules: Path, target: Path = VENDOR_DIR, *, required: bool = True) -> str:
    """Copy from ``node_modules`` when it holds the packages, else accept a complete earlier
    copy; say which. Raises :class:`VendorMissingError` when neither exists and ``required``."""
    if (node_modules / "@nebula.js" / "stardust").is_dir():
        copy_vendor_files(node_modules, target)
        return f"copied {len(VENDOR_FILES)} files from {node_modules} into {target}"
    missing = missing_vendor_files(target)
    if not missing:
        return f"{target} already holds every vendor file"
    if required:
        raise VendorMissingError(
            f"{node_modules} has no @nebula.js/stardust and {target} lacks "
            f"{', '.join(missing)}; {BUILD_HINT}"
        )
    return f"skipped: no {node_modules} and no earlier copy ({BUILD_HINT} before serving pages)"


if __name__ == "__main__":  # pragma: no cover - the build's entry point
    repo = Path(__file__).resolve().parents[3]
    try:
        print(prepare(repo / "node_modules"))
    except VendorMissingError as exc:
        sys.exit(f"vendor: {exc}")
