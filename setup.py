"""Wheel build hook: copy Qlik's JavaScript from node_modules into the package first; and
README.md as the long description a package index shows.

Everything else is in pyproject.toml. The copy is src/qlik_jwt/embedding/vendor.py (standard
library only, loaded by path because the build has nothing installed). A wheel build fails
clearly without node_modules or an earlier copy; an editable install (`make install`, which
runs before `make node-deps`) does not need the files yet.
"""

from __future__ import annotations

import re
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


def long_description() -> str:
    """README.md for a package index. Its screenshots are files of the repository, which a
    package index cannot show (the project has no public host to link to), so each image
    becomes its caption in italics."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"*(screenshot: \1)*", text)


setup(
    cmdclass={"build_py": BuildPyWithVendorFiles},
    long_description=long_description(),
    long_description_content_type="text/markdown",
)
