"""Table-driven personas: complete answer sets through the shipped questionnaire.

Every persona must be a valid, complete set of answers (`check_answers` finds no errors)
and must get the expected suitability, top area, outcome and educational pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quiz.questions import check_answers, load
from quiz.scoring import score

QUESTIONS = Path(__file__).parent.parent / "questions.json"
Q = load(QUESTIONS)

# A visitor with nothing to report: every safety answer is "none of these".
BASE: dict[str, str | list[str]] = {
    "age": "adult",
    "concerns": ["not_sure"],
    "goal": "subtle",
    "pregnancy": ["none"],
    "skin_now": ["none"],
    "allergies": ["none"],
    "medicines": ["none"],
    "history": ["none"],
    "previous_treatments": ["never"],
    "sensitivity": "rarely",
    "phototype": "sometimes_burns",
    "dark_marks": "no",
}

# Follow-ups for each concern, answered in the least eventful way.
CELLULITE = {
    "concerns": ["cellulite"],
    "cellulite_where": ["thighs"],
    "cellulite_visibility": "standing",
    "body_warning": ["none"],
}
FAT = {"concerns": ["localised_fat"], "body_warning": ["none"]}
STRETCH = {"concerns": ["stretch_marks"], "body_warning": ["none"]}
FACE = {"concerns": ["fine_lines"], "face_detail": "fine_lines"}
PIGMENT = {"concerns": ["pigmentation"], "pigment_type": ["melasma"], "pigment_warning": "no"}
HAIR = {"concerns": ["hair_thinning"], "hair_pattern": "gradual", "hair_future_pregnancy": "no"}

CONSULT_PAGES = ("side-effects-aftercare", "choosing-a-practitioner")


@dataclass
class Persona:
    id: str
    answers: dict
    suitability: str
    top_area: str | None
    outcome: str
    content: tuple[str, ...] = ()
    reasons: tuple[str, ...] = field(default=())  # (question:option) that must give a reason


def visitor(*parts: dict, **changes) -> dict:
    """BASE answers, updated by concern blocks and then by single answers."""
    answers = dict(BASE)
    for part in parts:
        answers.update(part)
    answers.update(changes)
    return answers


def both(*parts: dict) -> dict:
    """Merge concern blocks, joining their concern lists."""
    merged: dict = {}
    concerns: list[str] = []
    for part in parts:
        merged.update(part)
        concerns += part["concerns"]
    merged["concerns"] = concerns
    return merged


PERSONAS = [
    # -- the quiet visitor and the age gate
    Persona(
        "nothing_to_report", visitor(), "possible", None, "learn_more", ("what-is-mesotherapy",)
    ),
    Persona(
        "under_18", {"age": "under_18"}, "not_suitable", None, "under_18", reasons=("age:under_18",)
    ),
    Persona(
        "under_18_other_answers_ignored",
        visitor(CELLULITE, age="under_18"),
        "not_suitable",
        None,
        "under_18",
    ),
    # -- each concern alone
    Persona(
        "cellulite_standing",
        visitor(CELLULITE),
        "good",
        "body",
        "body_cellulite",
        ("cellulite-evidence", "course-and-maintenance", "alternatives"),
    ),
    Persona(
        "cellulite_only_pinched",
        visitor(CELLULITE, cellulite_visibility="pinched"),
        "possible",
        "body",
        "body_cellulite",
        ("cellulite-evidence",),
    ),
    Persona(
        "cellulite_lying_many_places",
        visitor(
            CELLULITE,
            cellulite_visibility="lying",
            cellulite_where=["thighs", "buttocks", "hips", "abdomen", "arms"],
        ),
        "good",
        "body",
        "body_cellulite",
        ("cellulite-evidence",),
        ("cellulite_visibility:lying",),
    ),
    Persona(
        "localised_fat",
        visitor(FAT),
        "possible",
        "body",
        "body_fat",
        ("localised-fat", "alternatives"),
        ("concerns:localised_fat",),
    ),
    Persona(
        "stretch_marks",
        visitor(STRETCH),
        "possible",
        "body",
        "body_stretch_marks",
        ("stretch-marks",),
        ("concerns:stretch_marks",),
    ),
    Persona(
        "fine_lines",
        visitor(FACE),
        "good",
        "face",
        "face_skin_quality",
        ("skin-quality", "course-and-maintenance"),
    ),
    Persona(
        "dry_dull",
        visitor(concerns=["dryness"], face_detail="dry_dull"),
        "good",
        "face",
        "face_skin_quality",
        ("skin-quality",),
    ),
    Persona(
        "deep_folds",
        visitor(FACE, face_detail="deep_folds"),
        "possible",
        "face",
        "face_skin_quality",
        ("skin-quality", "alternatives"),
        ("face_detail:deep_folds",),
    ),
    Persona(
        "sun_damage",
        visitor(
            concerns=["sun_damage"],
            face_detail="rough_texture",
            pigment_type=["sun_spots"],
            pigment_warning="no",
        ),
        "possible",
        "face",
        "face_skin_quality",
        ("skin-quality", "pigmentation"),
    ),
    Persona(
        "melasma",
        visitor(PIGMENT),
        "good",
        "pigmentation",
        "pigmentation",
        ("pigmentation", "sensitive-and-darker-skin"),
    ),
    Persona(
        "pigment_unsure",
        visitor(PIGMENT, pigment_type=["unsure"]),
        "possible",
        "pigmentation",
        "pigmentation",
        ("pigmentation",),
    ),
    Persona("hair_gradual", visitor(HAIR), "good", "scalp", "scalp_hair", ("hair-thinning",)),
    # -- combinations of concerns
    Persona(
        "cellulite_and_hair",
        visitor(both(CELLULITE, HAIR)),
        "good",
        "scalp",
        "scalp_hair",
        ("hair-thinning", "cellulite-evidence"),
    ),
    Persona(
        "face_and_pigment",
        visitor(both(FACE, PIGMENT)),
        "good",
        "pigmentation",
        "pigmentation",
        ("pigmentation", "skin-quality"),
    ),
    Persona(
        "fat_and_stretch_marks",
        visitor(both(FAT, STRETCH)),
        "good",
        "body",
        "body_fat",
        ("localised-fat", "stretch-marks"),
    ),
    Persona(
        "everything_at_once",
        visitor(
            both(CELLULITE, FAT, STRETCH, FACE, PIGMENT, HAIR),
            concerns=[
                "cellulite",
                "localised_fat",
                "fine_lines",
                "dryness",
                "sun_damage",
                "pigmentation",
                "stretch_marks",
                "hair_thinning",
            ],
        ),
        "good",
        "body",
        "body_cellulite",
        ("cellulite-evidence", "hair-thinning"),
    ),
    # -- expectations
    Persona(
        "hopes_gone_for_good",
        visitor(CELLULITE, goal="gone_for_good"),
        "good",
        "body",
        "body_cellulite",
        ("course-and-maintenance",),
        ("goal:gone_for_good",),
    ),
    Persona(
        "weight_loss",
        visitor(FAT, goal="lose_weight"),
        "not_suitable",
        "body",
        "weight_loss_redirect",
        ("localised-fat", "alternatives"),
        ("goal:lose_weight",),
    ),
    # -- warning signs: see a doctor
    Persona(
        "changing_spot",
        visitor(PIGMENT, pigment_warning="yes"),
        "not_suitable",
        "pigmentation",
        "doctor_skin_change",
        ("see-a-doctor",),
        ("pigment_warning:yes",),
    ),
    Persona(
        "sudden_hair_loss",
        visitor(HAIR, hair_pattern="sudden_patchy"),
        "not_suitable",
        "scalp",
        "doctor_hair",
        ("see-a-doctor", "hair-thinning"),
        ("hair_pattern:sudden_patchy",),
    ),
    Persona(
        "sore_scalp",
        visitor(HAIR, hair_pattern="scalp_symptoms"),
        "not_suitable",
        "scalp",
        "doctor_hair",
        ("see-a-doctor",),
        ("hair_pattern:scalp_symptoms",),
    ),
    Persona(
        "painful_lump",
        visitor(CELLULITE, body_warning=["lump"]),
        "not_suitable",
        "body",
        "doctor_lump",
        ("see-a-doctor",),
        ("body_warning:lump",),
    ),
    Persona(
        "hot_red_skin",
        visitor(STRETCH, body_warning=["hot_red"]),
        "not_suitable",
        "body",
        "doctor_lump",
        ("see-a-doctor",),
        ("body_warning:hot_red",),
    ),
    Persona(
        "one_sided_swelling",
        visitor(FAT, body_warning=["one_sided"]),
        "not_suitable",
        "body",
        "doctor_lump",
        ("see-a-doctor",),
        ("body_warning:one_sided",),
    ),
    # -- pregnancy and skin that must heal first
    *[
        Persona(
            f"pregnancy_{opt}",
            visitor(FACE, pregnancy=[opt]),
            "not_suitable",
            "face",
            "pregnancy_defer",
            ("what-is-mesotherapy",),
            (f"pregnancy:{opt}",),
        )
        for opt in ("pregnant", "trying", "breastfeeding")
    ],
    *[
        Persona(
            f"skin_now_{opt}",
            visitor(FACE, skin_now=[opt]),
            "not_suitable",
            "face",
            "heal_first",
            ("side-effects-aftercare",),
            (f"skin_now:{opt}",),
        )
        for opt in ("infection", "cold_sore", "wound", "rash_flare", "sunburn")
    ],
    # -- allergies
    Persona(
        "allergic_to_ingredient",
        visitor(FACE, allergies=["known_ingredient"]),
        "not_suitable",
        "face",
        "not_suitable",
        ("what-is-mesotherapy", "alternatives"),
        ("allergies:known_ingredient",),
    ),
    *[
        Persona(
            f"allergy_{opt}",
            visitor(FACE, allergies=[opt]),
            "consult",
            "face",
            "consult_first",
            CONSULT_PAGES,
            (f"allergies:{opt}",),
        )
        for opt in ("local_anaesthetic", "medicine", "soya_egg", "previous_injection", "skincare")
    ],
    # -- medicines (never told to stop them)
    *[
        Persona(
            f"medicine_{opt}",
            visitor(CELLULITE, medicines=[opt]),
            "consult",
            "body",
            "consult_first",
            CONSULT_PAGES,
            (f"medicines:{opt}",),
        )
        for opt in ("blood_thinner", "aspirin", "isotretinoin", "immunosuppressant")
    ],
    Persona(
        "hair_medicine_note",
        visitor(HAIR, medicines=["hair_medicine"]),
        "good",
        "scalp",
        "scalp_hair",
        ("hair-thinning",),
        ("medicines:hair_medicine",),
    ),
    Persona(
        "hair_could_become_pregnant",
        visitor(HAIR, hair_future_pregnancy="yes"),
        "consult",
        "scalp",
        "consult_first",
        ("hair-thinning",),
        ("hair_future_pregnancy:yes",),
    ),
    Persona(
        "hair_pregnancy_prefer_not",
        visitor(HAIR, hair_future_pregnancy="prefer_not"),
        "consult",
        "scalp",
        "consult_first",
        ("hair-thinning",),
        ("hair_future_pregnancy:prefer_not",),
    ),
    # -- medical history
    *[
        Persona(
            f"history_{opt}",
            visitor(PIGMENT, history=[opt]),
            "consult",
            "pigmentation",
            "consult_first",
            CONSULT_PAGES,
            (f"history:{opt}",),
        )
        for opt in (
            "bleeding_disorder",
            "keloid",
            "cold_sores",
            "diabetes",
            "autoimmune",
            "immune",
            "cancer",
            "liver_kidney",
            "heart",
            "blood_clots",
            "swallowing",
        )
    ],
    # -- previous treatments
    Persona(
        "previous_no_problems",
        visitor(FACE, previous_treatments=["no_problems"]),
        "good",
        "face",
        "face_skin_quality",
        ("skin-quality",),
    ),
    Persona(
        "previous_in_area",
        visitor(FAT, previous_treatments=["in_area"]),
        "consult",
        "body",
        "consult_first",
        CONSULT_PAGES,
        ("previous_treatments:in_area",),
    ),
    Persona(
        "previous_complication",
        visitor(FACE, previous_treatments=["no_problems", "complication"]),
        "consult",
        "face",
        "consult_first",
        CONSULT_PAGES,
        ("previous_treatments:complication",),
    ),
    Persona(
        "previous_abroad",
        visitor(FACE, previous_treatments=["abroad_nonmedical"]),
        "good",
        "face",
        "face_skin_quality",
        ("choosing-a-practitioner",),
        ("previous_treatments:abroad_nonmedical",),
    ),
    # -- sensitivity and phototype
    Persona(
        "sensitive_often",
        visitor(FACE, sensitivity="often"),
        "consult",
        "face",
        "consult_first",
        ("sensitive-and-darker-skin",),
        ("sensitivity:often",),
    ),
    Persona(
        "sensitive_sometimes",
        visitor(FACE, sensitivity="sometimes"),
        "good",
        "face",
        "face_skin_quality",
        ("sensitive-and-darker-skin",),
        ("sensitivity:sometimes",),
    ),
    Persona(
        "fair_skin_burns",
        visitor(FACE, phototype="burns_never_tans"),
        "good",
        "face",
        "face_skin_quality",
        ("skin-quality",),
    ),
    Persona(
        "tans_easily",
        visitor(PIGMENT, phototype="rarely_burns"),
        "good",
        "pigmentation",
        "pigmentation",
        ("sensitive-and-darker-skin",),
        ("phototype:rarely_burns",),
    ),
    Persona(
        "brown_or_black_skin",
        visitor(PIGMENT, phototype="never_burns"),
        "good",
        "pigmentation",
        "pigmentation",
        ("sensitive-and-darker-skin",),
        ("phototype:never_burns",),
    ),
    Persona(
        "dark_marks_after_injury",
        visitor(PIGMENT, dark_marks="yes"),
        "consult",
        "pigmentation",
        "consult_first",
        ("sensitive-and-darker-skin",),
        ("dark_marks:yes",),
    ),
    Persona(
        "pigment_not_sure_if_changed",
        visitor(PIGMENT, pigment_warning="not_sure"),
        "consult",
        "pigmentation",
        "consult_first",
        ("see-a-doctor",),
        ("pigment_warning:not_sure",),
    ),
    # -- several flags at once: the most serious wins
    Persona(
        "pregnant_and_wants_weight_loss",
        visitor(FAT, pregnancy=["pregnant"], goal="lose_weight"),
        "not_suitable",
        "body",
        "pregnancy_defer",
        (),
        ("pregnancy:pregnant", "goal:lose_weight"),
    ),
    Persona(
        "blood_thinner_and_lump",
        visitor(CELLULITE, medicines=["blood_thinner"], body_warning=["lump"]),
        "not_suitable",
        "body",
        "doctor_lump",
        ("see-a-doctor", "side-effects-aftercare"),
        ("medicines:blood_thinner", "body_warning:lump"),
    ),
    Persona(
        "many_cautions",
        visitor(
            FACE,
            medicines=["aspirin", "isotretinoin"],
            history=["diabetes", "keloid"],
            sensitivity="often",
            dark_marks="yes",
        ),
        "consult",
        "face",
        "consult_first",
        ("sensitive-and-darker-skin",),
    ),
    Persona(
        "cautions_without_a_concern",
        visitor(history=["heart"]),
        "consult",
        None,
        "consult_first",
        CONSULT_PAGES,
    ),
]


def test_enough_personas_with_unique_ids():
    assert len(PERSONAS) >= 30
    ids = [p.id for p in PERSONAS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.id)
def test_persona(persona: Persona):
    answers, errors = check_answers(Q, persona.answers)
    assert errors == {}, f"{persona.id} is not a complete, valid answer set"
    result = score(Q, answers)
    assert result.suitability == persona.suitability
    assert result.top_area == persona.top_area
    assert result.outcome.id == persona.outcome
    shown = [item.id for item in result.content]
    missing = [cid for cid in persona.content if cid not in shown]
    assert not missing, f"{persona.id}: pages {missing} not shown (got {shown})"
    given = {f"{r.question_id}:{r.option_id}" for r in result.reasons}
    assert set(persona.reasons) <= given
    for reason in result.reasons:
        assert reason.text.get("en").startswith("Because you"), reason.text.get("en")
    assert result.store_lead is (persona.outcome != "under_18")
    if result.outcome.doctor:
        assert result.suitability == "not_suitable"


def test_under_18_keeps_nothing_but_the_age():
    answers, errors = check_answers(Q, visitor(CELLULITE, age="under_18"))
    assert errors == {}
    assert answers == {"age": ("under_18",)}


def _flagged_options():
    for question in Q.questions:
        for option in question.options:
            if option.flag:
                yield question, option


def test_every_flag_is_covered_by_a_persona():
    exercised = {
        f"{qid}:{opt}"
        for persona in PERSONAS
        for qid, value in persona.answers.items()
        for opt in ([value] if isinstance(value, str) else value)
    }
    flagged = {f"{q.id}:{o.id}" for q, o in _flagged_options()}
    assert flagged - exercised == set()


# How a reason opens in each language: it always points back to what the visitor said.
REASON_OPENINGS = {"en": "Because you", "de": "Da Sie", "es": "Como "}


def test_every_reason_names_the_visitors_answer():
    for question in Q.questions:
        for option in question.options:
            if option.reason is None:
                continue
            for language, text in option.reason.values:
                opening = REASON_OPENINGS[language]
                assert text.startswith(opening), f"{question.id}:{option.id}:{language}: {text}"
                assert "stop taking" not in text.lower()


def test_stop_and_consult_always_carry_reasons_and_pages():
    for question, option in _flagged_options():
        assert option.reason is not None
        if option.ends_quiz:
            # Under-18s get a kind message only: no cosmetic content is shown to minors.
            assert not option.content
            continue
        assert option.content, f"{question.id}:{option.id} should point to a page"


def test_safety_questions_are_required_with_an_explicit_none():
    for qid in ("pregnancy", "skin_now", "allergies", "medicines", "history", "body_warning"):
        question = Q.question(qid)
        assert question.required
        assert question.type == "multiple"
        assert any(o.exclusive for o in question.options), qid


def test_outcomes_are_worded_as_discussion_not_verdict():
    for outcome in Q.outcomes:
        text = outcome.text.get("en")
        assert "not a diagnosis" in text, outcome.id
        if outcome.id.startswith(("body_", "face_", "scalp_", "pigmentation")):
            assert "may be a candidate to discuss" in outcome.title.get("en"), outcome.id
            assert "qualified practitioner" in outcome.title.get("en"), outcome.id
        if outcome.doctor:
            assert outcome.suitability == "not_suitable", outcome.id


def test_every_outcome_is_reachable():
    reached = {score(Q, check_answers(Q, p.answers)[0]).outcome.id for p in PERSONAS}
    assert reached == {o.id for o in Q.outcomes}
