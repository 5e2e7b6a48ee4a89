"""Back-office load check: the lead list and full exports against many leads.

Creates N leads (default 100,000) in a temporary SQLite database (or the PostgreSQL
database given with --database-url: use a scratch one; the benchmark clinic and its
leads are deleted at the end), then measures through the Flask test client, signed in
as an administrator:

- the leads list: first page, a filtered page, a search (median of several runs);
- a full CSV export and a full XLSX export, each in a fresh subprocess, with wall time
  and peak memory (how far the process's peak RSS rose above its size before the export).

Targets: list pages < 200 ms; CSV of 100k < 5 s of CPU with peak < 150 MB; XLSX < 15 s of
CPU. The exports are judged on their CPU time: wall time grows with whatever else shares
the machine.

    .venv/bin/python benchmarks/leads.py [--leads N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quiz.runtime import questionnaire, vault

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Benchmark-pass-2026"
ADMIN = "bench-admin@example.com"
SLUG = "bench-clinic"
TARGETS = {"list": 0.2, "csv": 5.0, "xlsx": 15.0, "csv_mb": 150}


def make_app(database_url: str, instance: str):
    from quiz import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        },
        instance_path=instance,
    )


def seed(app, count: int) -> None:
    """Insert `count` leads in bulk, all sharing one encrypted health-data blob."""
    from sqlalchemy import insert

    from quiz import services
    from quiz.extensions import db
    from quiz.models import Lead
    from quiz.scoring import score
    from quiz.services import users
    from tests.helpers import answer_everything

    with app.app_context():
        db.create_all()
        old = services.get_clinic(SLUG)
        if old is not None:
            db.session.delete(old)
            db.session.commit()
        if users.find_user(ADMIN) is None:
            users.create_user(ADMIN, "admin", PASSWORD)
        clinic = services.create_clinic(SLUG, services.ClinicFields("Benchmark Clinic"))
        quiz = questionnaire()
        result = score(quiz, answer_everything(quiz))
        blob = vault().encrypt(
            {
                "answers": {k: list(v) for k, v in result.answers.items()},
                "scores": result.scores,
                "reasons": [],
                "content": [c.id for c in result.content],
                "outcome_title": result.outcome.title.get("en"),
            }
        )
        suitabilities = ("good", "possible", "consult", "not_suitable")
        statuses = ("new", "contacted", "booked", "won", "lost")
        sources = ("instagram", "google", "facebook", "newsletter", None)
        surnames = ("Smith", "Jones", "Garcia", "Müller", "Rossi", "Nowak", "Dubois", "Silva")
        start = datetime.now(UTC) - timedelta(days=365)
        batch = []
        for n in range(count):
            created = start + timedelta(seconds=n * 365 * 86400 // max(count, 1))
            batch.append(
                {
                    "public_id": f"00000000-0000-4000-8000-{n:012d}",
                    "clinic_id": clinic.id,
                    "created_at": created,
                    "submission_id": f"bench-{n}",
                    "name": f"Visitor {n} {surnames[n % len(surnames)]}",
                    "email": f"visitor{n}@example.com",
                    "phone": f"+44 7700 {n % 1000000:06d}",
                    "language": "en",
                    "consent_contact_at": created,
                    "consent_health_at": created,
                    "consent_marketing_at": created if n % 3 == 0 else None,
                    "consent_version": f"{quiz.consent_version}:en",
                    "wants_copy": False,
                    "suitability": suitabilities[n % 4],
                    "outcome_id": result.outcome.id,
                    "top_area": result.top_area,
                    "questionnaire_version": quiz.version,
                    "health_data": blob,
                    "utm_source": sources[n % 5],
                    "utm_campaign": f"campaign-{n % 20}",
                    "page_url": "https://clinic.example/skin",
                    "status": statuses[n % 5],
                }
            )
            if len(batch) == 10_000:
                db.session.execute(insert(Lead), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(insert(Lead), batch)
            db.session.commit()


def signed_in_client(app):
    client = app.test_client()
    response = client.post("/admin/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def measure_lists(app) -> list[tuple[str, float]]:
    pages = {
        "list: first page": "/admin/leads",
        "list: filtered (suitability, status, source)": (
            "/admin/leads?suitability=good&status=new&utm_source=instagram"
        ),
        "list: search 'garcia'": "/admin/leads?q=garcia",
        "list: page 200": "/admin/leads?page=200",
        "list: sorted by name": "/admin/leads?sort=name",
    }
    results = []
    with app.app_context():
        client = signed_in_client(app)
        for label, path in pages.items():
            times = []
            for _ in range(5):
                began = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, (path, response.status_code)
            results.append((label, statistics.median(times)))
    return results


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _reset_peak() -> None:
    # Start-up peaks above the resting size; Linux lets a process reset its peak RSS.
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _peak_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1000
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000


def child_export(fmt: str, database_url: str, instance: str) -> None:
    """Run one export through the back office and print its figures as JSON."""
    from quiz.auth import Account
    from quiz.services import users

    app = make_app(database_url, instance)
    with app.app_context():
        # Sign in through the session, not the form: verifying an Argon2 hash takes 64 MiB,
        # which would hide the export's own peak in the process's maximum RSS.
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = Account(users.find_user(ADMIN)).get_id()
            session["_fresh"] = True
        _reset_peak()
        before = _rss_mb()
        began = time.perf_counter()
        cpu_began = time.process_time()
        response = client.post("/admin/leads/export", data={"format": fmt}, buffered=False)
        size = 0
        for chunk in response.iter_encoded():
            size += len(chunk)
        response.close()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        peak_rss = _peak_mb()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "bytes": size,
                "rss_growth_mb": max(0.0, peak_rss - before),
            }
        )
    )


def measure_export(fmt: str, database_url: str, instance: str, env: dict) -> dict:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            fmt,
            "--database-url",
            database_url,
            "--instance",
            instance,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="how many leads to create")
    parser.add_argument("--database-url", help="a scratch PostgreSQL URL (default: temp SQLite)")
    parser.add_argument("--child", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_export(args.child, args.database_url, args.instance)
        return

    from quiz.crypto import new_key

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SECRET_KEY": "benchmark-secret",
            "DATA_ENCRYPTION_KEY": new_key(),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update({k: env[k] for k in ("SECRET_KEY", "DATA_ENCRYPTION_KEY")})
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        instance = str(Path(tmp) / "instance")
        app = make_app(database_url, instance)
        began = time.perf_counter()
        seed(app, args.leads)
        backend = database_url.split(":", 1)[0]
        print(f"seeded {args.leads:,} leads in {time.perf_counter() - began:.1f} s ({backend})")
        rows = []
        for label, seconds in measure_lists(app):
            rows.append(
                (label, f"{seconds * 1000:.0f} ms", "", "< 200 ms", seconds < TARGETS["list"])
            )
        for fmt in ("csv", "xlsx"):
            figures = measure_export(fmt, database_url, instance, env)
            target = f"< {TARGETS[fmt]:.0f} s CPU" + (" and < 150 MB" if fmt == "csv" else "")
            ok = figures["cpu_seconds"] < TARGETS[fmt] and (
                fmt != "csv" or figures["rss_growth_mb"] < TARGETS["csv_mb"]
            )
            memory = (
                f"RSS +{figures['rss_growth_mb']:.0f} MB, {figures['bytes'] / 1e6:.0f} MB file, "
                f"CPU {figures['cpu_seconds']:.1f} s"
            )
            rows.append((f"export: {fmt}", f"{figures['seconds']:.1f} s", memory, target, ok))
        # Wall time suffers when other work shares the machine; CPU time is the export's own.
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'measure':48} {'time':>9}  {'memory':44} {'target':22} ok")
        for label, seconds, memory, target, ok in rows:
            print(f"{label:48} {seconds:>9}  {memory:44} {target:22} {'yes' if ok else 'NO'}")
        if args.database_url:
            with app.app_context():
                from quiz import services
                from quiz.extensions import db

                db.session.delete(services.get_clinic(SLUG))
                db.session.commit()


if __name__ == "__main__":
    main()
