"""Throughput measured with `wrk`, a C load generator, for load.py's default mode.

The Python client of load.py costs about 0.2 ms a request, as much as a bare "hello" costs
to serve, so its ratios are squeezed towards 1. `wrk` costs a fraction of that. Each run is
one `wrk` process (2 threads, 16 connections by default) against one gunicorn server; its
Lua script sets the method, headers and body, makes each lead's email unique, and prints
its summary as one JSON line that is parsed here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

# The placeholder load.py puts in a lead's email; replaced per request by the script.
PLACEHOLDER = "__N__"

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %d, "micros": %d, "status": %d, "connect": %d, "read": %d,'
    .. ' "write": %d, "timeout": %d, "p50": %d, "p99": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""

# Each thread numbers its own requests; the run's token and the thread's number keep the
# emails apart across threads and runs on the same database.
_UNIQUE = """
local counter = 0
local thread_no = 0
setup = function(thread)
  thread:set("thread_no", thread_no)
  thread_no = thread_no + 1
end
request = function()
  counter = counter + 1
  local body = template:gsub("{placeholder}", token .. "t" .. thread_no .. "n" .. counter)
  return wrk.format(nil, nil, nil, body)
end
"""


def available() -> bool:
    """Tell whether `wrk` is on PATH."""
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    """Quote `text` as a Lua long string (none of the bodies contain its closing bracket)."""
    if "]==]" in text:
        raise ValueError("body contains the Lua long-string terminator")
    return f"[==[{text}]==]"


def script(method: str, body: str | None, headers: dict[str, str]) -> str:
    """The Lua script of one endpoint: method, headers, body, unique emails, JSON summary."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    lines += [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    if body is not None and PLACEHOLDER in body:
        lines.append(f"template = {_lua_string(body)}")
        lines.append(f'token = "{uuid.uuid4().hex[:12]}"')
        lines.append(_UNIQUE.replace("{placeholder}", PLACEHOLDER))
    return "\n".join(lines) + _DONE


@dataclass
class Run:
    """One wrk run: completed requests per second, failures and latency percentiles."""

    rate: float
    requests: int
    bad_status: int
    socket_errors: int
    p50_ms: float
    p99_ms: float


def run(
    port: int,
    path: str,
    lua: str,
    workdir: Path,
    *,
    seconds: float,
    threads: int = 2,
    connections: int = 16,
) -> Run:
    """Run wrk against 127.0.0.1:`port``path` with `lua`; return its figures.

    A request answered with a status of 400 or more counts as failed, not as done.
    """
    name = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    name.write_text(lua)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(name),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    figures = json.loads(line.removeprefix("WRK-JSON "))
    good = figures["requests"] - figures["status"]
    return Run(
        rate=good / (figures["micros"] / 1e6),
        requests=figures["requests"],
        bad_status=figures["status"],
        socket_errors=sum(figures[k] for k in ("connect", "read", "write", "timeout")),
        p50_ms=figures["p50"] / 1000,
        p99_ms=figures["p99"] / 1000,
    )
