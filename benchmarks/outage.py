"""Database outage drill: visitors keep coming while PostgreSQL stops for 10 seconds.

Starts a throwaway PostgreSQL cluster of its own in a temporary directory (never the machine's
own service), creates the schema and a clinic, serves the quiz with gunicorn (2 workers) on a
free loopback port, and drives visitors through the HTML quiz (intro, every step, the contact
form) and the JSON API from a few threads. After a few seconds it stops PostgreSQL
(`pg_ctl stop -m fast`), waits, starts it again and keeps driving. Then it checks:

  * every visitor told "thank you" (or given a 201) has a stored lead, found by their email,
    and nobody's lead was stored twice by a retry;
  * no 500, no dropped connection, no "Traceback" in any response;
  * during the outage the contact form came back with a 503, the "We could not save your
    details just now" message and everything typed still in it (the visitor sends it again
    from that page until it works), other pages gave the friendly 503 page, and the API a
    503 with the `{"errors": ...}` shape;
  * /healthz answered 503 within 2 s during the outage and 200 again after it.

    .venv/bin/python benchmarks/outage.py [--before 5] [--outage 10] [--after 15]

Prints a table of requests by phase and outcome and a PASS/FAIL line; exits 1 on FAIL.
Loopback only, bounded in time, and everything it started is stopped and deleted at the end.
"""

from __future__ import annotations

import argparse
import html.parser
import http.client
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import base_env, default_answers, flask, gunicorn, throwaway_postgres

REQUEST_TIMEOUT = 15
HEALTH_LIMIT = 2.0  # seconds: /healthz must say 503 this fast while the database is down
CLINIC = "outage"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
SAVE_FAILED = 'id="save-failed"'
FRIENDLY_503 = "briefly unavailable"
# What a request can end as. "kept form": the contact form again, 503, message and values kept.
OUTCOMES = ("ok", "thanks", "201", "kept form", "503 page", "503 json", "500", "dropped", "other")
PHASES = ("before", "edge", "outage", "after")


# --- reading the quiz's HTML -------------------------------------------------------------


class Page(html.parser.HTMLParser):
    """The forms of one page (action and inputs) and the page's `data-quiz-event`."""

    def __init__(self, text: str):
        super().__init__()
        self.forms: list[dict] = []
        self.event = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "body":
            self.event = values.get("data-quiz-event") or ""
        elif tag == "form":
            self.forms.append({"action": values.get("action") or "", "inputs": []})
        elif tag in {"input", "textarea"} and self.forms:
            self.forms[-1]["inputs"].append(values)

    def form(self, ending: str) -> dict | None:
        """The first form whose action ends with `ending`."""
        return next((f for f in self.forms if f["action"].endswith(ending)), None)


def field_value(form: dict, name: str) -> str | None:
    """The value of a text or hidden input, as the page shows it."""
    for tag in form["inputs"]:
        if tag.get("name") == name and tag.get("type") not in {"checkbox", "radio"}:
            return tag.get("value") or ""
    return None


def is_checked(form: dict, name: str) -> bool:
    """Tell whether a checkbox of that name is ticked on the page."""
    return any(t.get("name") == name and "checked" in t for t in form["inputs"])


def checkbox_value(form: dict, name: str) -> str:
    """The value a ticked checkbox of that name sends."""
    return next((t.get("value") or "on" for t in form["inputs"] if t.get("name") == name), "y")


# --- recording ---------------------------------------------------------------------------


@dataclass
class Record:
    """One request: when it ran, what it was and how it ended."""

    kind: str
    began: float
    ended: float
    status: int
    outcome: str
    traceback: bool


@dataclass
class Journal:
    """Everything the drivers saw, shared between threads."""

    records: list = field(default_factory=list)
    health: list = field(default_factory=list)
    stored: set = field(default_factory=set)  # emails of visitors told their lead is stored
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def send(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """One request on a fresh connection: (status, content type, text); status 0 if dropped.

    A 303 (an answered quiz step) is followed with a GET, as a browser does.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        status, location = response.status, response.getheader("Location")
        ctype = response.getheader("Content-Type") or ""
    except OSError:
        return 0, "", ""
    finally:
        conn.close()
    if status == 303 and location:
        return send(port, "GET", location)
    return status, ctype, data


def _common_outcome(status: int, kind: str, ctype: str, text: str) -> str:
    if status == 0:
        return "dropped"
    if status == 500:
        return "500"
    if status == 503 and kind == "api":
        try:
            errors = json.loads(text).get("errors")
        except (ValueError, AttributeError):
            errors = None
        return "503 json" if isinstance(errors, dict) and errors else "other"
    if status == 503 and ctype.startswith("text/html") and FRIENDLY_503 in text:
        return "503 page"
    return "other"


def call(journal: Journal, port: int, kind: str, method: str, path: str, body=None, headers=None):
    """Send, record and classify a request that is not a contact POST or an API lead."""
    began = time.monotonic()
    status, ctype, text = send(port, method, path, body, headers)
    outcome = "ok" if status == 200 else _common_outcome(status, kind, ctype, text)
    journal.add(Record(kind, began, time.monotonic(), status, outcome, "Traceback" in text))
    return status, text


# --- the drivers -------------------------------------------------------------------------


@dataclass
class Person:
    """What a visitor types into the contact form."""

    name: str
    email: str
    phone: str


def contact_fields(form: dict, person: Person) -> list[tuple[str, str]]:
    """The contact form as a person fills it: details, both consents, the honeypot empty."""
    return [
        ("state", field_value(form, "state") or ""),
        ("name", person.name),
        ("email", person.email),
        ("phone", person.phone),
        ("contact_time", "any"),
        ("consent_contact", checkbox_value(form, "consent_contact")),
        ("consent_health", checkbox_value(form, "consent_health")),
        ("website", ""),
        ("action", "send"),
    ]


def kept(form: dict | None, person: Person) -> bool:
    """Tell whether the re-shown form still holds everything the person typed and ticked."""
    return (
        form is not None
        and field_value(form, "name") == person.name
        and field_value(form, "email") == person.email
        and field_value(form, "phone") == person.phone
        and is_checked(form, "consent_contact")
        and is_checked(form, "consent_health")
        and field_value(form, "website") == ""
    )


def html_visit(journal: Journal, port: int, answers: dict, person: Person, stop: float) -> None:
    """One visitor through the HTML quiz; a failed page ends the visit (they come back later).

    A contact form shown again with "could not save" is sent again from that page, with the
    values the page kept, once a second until it is stored or the run's grace time is over.
    """
    status, text = call(journal, port, "intro", "GET", f"/embed/{CLINIC}")
    if status != 200:
        return
    page = Page(text)
    body = [("state", field_value(page.form("/step"), "state")), ("action", "start")]
    started = None
    for _ in range(50):  # a bound: no questionnaire has that many steps
        status, text = call(
            journal, port, "step", "POST", f"/embed/{CLINIC}/step", urlencode(body).encode(), FORM
        )
        if status != 200:
            return
        # The run's clock starts when the server handled the Start button, which is before
        # its answer arrived; timing from the intro instead would, on a busy machine, send
        # the contact form early enough to be taken for a bot (thanked, nothing stored).
        started = started or time.monotonic()
        page = Page(text)
        form = page.form("/contact")
        if form is not None:
            break
        form = page.form("/step")
        names = {t["name"][2:] for t in form["inputs"] if t.get("name", "").startswith("q-")}
        body = [("state", field_value(form, "state")), ("action", "next")]
        body += [(f"q-{n}", value) for n in sorted(names) for value in answers.get(n, [])]
    else:
        return
    # The quiz ignores contact forms sent faster than a person types (QUIZ_MIN_FILL_SECONDS).
    time.sleep(max(0.0, started + 3.3 - time.monotonic()))
    while True:
        began = time.monotonic()
        status, ctype, text = send(
            port,
            "POST",
            f"/embed/{CLINIC}/contact",
            urlencode(contact_fields(form, person)).encode(),
            FORM,
        )
        page = Page(text) if status else None
        if status == 200 and page.event == "lead":
            outcome = "thanks"
        elif status == 503 and SAVE_FAILED in text and kept(page.form("/contact"), person):
            outcome = "kept form"
        else:
            outcome = _common_outcome(status, "contact", ctype, text)
        journal.add(
            Record("contact", began, time.monotonic(), status, outcome, "Traceback" in text)
        )
        if outcome == "thanks":
            with journal.lock:
                journal.stored.add(person.email)
            return
        if outcome != "kept form" or time.monotonic() > stop:
            return
        time.sleep(1.0)
        # Send what the page kept, as a person pressing "Send my details" again would.
        form = page.form("/contact")
        person = Person(
            field_value(form, "name"), field_value(form, "email"), field_value(form, "phone")
        )


def api_lead(journal: Journal, port: int, answers: dict, email: str, stop: float) -> None:
    """One API client sending a lead; on a 503 it retries with the same Idempotency-Key."""
    body = json.dumps(
        {
            "clinic": CLINIC,
            "language": "en",
            "answers": answers,
            "contact": {"name": "Api Visitor", "email": email, "phone": "+44 7700 900123"},
            "consent": {"contact": True, "health_data": True},
            "source": {"utm_source": "outage-drill"},
        }
    ).encode()
    headers = {**JSON, "Idempotency-Key": uuid.uuid4().hex}
    while True:
        began = time.monotonic()
        status, ctype, text = send(port, "POST", "/api/v1/assessments", body, headers)
        outcome = "201" if status == 201 else _common_outcome(status, "api", ctype, text)
        journal.add(Record("api", began, time.monotonic(), status, outcome, "Traceback" in text))
        if outcome == "201":
            with journal.lock:
                journal.stored.add(email)
            return
        if outcome != "503 json" or time.monotonic() > stop:
            return
        time.sleep(1.0)


def drive(journal, port, answers, kind, number, deadline, grace) -> None:
    """A driver thread: new visitors one after another until the deadline."""
    count = 0
    while time.monotonic() < deadline:
        count += 1
        email = f"{kind}-{number}-{count}-{uuid.uuid4().hex[:8]}@example.com"
        if kind == "html":
            person = Person(f"Visitor {number}-{count}", email, f"+44 7700 9{number}{count:05d}")
            html_visit(journal, port, answers, person, grace)
        else:
            api_lead(journal, port, answers, email, grace)
        # A pause between visitors, so an outage is not answered by a flood of intro pages.
        time.sleep(0.3)


def watch_health(journal: Journal, port: int, deadline: float) -> None:
    """Ask /healthz twice a second; record (began, seconds taken, status)."""
    while time.monotonic() < deadline:
        began = time.monotonic()
        status, _, _ = send(port, "GET", "/healthz")
        journal.health.append((began, time.monotonic() - began, status))
        time.sleep(max(0.0, began + 0.5 - time.monotonic()))


# --- the drill ---------------------------------------------------------------------------


@dataclass
class Clock:
    """When the database went down and came back (monotonic seconds)."""

    stop_began: float = 0.0
    stop_ended: float = 0.0
    start_began: float = 0.0
    start_ended: float = 0.0

    def phase(self, began: float, ended: float) -> str:
        """before / outage / after, or edge for a request that spans a change."""
        if ended <= self.stop_began:
            return "before"
        if began >= self.stop_ended and ended <= self.start_began:
            return "outage"
        if began >= self.start_ended:
            return "after"
        return "edge"


def count_leads(database_url: str) -> dict[str, int]:
    """Stored leads of the drill's clinic, by email."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT leads.email, count(*) FROM leads"
                    " JOIN clinics ON clinics.id = leads.clinic_id"
                    " WHERE clinics.slug = :slug GROUP BY leads.email"
                ),
                {"slug": CLINIC},
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


def verdict(journal: Journal, clock: Clock, leads: dict[str, int]) -> list[str]:
    """Every check that failed, as one line each (empty: PASS)."""
    failures = []
    by_phase = {
        p: [r for r in journal.records if clock.phase(r.began, r.ended) == p] for p in PHASES
    }
    missing = sorted(journal.stored - leads.keys())
    if missing:
        failures.append(
            f"{len(missing)} visitors told their lead was stored have none: {missing[:3]}"
        )
    doubled = sorted(email for email, n in leads.items() if n > 1)
    if doubled:
        failures.append(f"{len(doubled)} emails stored more than once: {doubled[:3]}")
    for outcome in ("500", "dropped"):
        bad = [r for r in journal.records if r.outcome == outcome]
        if bad:
            failures.append(f"{len(bad)} requests ended as {outcome}")
    bad_probes = [s for _, _, s in journal.health if s in {0, 500}]
    if bad_probes:
        failures.append(f"{len(bad_probes)} /healthz probes ended as 500 or a dropped connection")
    settled = clock.start_ended + 2  # the pool's stale connections are gone by then
    up_errors = [
        r
        for r in journal.records
        if r.status >= 500 and (r.ended <= clock.stop_began or r.began >= settled)
    ]
    if up_errors:
        sample = ", ".join(f"{r.kind} {r.status}" for r in up_errors[:5])
        failures.append(f"{len(up_errors)} errors while the database was up: {sample}")
    if any(r.traceback for r in journal.records):
        failures.append("a response body contains 'Traceback'")
    lost_form = [r for r in by_phase["outage"] if r.kind == "contact" and r.outcome == "503 page"]
    if lost_form:
        failures.append(
            f"{len(lost_form)} contact POSTs during the outage got the generic 503 page:"
            " the form and what the visitor typed were not shown again"
        )
    # Pages that need no write may be served from the app's cached copy of the clinic.
    allowed = {"contact": {"kept form", "503 page"}, "api": {"503 json"}}
    wrong = [
        r for r in by_phase["outage"] if r.outcome not in allowed.get(r.kind, {"ok", "503 page"})
    ]
    if wrong:
        sample = ", ".join(f"{r.kind} {r.status} {r.outcome}" for r in wrong[:5])
        failures.append(f"{len(wrong)} outage answers were not friendly ones: {sample}")
    for kind, outcome in (("contact", "kept form"), ("api", "503 json")):
        seen = any(r.kind == kind and r.outcome == outcome for r in by_phase["outage"])
        if not seen and not (kind == "contact" and lost_form):
            failures.append(
                f"the outage never showed a {kind} '{outcome}': the drill proved nothing"
            )
    if not any(r.outcome in {"thanks", "201"} for r in by_phase["after"]):
        failures.append("no lead was stored after the database came back")
    down = [h for h in journal.health if clock.phase(h[0], h[0] + h[1]) == "outage"]
    if not down:
        failures.append("/healthz was never asked during the outage")
    if any(status != 503 or took > HEALTH_LIMIT for _, took, status in down):
        failures.append(f"/healthz during the outage was not always 503 within {HEALTH_LIMIT:g} s")
    up = [h for h in journal.health if h[0] >= clock.start_ended]
    if not up or up[-1][2] != 200:
        failures.append("/healthz did not answer 200 at the end, after the restart")
    return failures


def report(journal: Journal, clock: Clock, leads: dict[str, int], log_text: str) -> None:
    """Print requests by phase and outcome, /healthz, and what the database holds."""
    table = {p: dict.fromkeys(OUTCOMES, 0) for p in PHASES}
    for r in journal.records:
        table[clock.phase(r.began, r.ended)][r.outcome] += 1
    print("\nRequests by phase and outcome (edge: started before a change, ended after it)")
    print(f"{'phase':<8}" + "".join(f"{o:>10}" for o in OUTCOMES) + f"{'total':>8}")
    for phase in PHASES:
        row = table[phase]
        print(
            f"{phase:<8}" + "".join(f"{row[o]:>10}" for o in OUTCOMES) + f"{sum(row.values()):>8}"
        )
    kinds = sorted({r.kind for r in journal.records})
    print("\nOutage phase by request kind")
    for kind in kinds:
        seen: dict[str, int] = {}
        for r in journal.records:
            if r.kind == kind and clock.phase(r.began, r.ended) == "outage":
                seen[f"{r.status} {r.outcome}"] = seen.get(f"{r.status} {r.outcome}", 0) + 1
        print(f"  {kind:<8} {seen or '-'}")

    print("\n/healthz")
    for phase in PHASES:
        probes = [h for h in journal.health if clock.phase(h[0], h[0] + h[1]) == phase]
        if probes:
            statuses = sorted({s for _, _, s in probes})
            slowest = max(t for _, t, _ in probes)
            print(
                f"  {phase:<7} {len(probes):>3} probes, statuses {statuses},"
                f" slowest {slowest * 1000:.0f} ms"
            )
    back = next((h for h in journal.health if h[0] >= clock.start_ended and h[2] == 200), None)
    if back:
        print(f"  first 200 {back[0] - clock.start_ended:.1f} s after PostgreSQL was up again")
    retried = sum(1 for r in journal.records if r.outcome in {"kept form", "503 json"})
    print(
        f"\nLeads: {len(journal.stored)} visitors told stored, {len(leads)} emails in the database"
        f" ({sum(leads.values())} leads); {retried} answers asked the visitor to send again"
    )
    # The server's own account of anything that went wrong: the first few error lines.
    messages: dict[str, int] = {}
    for line in log_text.splitlines():
        with suppress(ValueError, AttributeError):
            entry = json.loads(line)
            if entry.get("level") in {"ERROR", "WARNING", "CRITICAL"}:
                key = f"{entry['level']} {entry.get('message', '')[:120]}"
                messages[key] = messages.get(key, 0) + 1
    for message, count in sorted(messages.items(), key=lambda item: -item[1]):
        print(f"  server log: {count:>4} x {message}")
    if "Traceback" in log_text:
        # The app's own frames and the exceptions' lines tell the story; library frames do not.
        start = log_text.index("Traceback")
        lines = log_text[start:].splitlines()[:400]
        story = [
            line
            for line in lines
            if "/quiz/" in line
            or line.startswith(("Traceback", "The above", "During handling"))
            or (line[:1] not in {"", " ", "{"} and ("Error" in line or "Exception" in line))
        ]
        print("  first traceback in the server log (app frames and exceptions):")
        print("\n".join(f"    {line.strip()[:200]}" for line in story[:40]))
    print(
        f"server log: {log_text.count('Traceback')} tracebacks,"
        f" {log_text.count('lead not stored')} 'lead not stored' warnings"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the drill; exit 0 on PASS, 1 on FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=float, default=5.0, help="seconds before the outage")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds PostgreSQL is down")
    parser.add_argument("--after", type=float, default=15.0, help="seconds after it is back")
    parser.add_argument("--html", type=int, default=4, help="HTML visitor threads")
    parser.add_argument("--api", type=int, default=2, help="API client threads")
    args = parser.parse_args(argv)
    for name in ("before", "outage", "after"):
        if not 1 <= getattr(args, name) <= 120:
            parser.error(f"--{name}: keep it within 1-120 seconds")
    if not 1 <= args.html <= 20 or not 1 <= args.api <= 20:
        parser.error("--html and --api: keep them within 1-20 threads")

    answers = default_answers()
    journal, clock = Journal(), Clock()
    with (
        throwaway_postgres() as cluster,
        tempfile.TemporaryDirectory(prefix="quiz-outage-log-") as tmp,
    ):
        env = base_env(cluster.url)
        flask(env, "db", "upgrade")
        flask(env, "clinic", "create", CLINIC, "--name", "Outage Clinic")
        log = Path(tmp) / "gunicorn.log"
        print(
            f"PostgreSQL on 127.0.0.1:{cluster.port} (throwaway), gunicorn -w 2,"
            f" {args.html} HTML + {args.api} API threads; load average"
            f" {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        with gunicorn("wsgi:app", env, 2, log) as port:
            now = time.monotonic()
            deadline = now + args.before + args.outage + args.after
            grace = deadline + 10  # retries of the outage's visitors may run on a little
            threads = [
                threading.Thread(
                    target=drive, args=(journal, port, answers, kind, n, deadline, grace)
                )
                for kind, count in (("html", args.html), ("api", args.api))
                for n in range(count)
            ]
            threads.append(threading.Thread(target=watch_health, args=(journal, port, grace)))
            for thread in threads:
                thread.start()
            try:
                time.sleep(args.before)
                clock.stop_began = time.monotonic()
                cluster.stop("fast")
                clock.stop_ended = time.monotonic()
                print(f"PostgreSQL stopped at +{clock.stop_ended - now:.1f} s", flush=True)
                time.sleep(args.outage)
                clock.start_began = time.monotonic()
                cluster.start()
                clock.start_ended = time.monotonic()
                print(f"PostgreSQL started at +{clock.start_ended - now:.1f} s", flush=True)
            finally:
                if not cluster.running():
                    cluster.start()
                for thread in threads:
                    # Bounded: every request has a timeout and every loop a deadline.
                    thread.join(timeout=grace - time.monotonic() + 2 * REQUEST_TIMEOUT)
        leads = count_leads(cluster.url)
        log_text = log.read_text()
    report(journal, clock, leads, log_text)
    failures = verdict(journal, clock, leads)
    for line in failures:
        print(f"  - {line}")
    print("PASS" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
