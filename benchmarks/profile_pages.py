"""Profile the start page and the lead POST in-process (Flask test client, temporary SQLite).

Shows where the time of GET /embed/<clinic> and POST /api/v1/assessments goes, by cumulative
time, so a missed throughput goal in load.py can be traced to its cause.

    .venv/bin/python benchmarks/profile_pages.py [--requests 300] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    """Time and profile both requests; print mean milliseconds and the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    args = parser.parse_args(argv)
    if not 10 <= args.requests <= 5000:
        parser.error("--requests: keep it within 10-5000")

    from quiz import create_app, services
    from quiz.crypto import new_key
    from quiz.extensions import db
    from quiz.questions import load
    from tests.conftest import answer_everything

    with tempfile.TemporaryDirectory(prefix="quiz-profile-") as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/quiz.db",
                "RATELIMIT_ENABLED": False,
                "SECRET_KEY": "profile-" + uuid.uuid4().hex,
                "DATA_ENCRYPTION_KEY": new_key(),
            },
            instance_path=tmp,
        )
        with app.app_context():
            db.create_all()
            services.create_clinic("profile", services.ClinicFields("Profile Clinic"))
        answers = answer_everything(load(ROOT / "questions.json"))
        client = app.test_client()

        def start_page():
            assert client.get("/embed/profile").status_code == 200

        def lead():
            body = {
                "clinic": "profile",
                "language": "en",
                "answers": answers,
                "contact": {"name": "Profile", "email": f"p{uuid.uuid4().hex}@example.com"},
                "consent": {"contact": True, "health_data": True},
            }
            assert client.post("/api/v1/assessments", json=body).status_code == 201

        for name, call in (("GET /embed/<clinic>", start_page), ("POST lead", lead)):
            for _ in range(20):  # warm up: templates compiled, connections open
                call()
            began = time.perf_counter()
            for _ in range(args.requests):
                call()
            plain = (time.perf_counter() - began) / args.requests * 1000
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                call()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(args.top)
            print(f"\n=== {name}: {plain:.2f} ms a request without the profiler")
            print("\n".join(out.getvalue().splitlines()[4:]))
    print(json.dumps({"done": True}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
