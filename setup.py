"""Wheel build hook: copy Qlik's JavaScript from node_modules into the package first.

Everything else is in pyproject.toml. The copy is src/qlik_jwt/embedding/vendor.py (standard
library only, loaded by path because the build has nothing installed). A wheel build fails
clearly without node_modules or an earlier copy; an editable install (`make install`, which
runs before `make node-deps`) does not need the files yet.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
VENDOR = runpy.run_path(str(ROOT / "src" / "qlik_jwt" / "embedding" / "vendor.py"))


class BuildPyWithVendorFiles(build_py):
    def run(self) -> None:
        editable = bool(getattr(self, "editable_mode", False))
        print("vendor:", VENDOR["prepare"](ROOT / "node_modules", required=not editable))
        super().run()


setup(cmdclass={"build_py": BuildPyWithVendorFiles})
