"""Running Node scripts as real subprocesses, against the Node peers in ``node_modules``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
NODE_SCRIPTS = REPO / "tests" / "integration" / "node"


def require_node_modules(*packages: str) -> None:
    """Fail (never skip) with the fix when Node or a Node package is missing."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node 20 or newer (see the Makefile)")
    for package in packages:
        if not (NODE_MODULES / package / "package.json").is_file():
            pytest.fail(f"{NODE_MODULES / package} is missing: run `make node-deps`")


def run_node_json(script: str, *args: str, timeout: float = 30) -> Any:
    """Run ``tests/integration/node/<script>`` and parse the JSON it prints last."""
    done = subprocess.run(
        # qix.js and chart.js are ES modules without a package.json "type": say so quietly.
        [
            "node",
            "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON",
            str(NODE_SCRIPTS / script),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"node {script} exited {done.returncode}\n--- stderr ---\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        pytest.fail(f"node {script} printed nothing\n--- stderr ---\n{done.stderr}")
    return json.loads(lines[-1])
