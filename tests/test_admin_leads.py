"""The lead list, filters, paging, detail, status and notes, exports, and clinic scoping."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.extensions import db
from quiz.models import AuditEntry, ExportedLead, ExportRecord, Lead, LeadNote
from tests.helpers import answer_everything, names
from tests.strategies import hostile_text

pytestmark = pytest.mark.usefixtures("admin_config")


def update(lead, **values):
    for key, value in values.items():
        setattr(lead, key, value)
    db.session.commit()
    return lead


@pytest.fixture
def two_clinics(make_clinic, make_lead):
    """Clinics alpha and beta with one lead each."""
    alpha, beta = make_clinic("alpha", name="Alpha"), make_clinic("beta", name="Beta")
    return alpha, beta, make_lead(alpha, name="Alice Alpha"), make_lead(beta, name="Bob Beta")


@pytest.fixture
def staff_client(two_clinics, make_user, sign_in):
    """A client signed in as alpha's staff."""
    return sign_in(make_user("staff@alpha.example", role="staff", clinic=two_clinics[0]))


# --------------------------------------------------------------------------- scoping


def test_staff_see_only_their_clinics_leads(staff_client, two_clinics):
    assert names(staff_client.get("/admin/leads")) == {"Alice Alpha"}
    assert names(staff_client.get("/admin/leads?clinic=beta")) == {"Alice Alpha"}
    assert names(staff_client.get("/admin/leads?q=Bob")) == set()


def test_staff_get_404_for_another_clinics_lead_on_every_route(staff_client, two_clinics):
    other = two_clinics[3]
    assert staff_client.get(f"/admin/leads/{other.public_id}").status_code == 404
    status = staff_client.post(f"/admin/leads/{other.public_id}/status", data={"status": "won"})
    assert status.status_code == 404
    note = staff_client.post(f"/admin/leads/{other.public_id}/notes", data={"body": "x"})
    assert note.status_code == 404
    db.session.refresh(other)
    assert other.status == "new"
    assert staff_client.get(f"/admin/leads/{two_clinics[2].public_id}").status_code == 200


def test_staff_exports_contain_only_their_clinic_whatever_the_filters(staff_client, two_clinics):
    response = staff_client.post("/admin/leads/export?clinic=beta", data={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["Name"] for r in rows] == ["Alice Alpha"]


def test_staff_cannot_open_clinic_or_user_admin(staff_client):
    for path in ("/admin/clinics", "/admin/clinics/new", "/admin/clinics/beta", "/admin/users"):
        assert staff_client.get(path).status_code == 404, path
    assert staff_client.post("/admin/users", data={}).status_code == 404


def test_admins_see_every_clinic_and_can_filter_by_one(admin_client, two_clinics):
    assert names(admin_client.get("/admin/leads")) == {"Alice Alpha", "Bob Beta"}
    assert names(admin_client.get("/admin/leads?clinic=beta")) == {"Bob Beta"}


def test_an_unknown_lead_id_is_a_404(admin_client):
    assert admin_client.get("/admin/leads/not-a-lead").status_code == 404
    assert admin_client.get("/admin/leads/" + "x" * 300).status_code == 404


# --------------------------------------------------------------------------- list


def test_the_list_is_newest_first_and_new_leads_stand_out(admin_client, make_clinic, make_lead):
    clinic = make_clinic("alpha")
    old = make_lead(clinic, name="Old One")
    update(old, created_at=datetime.now(UTC) - timedelta(days=2), status="contacted")
    make_lead(clinic, name="New One")
    html = admin_client.get("/admin/leads").get_data(as_text=True)
    assert html.index("New One") < html.index("Old One")
    new_row = html[html.rindex("<tr", 0, html.index("New One")) : html.index("New One")]
    old_row = html[html.rindex("<tr", 0, html.index("Old One")) : html.index("Old One")]
    assert "is-new" in new_row and "is-new" not in old_row


def test_names_and_notes_are_shown_as_text_not_markup(admin_client, make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"), name="<script>alert(1)</script>")
    admin_client.post(
        f"/admin/leads/{lead.public_id}/notes", data={"body": "<img src=x onerror=1>"}
    )
    for path in ("/admin/leads", f"/admin/leads/{lead.public_id}"):
        html = admin_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = admin_client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=1&gt;" in html


@pytest.fixture
def varied(make_clinic, make_lead):
    """Five alpha leads that differ in one filterable field each."""
    clinic = make_clinic("alpha")
    now = datetime.now(UTC)
    base = dict(suitability="possible", outcome_id="learn_more", status="contacted")
    leads = {
        "Dora Date": dict(created_at=now - timedelta(days=40)),
        "Sue Suit": dict(suitability="good", outcome_id="body_cellulite"),
        "Stan Status": dict(status="booked"),
        "Ursula Utm": dict(utm_source="instagram", utm_campaign="spring_sale"),
        "Sam Search": dict(phone="+44 7700 900123"),
    }
    for name, values in leads.items():
        lead = make_lead(clinic, name=name, email=f"{name.split()[0].lower()}@example.com")
        update(lead, **{**base, **values})
    return now


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("suitability=good", {"Sue Suit"}),
        ("outcome=body_cellulite", {"Sue Suit"}),
        ("status=booked", {"Stan Status"}),
        ("utm_source=instagram", {"Ursula Utm"}),
        ("utm_campaign=spring_sale", {"Ursula Utm"}),
        ("q=sam", {"Sam Search"}),
        ("q=SAM%40EXAMPLE", {"Sam Search"}),
        ("q=7700+900", {"Sam Search"}),
        ("q=%25", set()),
        ("q=_", set()),
    ],
)
def test_each_filter_narrows_the_list(admin_client, varied, query, expected):
    response = admin_client.get(f"/admin/leads?{query}")
    assert names(response) == expected
    assert "Ignored" not in response.get_data(as_text=True)


def test_date_filters_include_whole_days(admin_client, varied):
    old_day = (varied - timedelta(days=40)).date().isoformat()
    assert names(admin_client.get(f"/admin/leads?date_from={old_day}&date_to={old_day}")) == {
        "Dora Date"
    }
    recent = (varied - timedelta(days=1)).date().isoformat()
    assert "Dora Date" not in names(admin_client.get(f"/admin/leads?date_from={recent}"))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("suitability=excellent", "suitability"),
        ("status=%3Cscript%3E", "status"),
        ("outcome=nope", "outcome"),
        ("date_from=yesterday", "from"),
        ("date_to=2026-13-45", "to"),
        ("date_from=2026-02-01&date_to=2026-01-01", "to"),
        ("sort=password", "sort by"),
        ("page=-3", "page"),
        ("page=abc", "page"),
        ("clinic=nowhere", "clinic"),
        ("q=" + "x" * 300, "search"),
    ],
)
def test_nonsense_filters_are_ignored_with_a_visible_message(admin_client, varied, query, field):
    response = admin_client.get(f"/admin/leads?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Ignored the {field}" in html
    assert html.count("Ignored the") == 1
    assert len(names(response)) == 5


@pytest.mark.parametrize("sort", ["created", "name", "suitability", "status"])
def test_every_sort_order_lists_every_lead(admin_client, varied, sort):
    assert len(names(admin_client.get(f"/admin/leads?sort={sort}"))) == 5


def test_sort_by_name_is_alphabetical(admin_client, varied):
    html = admin_client.get("/admin/leads?sort=name").get_data(as_text=True)
    order = [html.index(n) for n in ("Dora Date", "Sam Search", "Stan Status", "Sue Suit")]
    assert order == sorted(order)


def test_pages_hold_fifty_leads_and_link_onwards(admin_client, make_clinic, make_lead):
    clinic = make_clinic("alpha")
    for n in range(53):
        make_lead(clinic, name=f"Lead {n:02d}")
    first = admin_client.get("/admin/leads?status=new")
    assert len(names(first)) == 50
    html = first.get_data(as_text=True)
    assert "53 leads" in html
    assert 'rel="next"' in html and "page=2" in html and "status=new" in html
    second = admin_client.get("/admin/leads?status=new&page=2")
    assert names(second) == {"Lead 00", "Lead 01", "Lead 02"}
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert names(admin_client.get("/admin/leads?page=3")) == set()


# --------------------------------------------------------------------------- detail


def test_detail_shows_contact_consents_answers_scores_and_source(
    admin_client, make_clinic, make_lead, questionnaire
):
    lead = make_lead(
        make_clinic("alpha"),
        name="Zoë Ångström",
        marketing=True,
        phone="+44 20 7946 0001",
        source={"utm_source": "newsletter", "page_url": "https://alpha.example/skin"},
    )
    html = admin_client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "Zoë Ångström" in html and "+44 20 7946 0001" in html
    assert lead.consent_version in html
    assert "newsletter" in html and "https://alpha.example/skin" in html
    first = questionnaire.questions[0]
    assert first.text.get("en").replace("'", "&#39;") in html
    assert "Scores" in html and "Timeline" in html
    assert "Marketing</dt><dd>given" in html


def test_detail_shows_questions_as_they_read_in_the_version_answered(
    app, admin_client, make_clinic, make_lead, questionnaire
):
    import json

    from quiz.models import QuestionnaireSnapshot

    lead = make_lead(make_clinic("alpha"))
    snapshot = db.session.get(QuestionnaireSnapshot, lead.questionnaire_version)
    document = json.loads(snapshot.document)
    first = document["questions"][0]
    first["text"] = {
        lang: "An older wording of the first question" for lang in document["languages"]
    }
    old = QuestionnaireSnapshot(version="old-version", document=json.dumps(document))
    db.session.add(old)
    update(lead, questionnaire_version="old-version")
    html = admin_client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "An older wording of the first question" in html


def test_status_changes_and_notes_build_the_timeline(admin_client, make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"))
    url = f"/admin/leads/{lead.public_id}"
    assert admin_client.post(f"{url}/status", data={"status": "contacted"}).status_code == 302
    db.session.refresh(lead)
    first_contact = lead.first_contacted_at
    assert lead.status == "contacted" and first_contact is not None
    admin_client.post(f"{url}/notes", data={"body": "Called, booking next week"})
    admin_client.post(f"{url}/status", data={"status": "booked"})
    db.session.refresh(lead)
    assert lead.first_contacted_at == first_contact
    html = admin_client.get(url).get_data(as_text=True)
    timeline = html.split('id="timeline"')[1]
    assert "Status new → contacted" in timeline
    assert "Status contacted → booked" in timeline
    assert "Called, booking next week" in timeline
    assert timeline.count("admin@clinic.example") == 3


def test_bad_status_or_empty_note_is_refused_and_nothing_is_stored(
    admin_client, make_clinic, make_lead
):
    lead = make_lead(make_clinic("alpha"))
    url = f"/admin/leads/{lead.public_id}"
    bad = admin_client.post(f"{url}/status", data={"status": "deleted"})
    assert bad.status_code == 422
    assert "Not a valid choice" in bad.get_data(as_text=True)
    empty = admin_client.post(f"{url}/notes", data={"body": "   "})
    assert empty.status_code == 422
    long = admin_client.post(f"{url}/notes", data={"body": "x" * 5001})
    assert long.status_code == 422
    assert "x" * 5001 in long.get_data(as_text=True)  # what they typed is kept
    db.session.refresh(lead)
    assert lead.status == "new"
    html = admin_client.get(url).get_data(as_text=True)
    assert "Status new" not in html.split('id="timeline"')[1]


# A NUL can be posted (%00) but never stored: PostgreSQL refuses it in text, even in a query.
NO_STORE = "Please remove the invisible NUL or broken characters from this text."


def test_a_note_with_a_nul_is_refused_beside_the_field_and_nothing_is_stored(
    admin_client, make_clinic, make_lead
):
    lead = make_lead(make_clinic("alpha"))
    response = admin_client.post(f"/admin/leads/{lead.public_id}/notes", data={"body": "a\x00b"})
    assert response.status_code == 422
    assert NO_STORE in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(db.select(LeadNote)).first() is None


@pytest.mark.parametrize("name", ["q", "utm_source", "utm_campaign"])
def test_a_nul_in_a_text_filter_is_ignored_with_a_message(admin_client, two_clinics, name):
    response = admin_client.get(f"/admin/leads?{name}=Alice%00")
    assert names(response) == {"Alice Alpha", "Bob Beta"}
    assert NO_STORE in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "public_id", ["a%00b", "not-a-uuid", "{00000000-0000-0000-0000-000000000000}"]
)
def test_a_lead_id_of_another_shape_is_404(admin_client, two_clinics, public_id):
    assert admin_client.get(f"/admin/leads/{public_id}").status_code == 404


_FILTERS = [
    "q",
    "utm_source",
    "utm_campaign",
    "click_id",
    "date_from",
    "date_to",
    "page",
    "sort",
    "status",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.dictionaries(st.sampled_from(_FILTERS), hostile_text(), max_size=4),
    note=hostile_text(),
)
def test_junk_in_the_filters_or_a_note_never_gives_a_server_error(
    admin_client, two_clinics, query, note
):
    # surrogatepass: a lone surrogate goes out as the invalid UTF-8 bytes it encodes to.
    encoded = urlencode(query, encoding="utf-8", errors="surrogatepass")
    assert admin_client.get(f"/admin/leads?{encoded}").status_code == 200
    body = urlencode({"body": note}, encoding="utf-8", errors="surrogatepass")
    response = admin_client.post(
        f"/admin/leads/{two_clinics[2].public_id}/notes",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (302, 422)


# --------------------------------------------------------------------------- exports


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_export_holds_exactly_the_filtered_leads_and_is_recorded(
    admin_client, varied, questionnaire
):
    response = admin_client.post("/admin/leads/export?status=contacted&q=s", data={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(response)
    assert {r["Name"] for r in rows} == {"Sue Suit", "Sam Search", "Ursula Utm"}
    assert all(r["Status"] == "contacted" for r in rows)
    first_question = questionnaire.questions[0].text.get("en")
    assert all(first_question in r["Answers"] for r in rows)
    record = db.session.execute(db.select(ExportRecord)).scalar_one()
    assert record.row_count == 3 and record.format == "csv"
    assert record.actor == "admin@clinic.example"
    assert record.filters == {"status": "contacted", "q": "s"}
    exported = db.session.execute(db.select(ExportedLead)).scalars().all()
    assert len(exported) == 3
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="export")).scalar_one()
    assert entry.detail["rows"] == 3


def test_an_export_appears_in_each_included_leads_timeline(admin_client, make_clinic, make_lead):
    lead = make_lead(make_clinic("alpha"))
    admin_client.post("/admin/leads/export", data={"format": "xlsx"}).close()
    html = admin_client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "Included in a XLSX export of 1 leads" in html


def test_exports_neutralise_formulas_in_csv_and_xlsx(admin_client, make_clinic, make_lead):
    make_lead(
        make_clinic("alpha"),
        name='=HYPERLINK("http://evil.example","x")',
        source={
            "utm_source": "+cmd",
            "utm_campaign": "@SUM(1)",
            "utm_term": "-2",
            # Shaped like a sheet's own rich-text and formula XML: it must stay text.
            "utm_content": '<r><t>x</t></r></is></c><c r="Z2"><f>SUM(1)</f></c><c><is><r></r>',
        },
    )
    rows = csv_rows(admin_client.post("/admin/leads/export", data={"format": "csv"}))
    assert rows[0]["Name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[0]["UTM source"] == "'+cmd"
    assert rows[0]["UTM campaign"] == "'@SUM(1)"
    assert rows[0]["UTM term"] == "'-2"
    response = admin_client.post("/admin/leads/export", data={"format": "xlsx"})
    data = response.data
    response.close()
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["Name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert values["UTM campaign"] == "'@SUM(1)"
    assert values["UTM content"] == rows[0]["UTM content"]
    assert values["UTM content"].startswith("<r><t>x</t></r></is></c>")
    assert sheet.max_column == len(header)


def test_exports_keep_accents_intact(admin_client, make_clinic, make_lead):
    make_lead(make_clinic("alpha"), name="Zoë Ångström-Núñez")
    rows = csv_rows(admin_client.post("/admin/leads/export", data={"format": "csv"}))
    assert rows[0]["Name"] == "Zoë Ångström-Núñez"


def test_export_with_a_bad_format_changes_nothing(admin_client, make_clinic, make_lead):
    make_lead(make_clinic("alpha"))
    response = admin_client.post("/admin/leads/export", data={"format": "pdf"})
    assert response.status_code == 302
    assert db.session.execute(db.select(ExportRecord)).first() is None


def test_export_answers_read_as_question_and_answer(
    admin_client, make_clinic, make_lead, questionnaire
):
    question = next(
        q for q in questionnaire.questions if q.type == "multiple" and len(q.options) > 2
    )
    chosen = [o.id for o in question.options if not o.exclusive and not o.flag][:2]
    answers = answer_everything(questionnaire, **{question.id: chosen})
    make_lead(make_clinic("alpha"), answers=answers)
    rows = csv_rows(admin_client.post("/admin/leads/export", data={"format": "csv"}))
    labels = ", ".join(question.option(o).label.get("en") for o in chosen)
    assert f"{question.text.get('en')}: {labels}" in rows[0]["Answers"]
    lead = db.session.execute(db.select(Lead)).scalar_one()
    assert rows[0]["Lead ID"] == lead.public_id
    assert rows[0]["Health data consent"] == "yes"
    # Times as stored, in UTC, whichever database gave them back.
    for header, stored in (
        ("Created (UTC)", lead.created_at),
        ("Health data consent at (UTC)", lead.consent_health_at),
    ):
        assert rows[0][header] == f"{stored.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z", header


def test_a_lead_under_a_retired_key_still_opens_and_exports(admin_client, make_clinic, make_lead):
    from quiz.crypto import Vault, new_key

    lead = make_lead(make_clinic("alpha"), name="Old Key")
    update(lead, health_data=Vault([new_key()]).encrypt({"answers": {}}))
    page = admin_client.get(f"/admin/leads/{lead.public_id}")
    assert page.status_code == 200
    assert "Answers cannot be decrypted" in page.get_data(as_text=True)
    rows = csv_rows(admin_client.post("/admin/leads/export", data={"format": "csv"}))
    assert rows[0]["Name"] == "Old Key"
    assert "cannot be decrypted" in rows[0]["Answers"]
