"""The facts of the machine a benchmark ran on, printed beside its table.

Absolute rates depend on these (and on whatever else the machine was doing); the ratios
measured side by side in one run are what the benchmarks are about.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

__all__ = [
    "REPO",
    "cpu_model",
    "cpu_seconds",
    "facts",
    "node_package_version",
    "print_facts",
    "print_node_peer_facts",
    "rates",
    "tool_version",
]

REPO = Path(__file__).resolve().parents[1]
PYTHON_PACKAGES = ("qlik-jwt", "cryptography", "pyjwt", "fastapi", "starlette", "uvicorn")


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a process, from ``/proc/<pid>/stat``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the command name may hold spaces
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants."""
    stats = {p: s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(p)) is not None}
    family, total = {str(pid)}, 0.0
    grew = True
    while grew:
        grew = False
        for p, (parent, _) in stats.items():
            if str(parent) in family and p not in family:
                family.add(p)
                grew = True
    for p in family:
        if p in stats:
            total += stats[p][1]
    return total


def rates(work: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls of ``work`` per second and per CPU-second of this thread, over ``seconds``.

    The second figure does not drop when other processes take the CPU away meanwhile.
    """
    calls, start, cpu_start = 0, time.perf_counter(), time.thread_time()
    while True:
        work()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed, calls / max(time.thread_time() - cpu_start, 1e-9)


def tool_version(*command: str) -> str:
    """The first line a ``--version`` style command prints, or ``"not found"``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "not found"


def node_package_version(name: str) -> str:
    """The version of an npm package installed in the repository's ``node_modules``."""
    manifest = REPO / "node_modules" / name / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "not installed"


def _python_package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def facts(*tools: tuple[str, ...]) -> dict[str, str]:
    """CPU, cores, Python and the packages measured, plus ``tools`` (commands printing
    their version, e.g. ``("node", "--version")``)."""
    found = {
        "CPU": cpu_model(),
        "cores": f"{os.cpu_count()} (load average {os.getloadavg()[0]:.1f} at start)",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Python packages": ", ".join(f"{p} {_python_package(p)}" for p in PYTHON_PACKAGES),
    }
    for command in tools:
        found[command[0]] = tool_version(*command)
    return found


def print_facts(*tools: tuple[str, ...]) -> None:
    """Print :func:`facts` as one Markdown line per fact."""
    for name, value in facts(*tools).items():
        print(f"- {name}: {value}")


def print_node_peer_facts(*packages: str) -> None:
    """:func:`print_facts` with node and wrk, and the versions of the npm ``packages``."""
    print_facts(("node", "--version"), ("wrk", "--version"))
    print("- npm: " + ", ".join(f"{name} {node_package_version(name)}" for name in packages))
