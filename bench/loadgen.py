"""Bounded loopback load with ``wrk``: fixed duration, fixed connections, one thread.

Each load reports requests/s, p50 and p99 latency, and the CPU the server's processes used
meanwhile (so a rate can be read per CPU-second, whatever else the machine was doing). Any
non-2xx answer or socket error fails the run: a benchmark of refusals measures nothing.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ServerProcess

from bench.machine import cpu_seconds

__all__ = [
    "Load",
    "Target",
    "median_load",
    "missing_tools",
    "parse_wrk",
    "run_wrk",
    "spread",
    "wrk_script",
]

# Prints one line run_wrk parses: requests, microseconds, p50, p99, bad answers, errors.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured for one endpoint over one round."""

    rate: float
    p50_ms: float
    p99_ms: float
    cores: float  # CPU seconds the server's processes used per second of load
    client_cores: float = 0.0  # the same for wrk, the load generator

    @property
    def per_cpu_second(self) -> float:
        return self.rate / self.cores if self.cores else 0.0


@dataclass(frozen=True)
class Target:
    """An endpoint under load: its URL, the wrk script that calls it, its server processes."""

    name: str
    url: str
    script: Path
    servers: tuple[ServerProcess, ...]
    script_args: tuple[str, ...] = ()

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the server processes and their children."""
        return sum(cpu_seconds(s.proc.pid) for s in self.servers if s.proc is not None)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def missing_tools(*tools: str) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]


def wrk_script(path: Path, method: str, headers: dict[str, str], lua: str = "") -> Path:
    """Write a wrk script sending ``method`` with ``headers`` (plus any ``lua``)."""
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    path.write_text("\n".join(lines) + "\n" + lua + WRK_DONE)
    return path


def run_wrk(target: Target, seconds: float, connections: int) -> Load:
    """One fixed-duration load; raises RuntimeError on any error or non-2xx answer."""
    cpu_before, client_before = target.cpu_seconds(), _children_cpu()
    done = subprocess.run(
        [
            "wrk", "--threads", "1", "--connections", str(connections),
            "--duration", f"{max(1, round(seconds))}s", "--timeout", "10s",
            "--script", str(target.script), target.url, *_lua_args(target.script_args),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {target.name}:\n{done.stdout}\n{done.stderr}")
    cpu = target.cpu_seconds() - cpu_before
    return parse_wrk(done.stdout, target.name, cpu, _children_cpu() - client_before)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parse_wrk(output: str, name: str, cpu_used: float, client_cpu: float = 0.0) -> Load:
    """The :class:`Load` in wrk's output (the ``BENCH`` line our scripts print), given the
    CPU seconds the server and wrk used meanwhile. RuntimeError for refusals, errors or no
    line."""
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {name}:\n{output}")
    count, micros, p50, p99, bad, errors = (int(x) for x in line.split()[1:])
    if bad or errors or not count:
        raise RuntimeError(
            f"{name}: {bad} non-2xx answers and {errors} socket errors in {count} requests:\n"
            f"{output}"
        )
    seconds = micros / 1e6
    return Load(count / seconds, p50 / 1000, p99 / 1000, cpu_used / seconds, client_cpu / seconds)


def _lua_args(args: Sequence[str]) -> list[str]:
    return ["--", *args] if args else []


def spread(values: Sequence[float]) -> str:
    """``min-max`` of a series of rates, for the tables."""
    return f"{min(values):,.0f}-{max(values):,.0f}"


def median_load(loads: Sequence[Load]) -> Load:
    """The median of each figure over several rounds."""
    return Load(
        statistics.median(x.rate for x in loads),
        statistics.median(x.p50_ms for x in loads),
        statistics.median(x.p99_ms for x in loads),
        statistics.median(x.cores for x in loads),
        statistics.median(x.client_cores for x in loads),
    )
