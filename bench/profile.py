"""Where a server process spends its CPU under a load: py-spy samples, summed by package.

``profile(pid, seconds, load)`` runs ``py-spy record`` on ``pid`` (raw collapsed stacks)
while ``load()`` runs, and returns the share of samples whose innermost frame is in each
package (``httpcore``, ``uvicorn``, ``qlik_jwt.web.proxy.rest``, the standard library's
``asyncio``...), largest first. py-spy comes with the dev extra (``make install``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

__all__ = ["package_of", "profile", "shares"]

FRAME = re.compile(r"\((?P<path>[^():]+):\d+\)$")


def package_of(frame: str) -> str:
    """The package a py-spy frame (``function (path:line)``, the path as imported) belongs
    to; for qlik-jwt, its module."""
    match = FRAME.search(frame)
    if match is None:
        return "native"
    path = match.group("path")
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    if "qlik_jwt/" in path:
        module = path.split("qlik_jwt/", 1)[1].removesuffix(".py").replace("/", ".")
        return "qlik_jwt." + module
    return path.lstrip("/").split("/", 1)[0].removesuffix(".py")


def shares(collapsed: str) -> list[tuple[str, float]]:
    """Each package's share of the samples in py-spy's raw output, largest first."""
    counts: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        counts[package_of(stack.rsplit(";", 1)[-1])] += int(count)
    total = sum(counts.values()) or 1
    return [(name, count / total) for name, count in counts.most_common()]


def profile(pid: int, seconds: float, load: Callable[[], object]) -> list[tuple[str, float]]:
    """Package shares of ``pid``'s CPU while ``load()`` runs (it should last ``seconds``)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        recorder = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
             "--format", "raw", "--output", str(out), "--rate", "200", "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            load()
        finally:
            _, problem = recorder.communicate(timeout=seconds + 60)
        if recorder.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy could not sample process {pid}: {problem.strip()}")
        return shares(out.read_text())
