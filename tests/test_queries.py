"""The read side: analytics figures against a known set of events and leads, count capping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiz import queries
from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import Delivery, Event

pytestmark = pytest.mark.usefixtures("admin_config")


EVERYTHING = Scope(everything=True)
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def add_events(clinic, kind, count, *, step=None, at=DAY):
    for _ in range(count):
        db.session.add(Event(clinic_id=clinic.id, kind=kind, step=step, created_at=at))
    db.session.commit()


def lead_at(make_lead, clinic, *, suitability, outcome, area, source, campaign, contacted_after):
    lead = make_lead(clinic)
    lead.created_at = DAY
    lead.suitability, lead.outcome_id, lead.top_area = suitability, outcome, area
    lead.utm_source, lead.utm_campaign = source, campaign
    if contacted_after is not None:
        lead.first_contacted_at = DAY + contacted_after
        lead.status = "contacted"
    db.session.commit()
    return lead


@pytest.fixture
def known(make_clinic, make_lead, questionnaire):
    """Alpha: 100 views, 40 starts, steps 30/20, 10 completions, 4 leads. Beta: noise."""
    alpha, beta = make_clinic("alpha"), make_clinic("beta")
    first_step, second_step = questionnaire.steps[0].id, questionnaire.steps[1].id
    add_events(alpha, "view", 100)
    add_events(alpha, "start", 40)
    add_events(alpha, "step", 30, step=first_step)
    add_events(alpha, "step", 20, step=second_step)
    add_events(alpha, "complete", 10)
    add_events(alpha, "view", 7, at=DAY - timedelta(days=30))  # outside the range below
    add_events(beta, "view", 55)
    specs = [
        ("good", "body_cellulite", "body", "instagram", "spring", timedelta(hours=2)),
        ("good", "body_cellulite", "body", "instagram", "spring", timedelta(hours=4)),
        ("possible", "face_skin_quality", "face", "google", None, timedelta(hours=30)),
        ("consult", "consult_first", "face", None, None, None),
    ]
    for suitability, outcome, area, source, campaign, delay in specs:
        lead_at(
            make_lead,
            alpha,
            suitability=suitability,
            outcome=outcome,
            area=area,
            source=source,
            campaign=campaign,
            contacted_after=delay,
        )
    # make_lead also records a "lead" event per lead; pin those to the day too.
    for event in db.session.execute(db.select(Event).filter_by(kind="lead")).scalars():
        event.created_at = DAY
    db.session.commit()
    lead_at(
        make_lead,
        beta,
        suitability="good",
        outcome="x",
        area="scalp",
        source="tiktok",
        campaign=None,
        contacted_after=timedelta(hours=1),
    )
    db.session.commit()
    return alpha, first_step, second_step


def figures(clinic="alpha", start=None, end=None):
    return queries.analytics(EVERYTHING, clinic, start or DAY.date(), end or DAY.date())


def test_funnel_counts_and_conversion_rates(known):
    funnel = figures().funnel
    assert [(label, count) for label, count, _ in funnel] == [
        ("Views", 100),
        ("Starts", 40),
        ("Completions", 10),
        ("Leads", 4),
    ]
    assert [rate for *_, rate in funnel] == [None, 0.4, 0.25, 0.4]


def test_step_drop_off_follows_the_questionnaire_order(known, questionnaire):
    steps = figures().steps
    assert len(steps) == len(questionnaire.steps)
    assert steps[0][1:] == (30, 0.75)
    assert steps[1][1:] == (20, pytest.approx(2 / 3))
    assert all(count == 0 for _, count, _ in steps[2:])


def test_mixes_sources_and_campaigns(known, questionnaire):
    result = figures()
    assert result.suitability == [("good", 2), ("possible", 1), ("consult", 1)]
    assert dict(result.outcomes) == {
        "body_cellulite": 2,
        "face_skin_quality": 1,
        "consult_first": 1,
    }
    labels = {a.id: a.label.get("en") for a in questionnaire.areas}
    assert dict(result.concerns) == {labels["body"]: 2, labels["face"]: 2}
    assert dict(result.sources) == {"instagram": 2, "google": 1, "(none)": 1}
    assert dict(result.campaigns) == {"spring": 2, "(none)": 2}


def test_median_time_to_first_contact_in_hours(known):
    result = figures()
    assert result.contacted == 3
    assert result.median_first_contact_hours == pytest.approx(4.0)


def test_all_clinics_and_open_ranges_add_up(known):
    result = queries.analytics(EVERYTHING, None, None, None)
    assert dict((label, n) for label, n, _ in result.funnel)["Views"] == 162
    assert result.median_first_contact_hours == pytest.approx(3.0)


def test_staff_scope_ignores_the_clinic_asked_for(known):
    alpha = known[0]
    result = queries.analytics(Scope(everything=False, clinic_id=alpha.id), "beta", None, None)
    assert dict((label, n) for label, n, _ in result.funnel)["Views"] == 107


def test_an_empty_range_has_zeroes_and_no_rates(known):
    result = figures(start=DAY.date() + timedelta(days=1), end=DAY.date() + timedelta(days=2))
    assert [count for _, count, _ in result.funnel] == [0, 0, 0, 0]
    assert [rate for *_, rate in result.funnel] == [None, None, None, None]
    assert result.median_first_contact_hours is None


def test_the_analytics_page_shows_charts_with_their_data_tables(admin_client, known):
    html = admin_client.get("/admin/analytics?clinic=alpha&date_from=2026-03-10&date_to=2026-03-10")
    page = html.get_data(as_text=True)
    assert html.status_code == 200
    assert page.count("<svg") >= 6
    funnel_table = page.split('id="funnel-table"')[1].split("</table>")[0]
    assert "<td>Views</td><td>100</td>" in funnel_table
    assert "<td>Starts</td><td>40</td><td>40.0%</td>" in funnel_table
    assert "4.0 hours" in page
    assert "<script" not in page.split("</head>")[1]
    assert "Ignored" not in page


def test_the_analytics_page_ignores_a_bad_date_with_a_message(admin_client, known):
    response = admin_client.get("/admin/analytics?date_from=soon")
    assert response.status_code == 200
    assert "Ignored the from filter" in response.get_data(as_text=True)


def test_lead_counts_are_capped(app, make_clinic, make_lead, monkeypatch):
    monkeypatch.setattr(queries.leads, "COUNT_CAP", 3)
    clinic = make_clinic("alpha")
    for _ in range(5):
        make_lead(clinic)
    page = queries.list_leads(EVERYTHING, queries.LeadFilters(), per_page=2)
    assert (page.total, page.capped, page.has_next, len(page.items)) == (3, True, True, 2)
    exact = queries.list_leads(EVERYTHING, queries.LeadFilters(), per_page=10)
    assert (exact.total, exact.capped, exact.has_next) == (3, True, False)


def test_a_staff_scope_without_a_clinic_sees_nothing(app, make_clinic, make_lead):
    make_lead(make_clinic("alpha"))
    page = queries.list_leads(Scope(everything=False, clinic_id=None), queries.LeadFilters())
    assert page.items == [] and page.total == 0


# --------------------------------------------------------------------------- pull API paging


def test_leads_after_pages_in_creation_order_without_skipping_equal_times(make_clinic, make_lead):
    clinic, other = make_clinic("alpha"), make_clinic("beta")
    leads = [make_lead(clinic) for _ in range(5)]
    make_lead(other)
    for index, lead in enumerate(leads):
        # Two pairs share a creation time: the id breaks the tie.
        lead.created_at = DAY + timedelta(minutes=index // 2)
    db.session.commit()
    first, more = queries.leads_after(clinic, limit=3)
    assert [lead.id for lead in first] == [lead.id for lead in leads[:3]] and more
    last = first[-1]
    rest, more = queries.leads_after(clinic, limit=3, after=(last.created_at, last.id))
    assert [lead.id for lead in rest] == [lead.id for lead in leads[3:]] and not more
    since, _ = queries.leads_after(clinic, limit=10, since=DAY + timedelta(minutes=1))
    assert [lead.id for lead in since] == [lead.id for lead in leads[2:]]


# --------------------------------------------------------------------------- deliveries, origins


def test_deliveries_are_found_only_within_the_scope(make_clinic, make_lead):
    alpha = make_clinic("alpha", email="leads@alpha.example")
    beta = make_clinic("beta", email="leads@beta.example")
    make_lead(alpha), make_lead(beta)
    rows = db.session.execute(db.select(Delivery).order_by(Delivery.id)).scalars().all()
    for row in rows:
        row.status = "failed"
    db.session.commit()
    mine = Scope(everything=False, clinic_id=alpha.id)
    nobody = Scope(everything=False, clinic_id=None)
    assert [d.clinic_id for d in queries.failed_deliveries(mine)] == [alpha.id]
    assert {d.clinic_id for d in queries.failed_deliveries(EVERYTHING)} == {alpha.id, beta.id}
    assert queries.failed_deliveries(nobody) == []
    beta_row = next(row for row in rows if row.clinic_id == beta.id)
    assert queries.get_delivery(EVERYTHING, beta_row.id).id == beta_row.id
    assert queries.get_delivery(mine, beta_row.id) is None
    assert queries.get_delivery(nobody, beta_row.id) is None
    assert queries.get_delivery(EVERYTHING, beta_row.id + 1000) is None


def test_an_origin_is_known_when_any_clinic_lists_it(make_clinic):
    make_clinic("alpha", origins=["https://alpha.example"])
    make_clinic("beta")
    assert queries.any_clinic_has_origin("https://alpha.example")
    assert not queries.any_clinic_has_origin("https://beta.example")


def test_clinics_are_listed_by_name_or_by_slug(make_clinic):
    make_clinic("zeta", name="Alpha Clinic")
    make_clinic("alpha", name="Zeta Clinic")
    assert [c.slug for c in queries.list_clinics()] == ["zeta", "alpha"]
    assert [c.slug for c in queries.list_clinics(by="slug")] == ["alpha", "zeta"]
