"""Ad click ids: kept only with ad-measurement consent, checked one rule per id, and shown
wherever a lead's attribution goes (lead page, filter, exports, pull API, webhooks)."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz import delivery
from quiz.exports import HEADERS, KEYS
from quiz.extensions import db
from quiz.models import Lead
from quiz.services import tokens
from quiz.services.outbox import generate_secret
from quiz.validation import (
    CLICK_IDS,
    attribution,
    check_click_id,
    check_consent,
    check_source,
    strip_click_ids,
)
from tests.helpers import Visitor, answer_everything
from tests.strategies import hostile_text

pytestmark = pytest.mark.usefixtures("admin_config")


# Ids in the shapes the platforms issue them.
IDS = {
    "gclid": "Cj0KCQiA_example-GCLID_BwE",
    "gbraid": "0AAAAADgbraid_x-1",
    "wbraid": "CkwKCQwbraid_x-1",
    "fbclid": "IwAR2fbclid-Example_aem_x1.y2",
    "msclkid": "3c4f1b2a9d8e4f6a8b7c6d5e4f3a2b1c",
    "ttclid": "E.C.P.ttclid-Example_1",
    "li_fat_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
}
PAGE = "https://acme.example/offer?utm_source=google&gclid=Cj0KCQiA_example-GCLID_BwE&x=1&fbclid=IwAR2fbclid-Example_aem_x1.y2"
STRIPPED = "https://acme.example/offer?utm_source=google&x=1"
SECRET = generate_secret()
CONSENT = {"contact": True, "health_data": True}
CONTACT = {"name": "Ada Lovelace", "email": "ada@example.com"}


@pytest.fixture
def app_config(app_config):
    # Webhooks to the loopback receiver, over plain HTTP.
    return {
        **app_config,
        "QUIZ_MIN_FILL_SECONDS": 0,
        "WEBHOOK_ALLOW_PRIVATE": True,
        "WEBHOOK_TIMEOUT": 1.0,
    }


def stored() -> Lead:
    return db.session.execute(db.select(Lead)).scalar_one()


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("key", "limit"),
    [("gclid", 100), ("gbraid", 100), ("wbraid", 100), ("fbclid", 500), ("msclkid", 100)],
)
def test_a_click_id_up_to_its_bound_is_kept_and_one_longer_is_dropped_not_cut(key, limit):
    assert check_click_id(key, "a" * limit) == "a" * limit
    assert check_click_id(key, "a" * (limit + 1)) is None


@pytest.mark.parametrize("key", CLICK_IDS)
@pytest.mark.parametrize("bad", ["abc def", "abc<script>", "ab\u00e9c", "a+b/c=", "", "   "])
def test_a_click_id_with_a_character_outside_its_alphabet_is_dropped(key, bad):
    assert check_click_id(key, bad) is None


def test_microsoft_and_linkedin_ids_take_no_dots_or_underscores():
    assert check_click_id("msclkid", IDS["msclkid"]) == IDS["msclkid"]
    assert check_click_id("msclkid", "3c4f_1b2a") is None
    assert check_click_id("li_fat_id", "a1b2.c3d4") is None
    assert check_click_id("gclid", "Cj0.KC_Q-x") == "Cj0.KC_Q-x"


def test_stripping_click_ids_keeps_the_rest_of_the_url_as_it_was():
    assert strip_click_ids(PAGE) == STRIPPED
    assert strip_click_ids("https://a.example/p?q=a%20b&msclkid=1") == "https://a.example/p?q=a%20b"
    assert strip_click_ids("https://a.example/p?gclid=1") == "https://a.example/p"
    assert strip_click_ids("https://a.example/p") == "https://a.example/p"


def test_attribution_without_ad_consent_keeps_no_click_id_and_strips_the_page():
    source = {**IDS, "utm_source": "google", "page_url": PAGE}
    without = attribution(source, ad_consent=False)
    assert all(without[key] is None for key in CLICK_IDS)
    assert (without["page_url"], without["utm_source"], without["ad_consent"]) == (
        STRIPPED,
        "google",
        False,
    )
    granted = attribution(source, ad_consent=True)
    assert {key: granted[key] for key in CLICK_IDS} == IDS
    assert granted["page_url"] == PAGE and granted["ad_consent"] is True


def test_check_source_drops_a_bad_click_id_without_an_error():
    source, errors = check_source({"gclid": "x" * 101, "fbclid": "ok_1", "utm_source": "g"})
    assert errors == {}
    assert source == {"fbclid": "ok_1", "utm_source": "g"}
    _, errors = check_source({"gclid": 5})
    assert errors == {"source.gclid": ["Must be text."]}


def test_ads_consent_is_optional_false_by_default_and_must_be_a_boolean():
    assert check_consent(CONSENT)[0].ads is False
    assert check_consent({**CONSENT, "ads": True})[0].ads is True
    _, errors = check_consent({**CONSENT, "ads": "yes"})
    assert errors == {"consent.ads": ["Must be true or false."]}


# --------------------------------------------------------------------------- the quiz


def run_quiz(app, questionnaire, **query) -> Lead:
    visitor = Visitor(app.test_client(use_cookies=False))
    visitor.open("acme", **query)
    visitor.start("acme")
    visitor.finish_steps("acme", answer_everything(questionnaire))
    response = visitor.contact("acme")
    assert response.status_code == 200
    assert visitor.event() == "lead"
    return stored()


def test_the_quiz_keeps_click_ids_when_the_host_has_ad_consent(app, make_clinic, questionnaire):
    make_clinic("acme")
    lead = run_quiz(app, questionnaire, ad_consent="granted", page_url=PAGE, **IDS)
    assert {key: getattr(lead, key) for key in CLICK_IDS} == IDS
    assert lead.ad_consent is True
    assert lead.page_url == PAGE


@pytest.mark.parametrize("said", [None, "denied", "yes", "GRANTED"])
def test_without_ad_consent_the_quiz_keeps_no_click_id_and_strips_the_page(
    app, make_clinic, questionnaire, said
):
    make_clinic("acme")
    query = {"page_url": PAGE, "utm_source": "google", **IDS}
    if said is not None:
        query["ad_consent"] = said
    lead = run_quiz(app, questionnaire, **query)
    assert all(getattr(lead, key) is None for key in CLICK_IDS)
    assert lead.ad_consent is False
    assert lead.page_url == STRIPPED
    assert lead.utm_source == "google"


def test_a_bad_click_id_in_the_query_is_dropped_and_the_lead_still_stored(
    app, make_clinic, questionnaire
):
    make_clinic("acme")
    lead = run_quiz(
        app, questionnaire, ad_consent="granted", gclid="g" * 101, fbclid="f" * 500, msclkid="a b"
    )
    assert (lead.gclid, lead.fbclid, lead.msclkid) == (None, "f" * 500, None)


# --------------------------------------------------------------------------- the API


def post(client, body):
    return client.post("/api/v1/assessments", json=body)


def test_the_api_keeps_click_ids_with_consent_ads_and_lists_them(
    client, make_clinic, questionnaire
):
    clinic = make_clinic("acme")
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": {**CONSENT, "ads": True},
        "source": {**IDS, "page_url": PAGE},
    }
    assert post(client, body).status_code == 201
    token = tokens.create_token(clinic)
    [listed] = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"}).get_json()[
        "leads"
    ]
    assert {key: listed[key] for key in CLICK_IDS} == IDS
    assert listed["ad_consent"] is True and listed["page_url"] == PAGE


def test_the_api_without_consent_ads_keeps_no_click_id(client, make_clinic, questionnaire):
    clinic = make_clinic("acme")
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": CONSENT,
        "source": {**IDS, "page_url": PAGE, "gclid": "x" * 200},
    }
    assert post(client, body).status_code == 201
    lead = stored()
    assert all(getattr(lead, key) is None for key in CLICK_IDS)
    assert lead.page_url == STRIPPED and lead.ad_consent is False
    token = tokens.create_token(clinic)
    [listed] = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"}).get_json()[
        "leads"
    ]
    assert all(listed[key] is None for key in CLICK_IDS) and listed["ad_consent"] is False


def test_the_api_stores_the_lead_when_a_click_id_is_too_long(client, make_clinic, questionnaire):
    make_clinic("acme")
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": {**CONSENT, "ads": True},
        "source": {"gclid": "x" * 101, "fbclid": "f" * 501, "msclkid": IDS["msclkid"]},
    }
    assert post(client, body).status_code == 201
    lead = stored()
    assert (lead.gclid, lead.fbclid, lead.msclkid) == (None, None, IDS["msclkid"])


# --------------------------------------------------------------------------- where they show


@pytest.mark.parametrize("ads", [True, False])
def test_the_webhook_carries_click_ids_and_the_flag_only_with_consent(
    client, make_clinic, questionnaire, receiver, ads
):
    make_clinic("acme", webhook_url=receiver.url(), webhook_secret=SECRET)
    body = {
        "clinic": "acme",
        "answers": answer_everything(questionnaire),
        "contact": CONTACT,
        "consent": {**CONSENT, "ads": ads},
        "source": {**IDS, "page_url": PAGE},
    }
    assert post(client, body).status_code == 201
    delivery.run_once()
    [hit] = [h for h in receiver.hits if h.path == "/hook"]
    sent = json.loads(hit.body)["data"]["lead"]
    assert sent["ad_consent"] is ads
    if ads:
        assert {key: sent[key] for key in CLICK_IDS} == IDS and sent["page_url"] == PAGE
    else:
        assert all(sent[key] is None for key in CLICK_IDS) and sent["page_url"] == STRIPPED
        for value in IDS.values():
            assert value.encode() not in hit.body


def consented(make_lead, clinic, name="Ada Lovelace", **ids) -> Lead:
    lead = make_lead(clinic, name=name)
    lead.ad_consent = True
    for key, value in ids.items():
        setattr(lead, key, value)
    db.session.commit()
    return lead


def test_the_lead_page_shows_the_click_ids_and_the_consent(admin_client, make_clinic, make_lead):
    clinic = make_clinic("acme")
    lead = consented(make_lead, clinic, **IDS)
    page = admin_client.get(f"/admin/leads/{lead.public_id}").get_data(as_text=True)
    assert "consent given" in page
    for key, value in IDS.items():
        assert f"<dt>{key}</dt><dd>{value}</dd>" in page
    other = make_lead(clinic)
    page = admin_client.get(f"/admin/leads/{other.public_id}").get_data(as_text=True)
    assert "no consent: no click ids kept" in page and "<dt>gclid</dt>" not in page


def test_the_leads_list_filters_by_ad_consent_and_by_click_id(admin_client, make_clinic, make_lead):
    clinic = make_clinic("acme")
    make_lead(clinic, name="Nobody Consented")
    consented(make_lead, clinic, "Google Click", gclid=IDS["gclid"])
    consented(make_lead, clinic, "Meta Click", fbclid=IDS["fbclid"])

    def names(**query) -> set[str]:
        page = admin_client.get("/admin/leads", query_string=query).get_data(as_text=True)
        return {n for n in ("Nobody Consented", "Google Click", "Meta Click") if n in page}

    assert names() == {"Nobody Consented", "Google Click", "Meta Click"}
    assert names(click_id="consent") == {"Google Click", "Meta Click"}
    assert names(click_id="none") == {"Nobody Consented"}
    assert names(click_id="gclid") == {"Google Click"}
    assert names(click_id="fbclid") == {"Meta Click"}
    ignored = admin_client.get("/admin/leads", query_string={"click_id": "bogus"})
    assert "Ignored the ad click filter" in ignored.get_data(as_text=True)


def test_exports_have_a_column_named_like_each_click_id(admin_client, make_clinic, make_lead):
    clinic = make_clinic("acme")
    consented(make_lead, clinic, **IDS)
    assert [h for h in HEADERS if h in CLICK_IDS] == list(CLICK_IDS)
    assert KEYS.index("ad_consent") < KEYS.index("gclid")
    response = admin_client.post("/admin/leads/export", data={"format": "csv"})
    assert response.status_code == 200
    [row] = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert {key: row[key] for key in CLICK_IDS} == IDS
    assert row["Ad consent"] == "yes"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=st.dictionaries(st.sampled_from(["platform", "status", "since", "clinic"]),
                              hostile_text(), max_size=4))  # fmt: skip
def test_junk_in_the_conversions_download_never_gives_a_server_error(admin_client, fields):
    body = urlencode(
        {f"conversions-{key}": value for key, value in fields.items()},
        encoding="utf-8",
        errors="surrogatepass",
    )
    response = admin_client.post(
        "/admin/leads/conversions", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 302)
