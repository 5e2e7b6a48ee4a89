"""Campaign figures on the analytics page: leads over time (buckets, chart), per source,
medium and campaign how far the leads got, scoping, and a funnel that never rises."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from quiz import queries, services
from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import Event
from quiz.queries.campaigns import DAILY_LIMIT, bucket
from quiz.services import leadwork
from tests.helpers import Visitor

pytestmark = [pytest.mark.usefixtures("admin_config"), pytest.mark.batched_events]

EVERYTHING = Scope(everything=True)


@pytest.fixture
def app_config(app_config):
    """Forms may be sent at once: these tests are about what is stored, not about bots."""
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


def _why(status: str) -> dict:
    """A lost lead needs a reason; the campaign figures do not depend on which."""
    return {"reason": "no_answer"} if status == "lost" else {}


FIRST_DAY = date(2026, 3, 2)  # a Monday
DAYS = 20
# (source, medium, campaign); None is a lead that came without that field.
CAMPAIGNS = [
    ("google", "cpc", "spring_meso"),
    ("google", "cpc", "brand"),
    ("facebook", "paid_social", "spring_meso"),
    (None, None, None),
    ("newsletter", "", None),
]
# Status paths a lead may take in the back office, each through the status history.
PATHS = [
    [],
    ["contacted"],
    ["contacted", "lost"],
    ["contacted", "booked"],
    ["booked"],
    ["contacted", "booked", "won"],
    ["contacted", "booked", "lost"],
    ["won", "lost"],
    ["lost"],
]
RANK = {"contacted": 1, "booked": 2, "won": 3}


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def generated(make_clinic, make_lead):
    """Leads of two clinics over DAYS days, spread over CAMPAIGNS and PATHS by a seeded
    random choice; returns the clinics and, per lead, what the figures must count."""
    rng = random.Random(14)
    alpha, beta = make_clinic("alpha"), make_clinic("beta")
    expected = []
    for n in range(70):
        clinic = alpha if n % 4 else beta
        spec = CAMPAIGNS[rng.randrange(len(CAMPAIGNS))]
        path = PATHS[rng.randrange(len(PATHS))]
        # Hours 0 and 23 check the UTC day on both databases.
        created = at(FIRST_DAY + timedelta(days=rng.randrange(DAYS)), rng.choice([0, 12, 23]))
        source = {
            key: value
            for key, value in zip(("utm_source", "utm_medium", "utm_campaign"), spec, strict=True)
            if value is not None
        }
        lead = make_lead(clinic, source=source)
        for status in path:
            leadwork.change_status(lead, status, None, **_why(status))
        db.session.refresh(lead)
        lead.created_at = created
        db.session.commit()
        reached = max((RANK.get(s, 0) for s in path), default=0)
        label = tuple(value or "(none)" for value in spec)
        expected.append((clinic.slug, created.date(), label, reached))
    return alpha, beta, expected


def oracle(expected, clinic=None):
    """The figures counted in Python from the generated leads: per label, [leads, c, b, w]."""
    table: dict[tuple, list[int]] = {}
    for slug, _, label, reached in expected:
        if clinic and slug != clinic:
            continue
        row = table.setdefault(label, [0, 0, 0, 0])
        row[0] += 1
        for step in (1, 2, 3):
            row[step] += reached >= step
    return table


def as_table(rows):
    return {(r.source, r.medium, r.campaign): [r.leads, r.contacted, r.booked, r.won] for r in rows}


# --------------------------------------------------------------------------- per campaign


def test_each_campaign_counts_its_leads_and_how_far_they_got(generated):
    _, _, expected = generated
    rows = queries.campaign_figures(EVERYTHING, None, None, None)
    assert as_table(rows) == oracle(expected)
    assert sum(r.leads for r in rows) == 70
    # Most leads first; an empty medium and a missing one are the same "(none)".
    assert [r.leads for r in rows] == sorted((r.leads for r in rows), reverse=True)
    assert ("newsletter", "(none)", "(none)") in as_table(rows)
    for row in rows:
        assert row.leads >= row.contacted >= row.booked >= row.won
        assert row.booked_rate == pytest.approx(row.booked / row.leads)


def test_a_lead_booked_and_then_lost_still_counts_as_booked(make_clinic, make_lead):
    clinic = make_clinic("alpha")
    source = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "x"}
    booked_then_lost = make_lead(clinic, source=source)
    for status in ("contacted", "booked", "lost"):
        leadwork.change_status(booked_then_lost, status, None, **_why(status))
    leadwork.change_status(make_lead(clinic, source=source), "lost", None, **_why("lost"))
    make_lead(clinic, source=source)
    (row,) = queries.campaign_figures(EVERYTHING, None, None, None)
    assert (row.leads, row.contacted, row.booked, row.won) == (3, 1, 1, 0)
    assert row.booked_rate == pytest.approx(1 / 3)


def test_campaign_figures_follow_the_clinic_and_the_dates(generated):
    alpha, _, expected = generated
    staff = Scope(everything=False, clinic_id=alpha.id)
    # Staff see their own clinic whatever clinic they ask for.
    assert as_table(queries.campaign_figures(staff, "beta", None, None)) == oracle(
        expected, "alpha"
    )
    assert as_table(queries.campaign_figures(EVERYTHING, "beta", None, None)) == oracle(
        expected, "beta"
    )
    day = FIRST_DAY + timedelta(days=3)
    one_day = [e for e in expected if e[1] == day]
    assert as_table(queries.campaign_figures(EVERYTHING, None, day, day)) == oracle(one_day)


def test_an_empty_range_has_no_campaign_rows(generated):
    later = FIRST_DAY + timedelta(days=DAYS + 5)
    assert queries.campaign_figures(EVERYTHING, None, later, later) == []


# --------------------------------------------------------------------------- over time


def test_leads_per_day_on_both_databases(generated):
    _, _, expected = generated
    end = FIRST_DAY + timedelta(days=DAYS - 1)
    timeline = queries.leads_over_time(EVERYTHING, None, FIRST_DAY, end)
    per_day = Counter(day for _, day, _, _ in expected)
    assert timeline.unit == "day"
    assert [(b.first, b.leads) for b in timeline.buckets] == [
        (FIRST_DAY + timedelta(days=n), per_day[FIRST_DAY + timedelta(days=n)]) for n in range(DAYS)
    ]
    assert timeline.total == 70
    alpha_only = queries.leads_over_time(
        Scope(everything=False, clinic_id=generated[0].id), None, FIRST_DAY, end
    )
    assert alpha_only.total == sum(1 for slug, *_ in expected if slug == "alpha")


def test_an_open_range_runs_from_the_first_lead_to_today(generated):
    _, _, expected = generated
    today = FIRST_DAY + timedelta(days=40)
    timeline = queries.leads_over_time(EVERYTHING, None, None, None, today=today)
    first = min(day for _, day, _, _ in expected)
    assert timeline.unit == "day"
    assert (timeline.buckets[0].first, timeline.buckets[-1].last) == (first, today)
    assert timeline.total == 70


def test_a_long_range_is_drawn_per_week_cut_to_the_range(generated, make_lead):
    alpha, _, expected = generated
    early = make_lead(alpha)
    early.created_at = at(FIRST_DAY - timedelta(days=90))
    db.session.commit()
    start, end = FIRST_DAY - timedelta(days=60), FIRST_DAY + timedelta(days=30)
    timeline = queries.leads_over_time(EVERYTHING, None, start, end)
    assert timeline.unit == "week"
    assert timeline.buckets[0].first == start and timeline.buckets[-1].last == end
    for b in timeline.buckets:
        assert b.last.weekday() == 6 or b.last == end
        assert b.first.weekday() == 0 or b.first == start
        assert b.leads == sum(1 for _, day, _, _ in expected if b.first <= day <= b.last)
    assert timeline.total == 70


def test_a_range_reaching_before_the_first_lead_starts_there(generated):
    _, _, expected = generated
    first = min(day for _, day, _, _ in expected)
    end = FIRST_DAY + timedelta(days=DAYS - 1)
    timeline = queries.leads_over_time(EVERYTHING, None, date(1900, 1, 1), end)
    assert (timeline.unit, timeline.buckets[0].first, timeline.total) == ("day", first, 70)
    # Nor past today, when no lead is dated later.
    today = FIRST_DAY + timedelta(days=DAYS + 3)
    timeline = queries.leads_over_time(EVERYTHING, None, None, date(9999, 1, 1), today=today)
    assert timeline.buckets[-1].last == today


def test_the_bucket_size_follows_the_length_of_the_range():
    start = date(2026, 1, 1)
    assert bucket({}, start, start + timedelta(days=DAILY_LIMIT - 1)).unit == "day"
    weeks = bucket({start: 2}, start, start + timedelta(days=DAILY_LIMIT))
    assert weeks.unit == "week"
    # 1 January 2026 is a Thursday: the first week runs to Sunday the 4th.
    assert (weeks.buckets[0].first, weeks.buckets[0].last, weeks.buckets[0].leads) == (
        start,
        date(2026, 1, 4),
        2,
    )


def test_chart_bars_scale_to_the_peak():
    start = date(2026, 3, 2)
    timeline = bucket({start: 4, start + timedelta(days=1): 2}, start, start + timedelta(days=3))
    bars = timeline.bars()
    assert [b.bucket.leads for b in bars] == [4, 2, 0, 0]
    assert [b.height for b in bars] == [160.0, 80.0, 0.0, 0.0]
    assert [b.y for b in bars] == [0.0, 80.0, 160.0, 160.0]
    assert [b.x for b in bars] == [1.0, 151.0, 301.0, 451.0]
    assert all(b.width == 148.0 for b in bars)


def test_an_empty_range_has_empty_buckets_and_no_bars(generated):
    later = FIRST_DAY + timedelta(days=DAYS + 5)
    timeline = queries.leads_over_time(EVERYTHING, None, later, later + timedelta(days=2))
    assert [b.leads for b in timeline.buckets] == [0, 0, 0]
    assert timeline.peak == 0 and all(b.height == 0 for b in timeline.bars())
    nothing = queries.leads_over_time(Scope(everything=False, clinic_id=10_000), None, None, None)
    assert nothing.buckets == []


# --------------------------------------------------------------------------- the page


def test_the_page_shows_the_chart_its_table_and_the_campaign_table(admin_client, generated):
    _, _, expected = generated
    end = FIRST_DAY + timedelta(days=DAYS - 1)
    response = admin_client.get(f"/admin/analytics?date_from={FIRST_DAY}&date_to={end}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    chart = page.split('id="leads-over-time"')[1].split("</figure>")[0]
    assert chart.count("<rect") == DAYS
    per_day = Counter(day for _, day, _, _ in expected)
    assert f'data-leads="{per_day[FIRST_DAY]}" data-first="{FIRST_DAY}"' in chart
    table = page.split('id="over-time-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == DAYS + 1
    assert f"<td>{FIRST_DAY}</td><td>{per_day[FIRST_DAY]}</td>" in table
    campaigns = page.split('id="campaigns-table"')[1].split("</table>")[0]
    leads, contacted, booked, won = oracle(expected)[("google", "cpc", "spring_meso")]
    rate = f"{booked / leads:.1%}"
    assert (
        f"<td>google</td><td>cpc</td><td>spring_meso</td><td>{leads}</td><td>{contacted}</td>"
        f"<td>{booked}</td><td>{won}</td><td>{rate}</td>"
    ) in campaigns
    assert "ever reached that step or a later one" in page
    assert "<script" not in page.split("</head>")[1] and "style=" not in page


def test_staff_see_only_their_clinic_on_the_page(make_user, sign_in, generated):
    alpha, _, expected = generated
    client = sign_in(make_user("staff@clinic.example", role="staff", clinic=alpha))
    page = client.get("/admin/analytics?clinic=beta").get_data(as_text=True)
    campaigns = page.split('id="campaigns-table"')[1].split("</table>")[0]
    shown = sum(int(n) for n in _leads_column(campaigns))
    assert shown == sum(1 for slug, *_ in expected if slug == "alpha")


def _leads_column(table_html: str) -> list[str]:
    rows = table_html.split("<tbody>")[1].split("<tr>")[1:]
    return [row.split("<td>")[4].split("</td>")[0] for row in rows]


def test_an_empty_range_says_so(admin_client, generated):
    page = admin_client.get("/admin/analytics?date_from=2030-01-01&date_to=2030-01-02")
    text = page.get_data(as_text=True)
    assert text.count("No lead in this range.") == 2
    ours = text.split('id="over-time-title"')[1].split("</section>")[0]
    assert 'id="campaigns-table"' not in text and "<rect" not in ours


# --------------------------------------------------------------------------- funnel


def add_events(clinic, kind, count, at):
    for _ in range(count):
        db.session.add(Event(clinic_id=clinic.id, kind=kind, created_at=at))
    db.session.commit()


def test_no_funnel_step_shows_more_than_the_one_before(make_clinic):
    clinic = make_clinic("alpha")
    day = at(FIRST_DAY)
    # Views and starts still buffered, a completion written a second before midnight and its
    # lead after it, two API leads without a view or a start.
    add_events(clinic, "view", 3, day)
    add_events(clinic, "complete", 1, day)
    add_events(clinic, "lead", 2, day)
    add_events(clinic, "complete", 1, day - timedelta(days=1))
    funnel = queries.analytics(EVERYTHING, None, FIRST_DAY, FIRST_DAY).funnel
    assert [(str(label), n) for label, n, _ in funnel] == [
        ("Views", 3),
        ("Starts", 2),
        ("Completions", 2),
        ("Leads", 2),
    ]
    assert [rate for *_, rate in funnel] == [None, pytest.approx(2 / 3), 1.0, 1.0]


def test_a_fresh_lead_never_outnumbers_the_steps_before_it(app, make_clinic, questionnaire):

    make_clinic("alpha")
    visitor = Visitor(app.test_client(use_cookies=False))
    visitor.to_result("alpha", questionnaire)
    assert visitor.contact("alpha").status_code == 200
    # The view, the start and the steps are still in the buffer; the lead is stored.
    funnel = queries.analytics(EVERYTHING, None, None, None).funnel
    counts = [n for _, n, _ in funnel]
    assert counts == sorted(counts, reverse=True) and counts[-1] == 1
    assert all(rate is None or rate <= 1 for *_, rate in funnel)
    services.flush_events(app)
    assert [n for _, n, _ in queries.analytics(EVERYTHING, None, None, None).funnel] == [
        1,
        1,
        1,
        1,
    ]


def test_the_page_speaks_german_and_spanish(admin_client, generated):
    end = FIRST_DAY + timedelta(days=DAYS - 1)
    for lang, heading, none in (
        ("de", "Anfragen im Zeitverlauf", "(keine)"),
        ("es", "Contactos a lo largo del tiempo", "(ninguno)"),
    ):
        page = admin_client.get(
            f"/admin/analytics?date_from={FIRST_DAY}&date_to={end}&lang={lang}"
        ).get_data(as_text=True)
        campaigns = page.split('id="campaigns-table"')[1].split("</table>")[0]
        assert heading in page and f"<td>{none}</td>" in campaigns
