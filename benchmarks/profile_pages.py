"""Profile the start page, a step POST and the lead POST in-process (Flask test client).

Shows where the time of GET /embed/<clinic>, POST /embed/<clinic>/step (the first question
answered, answered with a 303), the step page it leads to (GET /embed/<clinic>/step?state=…)
and POST /api/v1/assessments goes on a temporary SQLite database, by cumulative time
(or --sort tottime), so a missed throughput goal in load.py can be traced to its cause.

    .venv/bin/python benchmarks/profile_pages.py [--requests 300] [--top 25] [--sort tottime]
        [--only start|step|page|lead] [--plain]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_STATE = re.compile(r'name="state" value="([^"]+)"')
_FIELD = re.compile(r'name="q-([A-Za-z0-9_\-]+)"')


def main(argv: list[str] | None = None) -> int:
    """Time and profile both requests; print mean milliseconds and the top functions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument(
        "--sort", choices=("cumulative", "tottime"), default="cumulative", help="profile order"
    )
    parser.add_argument(
        "--only", choices=("start", "step", "page", "lead"), help="profile one of the four requests"
    )
    parser.add_argument(
        "--plain", action="store_true", help="only time the requests, without the profiler"
    )
    args = parser.parse_args(argv)
    if not 10 <= args.requests <= 5000:
        parser.error("--requests: keep it within 10-5000")

    from werkzeug.datastructures import MultiDict

    from quiz import create_app, services
    from quiz.crypto import new_key
    from quiz.extensions import db
    from quiz.questions import load
    from tests.helpers import answer_everything

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

        intro = client.get("/embed/profile").get_data(as_text=True)
        first = client.post(
            "/embed/profile/step",
            data={"state": _STATE.search(intro).group(1), "action": "start"},
            follow_redirects=True,
        ).get_data(as_text=True)
        step_form = MultiDict(
            [("state", _STATE.search(first).group(1)), ("action", "next")]
            + [
                (f"q-{name}", value)
                for name in dict.fromkeys(_FIELD.findall(first))
                for value in answers[name]
            ]
        )

        def step():
            response = client.post("/embed/profile/step", data=step_form)
            assert response.status_code == 303, response.status_code

        next_step = client.post("/embed/profile/step", data=step_form).headers["Location"]

        def page():
            assert client.get(next_step).status_code == 200

        def lead():
            body = {
                "clinic": "profile",
                "language": "en",
                "answers": answers,
                "contact": {"name": "Profile", "email": f"p{uuid.uuid4().hex}@example.com"},
                "consent": {"contact": True, "health_data": True},
            }
            assert client.post("/api/v1/assessments", json=body).status_code == 201

        requests = {
            "start": ("GET /embed/<clinic>", start_page),
            "step": ("POST /embed/<clinic>/step", step),
            "page": ("GET /embed/<clinic>/step?state=…", page),
            "lead": ("POST lead", lead),
        }
        for key, (name, call) in requests.items():
            if args.only not in (None, key):
                continue
            for _ in range(20):  # warm up: templates compiled, connections open
                call()
            began = time.perf_counter()
            for _ in range(args.requests):
                call()
            plain = (time.perf_counter() - began) / args.requests * 1000
            if args.plain:
                print(f"\n=== {name}: {plain:.2f} ms a request")
                continue
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                call()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
            stats.print_stats(args.top)
            print(f"\n=== {name}: {plain:.2f} ms a request without the profiler")
            print("\n".join(out.getvalue().splitlines()[4:]))
    print(json.dumps({"done": True}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
