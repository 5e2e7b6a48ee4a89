"""Load benchmark: the quiz under gunicorn against a bare Flask "hello", on loopback only.

Measures, in one bounded run:
  * throughput of the hello app, the quiz's start page, a quiz step POST (answered with a
    303), the step page that 303 leads to, and a lead POST,
    with the ratio of each to hello (goals: start page >= 0.5, lead >= 0.3), and of a bare
    app that only INSERTs the same lead (floor_app.py: what the durable write alone costs);
  * request and whole-visit latency (p50/p95/p99) with 50 visitors at once, each going intro
    -> every step -> result, then sending a lead through the API;
  * "no lead lost": 200 visitors sending a lead at the same moment to 4 workers on SQLite,
    and on PostgreSQL too when --database-url is given;
  * with --postgres, the same visitors' latency and the burst on a throwaway PostgreSQL
    cluster that the benchmark starts and deletes itself (servers.py, shared with outage.py).

    .venv/bin/python benchmarks/load.py [--seconds 5] [--postgres]
        [--database-url postgresql+psycopg://...]

Both servers run with gunicorn.conf.py (2 workers unless said otherwise); a phase begins once
every worker has loaded its app, and each throughput phase sends for a second before it starts
counting. The load generator runs on the same machine, so on a small box it takes CPU from the
servers: compare ratios, not absolute figures, between machines. Everything stops by itself;
servers are always killed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import ROOT, base_env, default_answers, flask, gunicorn, throwaway_postgres

LEAD_TEMPLATE = "__N__"
# Seconds each throughput phase sends before it starts counting.
WARM_UP = 1.0
GOALS = {"start page": 0.5, "lead POST": 0.3}
COUNT_LEADS = (
    "SELECT count(*) FROM leads JOIN clinics ON clinics.id = leads.clinic_id"
    " WHERE clinics.slug = :slug"
)


# --- the client --------------------------------------------------------------------------


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """Send one request on a fresh connection (sync workers close it anyway), and follow a
    303 with a GET as a browser does: an answered quiz step is a POST and then a GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        status, data, location = response.status, response.read(), response.getheader("Location")
    finally:
        conn.close()
    if status == 303 and location:
        return request(port, "GET", location)
    return status, data


@dataclass
class Tally:
    """What one phase measured: completed requests, failures and latencies in seconds."""

    done: int = 0
    failed: int = 0
    statuses: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    leads: list = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.done += other.done
        self.failed += other.failed
        for key, value in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + value
        self.latencies += other.latencies
        self.visits += other.visits
        self.leads += other.leads


def _hammer(port, spec, window, threads, ok) -> Tally:
    """In one process: `threads` loops sending `spec`; counts what completes inside `window`.

    `window` is (start, end) in time.time() seconds, shared by every process: the loops start
    sending before it opens, so the measured seconds begin with every connection, cache and
    worker already busy, and a request counts when its answer arrives inside the window.
    """
    method, path, body, headers = spec
    opens, closes = window
    tally, lock = Tally(), threading.Lock()

    def loop():
        mine = Tally()
        while time.time() < closes:
            payload = body.replace(LEAD_TEMPLATE, uuid.uuid4().hex) if body else None
            started = time.perf_counter()
            try:
                status, _ = request(
                    port, method, path, payload.encode() if payload else None, headers
                )
            except OSError:
                status = 0
            if not opens <= time.time() <= closes:
                continue
            mine.latencies.append(time.perf_counter() - started)
            mine.statuses[status] = mine.statuses.get(status, 0) + 1
            if status in ok:
                mine.done += 1
            else:
                mine.failed += 1
        with lock:
            tally.add(mine)

    _run_threads(loop, threads)
    return tally


def _run_threads(target, count: int) -> None:
    workers = [threading.Thread(target=target) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def throughput(port, spec, seconds, processes, threads, ok=(200,)) -> tuple[float, Tally]:
    """Requests per second that answered with an `ok` status, over `processes` x `threads`.

    The clients send for WARM_UP seconds before the measured `seconds` begin.
    """
    total = Tally()
    opens = time.time() + WARM_UP
    with ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_hammer, port, spec, (opens, opens + seconds), threads, ok)
            for _ in range(processes)
        ]
        for future in futures:
            total.add(future.result())
    return total.done / seconds, total


# --- the visitor's path ------------------------------------------------------------------

_STATE = re.compile(r'name="state" value="([^"]+)"')
_FIELD = re.compile(r'name="q-([A-Za-z0-9_\-]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
# What a browser adds to every page request: the quiz's pages are sent compressed to it.
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def _timed(tally: Tally, port, method, path, body=None, headers=None):
    started = time.perf_counter()
    status, data = request(port, method, path, body, headers)
    tally.latencies.append(time.perf_counter() - started)
    tally.statuses[status] = tally.statuses.get(status, 0) + 1
    if status >= 400:
        tally.failed += 1
        raise RuntimeError(f"{method} {path}: {status}")
    tally.done += 1
    return data.decode()


def visit(port: int, clinic: str, answers: dict, tally: Tally, think: float = 0.0) -> None:
    """One visitor: intro, start, every step with `answers`, the result, then a lead.

    `think` seconds pass before each request after the first, as a person reads and clicks.
    """
    from urllib.parse import urlencode

    started = time.perf_counter()
    page = _timed(tally, port, "GET", f"/embed/{clinic}")
    token = _STATE.search(page).group(1)
    time.sleep(think)
    page = _timed(
        tally,
        port,
        "POST",
        f"/embed/{clinic}/step",
        urlencode({"state": token, "action": "start"}),
        FORM,
    )
    for _ in range(50):  # a bound: no questionnaire has that many steps
        names = dict.fromkeys(_FIELD.findall(page))
        if not names:
            break
        form = [("state", _STATE.search(page).group(1)), ("action", "next")]
        for name in names:
            form += [(f"q-{name}", value) for value in answers.get(name, [])]
        time.sleep(think)
        page = _timed(tally, port, "POST", f"/embed/{clinic}/step", urlencode(form), FORM)
    time.sleep(think)
    _timed(
        tally,
        port,
        "POST",
        "/api/v1/assessments",
        lead_body(clinic, answers).replace(LEAD_TEMPLATE, uuid.uuid4().hex).encode(),
        JSON,
    )
    tally.leads.append(tally.latencies[-1])
    tally.visits.append(time.perf_counter() - started)


def _visitors(port, clinic, answers, seconds, threads, think=0.0) -> Tally:
    """In one process: `threads` visitors going through the path again and again."""
    tally, lock = Tally(), threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop():
        mine = Tally()
        while time.perf_counter() < deadline:
            # A failed visit is counted in the tally; the visitor starts again.
            with suppress(OSError, RuntimeError, AttributeError):
                visit(port, clinic, answers, mine, think)
        with lock:
            tally.add(mine)

    _run_threads(loop, threads)
    return tally


def lead_body(clinic: str, answers: dict) -> str:
    """A lead submission whose email carries a placeholder made unique per request."""
    return json.dumps(
        {
            "clinic": clinic,
            "language": "en",
            "answers": answers,
            "contact": {"name": "Bench Visitor", "email": f"v{LEAD_TEMPLATE}@example.com"},
            "consent": {"contact": True, "health_data": True},
            "source": {"utm_source": "benchmark"},
        }
    )


# --- no lead lost ------------------------------------------------------------------------


def burst(port: int, clinic: str, answers: dict, visitors: int) -> Tally:
    """`visitors` threads each send one lead at the same moment."""
    tally, lock = Tally(), threading.Lock()
    gate = threading.Barrier(visitors)
    body = lead_body(clinic, answers)

    def one():
        gate.wait()
        started = time.perf_counter()
        try:
            status, _ = request(
                port,
                "POST",
                "/api/v1/assessments",
                body.replace(LEAD_TEMPLATE, uuid.uuid4().hex).encode(),
                JSON,
            )
        except OSError:
            status = 0
        with lock:
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 201:
                tally.done += 1
            else:
                tally.failed += 1

    _run_threads(one, visitors)
    return tally


def count_leads(database_url: str, clinic: str) -> int:
    """Count the clinic's stored leads straight from the database."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as conn:
            sql = COUNT_LEADS.replace(":slug", "?")
            return conn.execute(sql, (clinic,)).fetchone()[0]
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(COUNT_LEADS), {"slug": clinic}).scalar_one()
    finally:
        engine.dispose()


def no_lead_lost(database_url: str, visitors: int, workdir: Path, label: str) -> dict:
    """Serve a fresh clinic with 4 workers and send `visitors` leads at once; count them."""
    env = base_env(database_url)
    clinic = "bench-" + uuid.uuid4().hex[:8]
    flask(env, "db", "upgrade")
    flask(env, "clinic", "create", clinic, "--name", "Benchmark Clinic")
    log = workdir / f"burst-{label}.log"
    with gunicorn("wsgi:app", env, 4, log) as port:
        tally = burst(port, clinic, default_answers(), visitors)
    text = log.read_text()
    for line in [x for x in text.splitlines() if '"level": "ERROR"' in x][:5]:
        print(f"server ({label}): {line[:300]}")
    return {
        "database": label,
        "sent": visitors,
        "201": tally.done,
        "errors": tally.failed,
        "statuses": tally.statuses,
        "stored": count_leads(database_url, clinic),
        "locked": text.count("database is locked"),
        "p95": percentile(tally.latencies, 95),
    }


# --- report ------------------------------------------------------------------------------


def percentile(values: list[float], pct: int) -> float:
    """The pct-th percentile in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[rank] * 1000


def crowd_latency(port: int, clinic: str, answers: dict, args, per_process: int) -> Tally:
    """Latency of `per_process` x `args.processes` visitors going through the quiz at once."""
    visits = Tally()
    with ProcessPoolExecutor(args.processes) as pool:
        futures = [
            pool.submit(_visitors, port, clinic, answers, args.seconds * 2, per_process, args.think)
            for _ in range(args.processes)
        ]
        for future in futures:
            visits.add(future.result())
    return visits


def print_latency(title: str, visits: Tally) -> None:
    """Print request and whole-visit percentiles, and the lead POSTs' own."""
    failed = {k: v for k, v in visits.statuses.items() if k >= 400}
    print(f"\nLatency: {title}")
    print(f"{'':<22} {'p50':>7} {'p95':>7} {'p99':>7}   count")
    rows = [
        ("each request (ms)", visits.latencies, f"({visits.failed} failed: {failed or '-'})"),
        ("lead POST (ms)", visits.leads, ""),
        ("whole visit (ms)", visits.visits, "visits"),
    ]
    for label, values, note in rows:
        print(
            f"{label:<22} {percentile(values, 50):>7.0f} {percentile(values, 95):>7.0f}"
            f" {percentile(values, 99):>7.0f}   {len(values)} {note}"
        )


def throwaway_postgres_run(answers: dict, args, per_process: int, workdir: Path) -> dict:
    """On a PostgreSQL cluster of its own: the burst of leads, then the visitors' latency."""

    with throwaway_postgres() as cluster:
        # The burst first, on a database that has never stored a lead: the first leads after
        # a deploy are the ones that race to store the questionnaire's snapshot.
        burst = no_lead_lost(cluster.url, args.burst, workdir, "postgresql")
        env = base_env(cluster.url)
        clinic = "bench"
        flask(env, "db", "upgrade")
        flask(env, "clinic", "create", clinic, "--name", "Benchmark Clinic")
        with gunicorn("wsgi:app", env, args.workers, workdir / "quiz-pg.log") as port:
            visits = crowd_latency(port, clinic, answers, args, per_process)
            # The lead POST's throughput here too: on SQLite it queues on the one write lock.
            spec = ("POST", "/api/v1/assessments", lead_body(clinic, answers), JSON)
            rate, tally = throughput(port, spec, args.seconds, args.processes, args.threads, (201,))
        with gunicorn(
            "hello_app:app", env, args.workers, workdir / "hello-pg.log", ROOT / "benchmarks"
        ) as port:
            hello, _ = throughput(
                port, ("GET", "/", None, {}), args.seconds, args.processes, args.threads
            )
        goal = GOALS["lead POST"]
        verdict = "met" if rate / hello >= goal else "MISSED"
        print(
            f"\nPostgreSQL lead POST: {rate:.0f} req/s, {rate / hello:.2f} of hello ({hello:.0f}),"
            f" goal {goal}: {verdict} ({tally.failed} failed)"
        )
        # A failed request is explained by the server's own error lines; show the first few.
        errors = [
            line
            for line in (workdir / "quiz-pg.log").read_text().splitlines()
            if '"level": "ERROR"' in line or '"level": "WARNING"' in line
        ]
        for line in errors[:5]:
            print(f"server: {line[:300]}")
        crowd = per_process * args.processes
        print_latency(
            f"PostgreSQL, {crowd} visitors at once, think {args.think:g}s ({args.seconds * 2:g}s)",
            visits,
        )
        return burst


def step_address(port: int, clinic: str, form: str) -> str:
    """The address a step POST sends the browser to (its 303's Location): the next step."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", f"/embed/{clinic}/step", body=form.encode(), headers=FORM)
        response = conn.getresponse()
        response.read()
        status, location = response.status, response.getheader("Location")
    finally:
        conn.close()
    if status != 303 or not location:
        raise SystemExit(f"step POST answered {status}, not a 303 to the next step")
    return location


def step_form(port: int, clinic: str, answers: dict) -> str:
    """The form body of the first question's step POST, with a valid state token."""
    from urllib.parse import urlencode

    intro = request(port, "GET", f"/embed/{clinic}")[1].decode()
    token = _STATE.search(intro).group(1)
    started = request(
        port,
        "POST",
        f"/embed/{clinic}/step",
        urlencode({"state": token, "action": "start"}).encode(),
        FORM,
    )[1].decode()
    step_token = _STATE.search(started).group(1)
    first = _FIELD.findall(started)
    return urlencode(
        [("state", step_token), ("action", "next")]
        + [(f"q-{name}", value) for name in dict.fromkeys(first) for value in answers[name]]
    )


def python_throughput(env: dict, clinic: str, answers: dict, args, workdir: Path) -> None:
    """Throughput of the yardsticks and the quiz's pages with the Python client; print it."""
    rows = []
    with gunicorn(
        "hello_app:app", env, args.workers, workdir / "hello.log", ROOT / "benchmarks"
    ) as port:
        rate, tally = throughput(
            port, ("GET", "/", None, {}), args.seconds, args.processes, args.threads
        )
        rows.append(("hello", rate, tally))
    # What one durable INSERT costs on its own (floor_app.py): the ceiling for a lead POST.
    with gunicorn(
        "floor_app:app", env, args.workers, workdir / "floor.log", ROOT / "benchmarks"
    ) as port:
        spec = ("POST", "/api/v1/assessments", lead_body(clinic, answers), JSON)
        rate, tally = throughput(port, spec, args.seconds, args.processes, args.threads, (201,))
        rows.append(("lead floor", rate, tally))
    with gunicorn("wsgi:app", env, args.workers, workdir / "quiz-python.log") as port:
        form = step_form(port, clinic, answers)
        specs = [
            ("start page", ("GET", f"/embed/{clinic}", None, {}), (200,)),
            ("step POST", ("POST", f"/embed/{clinic}/step", form, FORM), (303,)),
            ("step page", ("GET", step_address(port, clinic, form), None, {}), (200,)),
            (
                "lead POST",
                ("POST", "/api/v1/assessments", lead_body(clinic, answers), JSON),
                (201,),
            ),
        ]
        for name, spec, ok in specs:
            rate, tally = throughput(port, spec, args.seconds, args.processes, args.threads, ok)
            rows.append((name, rate, tally))

    hello = rows[0][1]
    print("\nThroughput, Python client (requests/s that got the expected status)")
    print(
        f"{'endpoint':<12} {'req/s':>8} {'ratio':>6} {'goal':>5} {'ok':>7} {'failed':>6}",
        end="",
    )
    print("  p50/p95/p99 ms")
    for name, rate, tally in rows:
        goal = GOALS.get(name)
        ratio = rate / hello if hello else float("nan")
        mark = "" if goal is None else ("  met" if ratio >= goal else "  MISSED")
        print(
            f"{name:<12} {rate:>8.0f} {ratio:>6.2f} {goal or '':>5}"
            f" {tally.done:>7} {tally.failed:>6}"
            f"  {percentile(tally.latencies, 50):.0f}/{percentile(tally.latencies, 95):.0f}"
            f"/{percentile(tally.latencies, 99):.0f}{mark}"
        )


# What each page is compared to under wrk, and the ratio it has to reach (issue's goals).
WRK_GOALS = {
    "start page": ("hello", 0.6),
    "step POST": ("hello", 0.4),
    # The step's page, the GET a step POST's 303 leads to: the other half of each step.
    "step page": ("hello", 0.4),
    "lead POST": ("lead floor", 0.3),
}


def _quiz_leads(database_url: str) -> int:
    """Count the leads the quiz stored in the SQLite database (the floor app's are marked)."""
    with sqlite3.connect(database_url.split("///", 1)[1]) as conn:
        sql = "SELECT count(*) FROM leads WHERE consent_version != 'floor'"
        return conn.execute(sql).fetchone()[0]


def wrk_throughput(env: dict, clinic: str, answers: dict, args, workdir: Path) -> bool:
    """Throughput of the yardsticks and the quiz's pages with wrk; print it, True if all met.

    The three servers run side by side and every endpoint is measured once per round, in
    turn, so a neighbour's burst on a shared machine lands on one round, not on one
    endpoint; each ratio is taken within its round (the page against its yardstick measured
    a few seconds before) and the median round is reported. Each endpoint gets a warm-up
    run of wrk before its first measured one.
    """
    import statistics

    import wrk_driver

    lead = lead_body(clinic, answers)
    load_before = os.getloadavg()[0]
    bench_dir = ROOT / "benchmarks"
    w = args.wrk_workers
    with (
        gunicorn("hello_app:app", env, w, workdir / "hello.log", bench_dir) as hello,
        gunicorn("floor_app:app", env, w, workdir / "floor.log", bench_dir) as floor,
        gunicorn("wsgi:app", env, w, workdir / "quiz-wrk.log") as quiz,
    ):
        form = step_form(quiz, clinic, answers)
        endpoints = {
            "hello": (hello, "/", "GET", None, {}),
            "lead floor": (floor, "/api/v1/assessments", "POST", lead, JSON),
            "start page": (quiz, f"/embed/{clinic}", "GET", None, BROWSER),
            "step POST": (quiz, f"/embed/{clinic}/step", "POST", form, {**FORM, **BROWSER}),
            "step page": (quiz, step_address(quiz, clinic, form), "GET", None, BROWSER),
            "lead POST": (quiz, "/api/v1/assessments", "POST", lead, JSON),
        }
        scripts = {
            name: wrk_driver.script(method, body, headers)
            for name, (_, _, method, body, headers) in endpoints.items()
        }
        before = _quiz_leads(env["DATABASE_URL"])
        rounds: list[dict] = []
        for number in range(args.rounds):
            figures = {}
            for name, (port, path, *_) in endpoints.items():
                if number == 0:
                    wrk_driver.run(
                        port, path, scripts[name], workdir, seconds=1, connections=args.connections
                    )
                figures[name] = wrk_driver.run(
                    port,
                    path,
                    scripts[name],
                    workdir,
                    seconds=args.seconds,
                    connections=args.connections,
                )
            rounds.append(figures)
        # wrk counts any status under 400 as done: the database says whether each was a lead.
        stored = _quiz_leads(env["DATABASE_URL"]) - before
    load_after = os.getloadavg()[0]

    print(
        f"\nThroughput, wrk -t2 -c{args.connections} -d{args.seconds:g}s, gunicorn -w {w},"
        f" {args.rounds} rounds (load average {load_before:.2f} before, {load_after:.2f} after)"
    )
    print(
        f"{'endpoint':<12} {'req/s':>8} {'ratio':>6} {'of':<11} {'goal':>5} {'rounds':<17}"
        f" {'requests':>8} {'failed':>6} {'sockerr':>7}"
    )
    all_met = True
    for name in endpoints:
        runs = [r[name] for r in rounds]
        rate = statistics.median(f.rate for f in runs)
        base, goal = WRK_GOALS.get(name, (None, None))
        ratios = [r[name].rate / r[base].rate for r in rounds] if base else []
        ratio = statistics.median(ratios) if ratios else float("nan")
        failed = sum(f.bad_status for f in runs)
        met = goal is None or (ratio >= goal and failed == 0)
        all_met &= met
        print(
            f"{name:<12} {rate:>8.0f} {'' if base is None else f'{ratio:.2f}':>6}"
            f" {base or '':<11} {goal or '':>5} {' '.join(f'{x:.2f}' for x in ratios):<17}"
            f" {sum(f.requests for f in runs):>8} {failed:>6}"
            f" {sum(f.socket_errors for f in runs):>7}"
            f"{'' if goal is None else ('  met' if met else '  MISSED')}"
        )
    counted = sum(r["lead POST"].requests - r["lead POST"].bad_status for r in rounds)
    # At least one per answered request (warm-up included); requests still in flight when
    # wrk stops may be stored without being counted.
    leads_ok = stored >= counted
    print(
        f"lead POST: {stored} leads stored (warm-up included), {counted} answered in the"
        f" measured runs: {'ok' if leads_ok else 'LEADS MISSING'}"
    )
    return all_met and leads_ok


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the tables; exit 1 when a lead went missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each phase")
    parser.add_argument(
        "--driver",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator of the throughput phases (default: wrk when it is installed)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument(
        "--wrk-workers", type=int, default=4, help="gunicorn workers per server under wrk"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="wrk: times each endpoint is measured, in turn"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="stop after the throughput table (no latency, no burst)",
    )
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--visitors", type=int, default=50, help="visitors for the latency phase")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a visitor waits before each request (0: back to back, the server saturated)",
    )
    parser.add_argument(
        "--burst", type=int, default=200, help='leads sent at once ("no lead lost")'
    )
    parser.add_argument("--database-url", help="also run the burst on this PostgreSQL database")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also measure latency and the burst on a throwaway PostgreSQL cluster",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 60 or not 1 <= args.burst <= 1000 or not 1 <= args.visitors <= 500:
        parser.error("keep --seconds within 1-60, --burst within 1-1000, --visitors within 1-500")
    if not 1 <= args.rounds <= 10 or not 1 <= args.connections <= 256:
        parser.error("keep --rounds within 1-10 and --connections within 1-256")
    if not 1 <= args.wrk_workers <= 16 or not 1 <= args.workers <= 16:
        parser.error("keep --workers and --wrk-workers within 1-16")
    if not 0 <= args.think <= 10:
        parser.error("--think: keep it within 0-10 seconds")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url: expected postgresql+psycopg://...")

    answers = default_answers()
    with tempfile.TemporaryDirectory(prefix="quiz-bench-") as tmp:
        workdir = Path(tmp)
        env = base_env(f"sqlite:///{workdir / 'quiz.db'}")
        clinic = "bench"
        flask(env, "db", "upgrade")
        flask(env, "clinic", "create", clinic, "--name", "Benchmark Clinic")
        print(
            f"cpus={os.cpu_count()} workers={args.workers} client={args.processes}x{args.threads}"
            f" phase={args.seconds:g}s database=sqlite driver={args.driver}"
            f" load average={os.getloadavg()[0]:.2f}",
            flush=True,
        )

        if args.driver == "wrk":
            wrk_throughput(env, clinic, answers, args, workdir)
        else:
            python_throughput(env, clinic, answers, args, workdir)
        if args.throughput_only:
            return 0
        per_process = max(1, args.visitors // args.processes)
        with gunicorn("wsgi:app", env, args.workers, workdir / "quiz.log") as port:
            visits = crowd_latency(port, clinic, answers, args, per_process)
        quiz_log = (workdir / "quiz.log").read_text()

        crowd = per_process * args.processes
        print_latency(
            f"SQLite, {crowd} visitors at once, think {args.think:g}s ({args.seconds * 2:g}s)",
            visits,
        )

        bursts = [no_lead_lost(f"sqlite:///{workdir / 'burst.db'}", args.burst, workdir, "sqlite")]
        if args.database_url:
            bursts.append(no_lead_lost(args.database_url, args.burst, workdir, "postgresql"))
        if args.postgres:
            bursts.append(throwaway_postgres_run(answers, args, per_process, workdir))
        print(f"\nNo lead lost: {args.burst} leads sent at the same moment, gunicorn -w 4")
        print(f"{'database':<11} {'sent':>5} {'201':>5} {'errors':>6}", end="")
        print(f" {'stored':>6} {'locked':>6} {'p95 ms':>7}")
        lost = False
        for b in bursts:
            print(
                f"{b['database']:<11} {b['sent']:>5} {b['201']:>5} {b['errors']:>6}"
                f" {b['stored']:>6} {b['locked']:>6} {b['p95']:>7.0f}"
            )
            lost |= b["stored"] != b["sent"] or b["errors"] > 0 or b["locked"] > 0
        print(f"\n'database is locked' in the quiz log: {quiz_log.count('database is locked')}")
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
