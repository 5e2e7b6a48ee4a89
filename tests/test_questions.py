"""Tests for the questionnaire loader and the answer checker in quiz.questions."""

from __future__ import annotations

import copy
import json
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.questions import (
    QuestionnaireError,
    applicable,
    check_answers,
    clean_answers,
    load,
    parse,
)
from quiz.scoring import score
from tests.documents import (
    FIXTURES,
    SHIPPED,
    fixture_document,
    make_document,
    make_option,
    make_question,
)


def make_content(cid: str = "guide", **overrides) -> dict:
    item = {"id": cid, "title": "Guide", "file": f"{cid}.md", "summary": "Read this."}
    item.update(overrides)
    return item


def problems_of(document) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        parse(document)
    return info.value.problems


def rich():
    return parse(fixture_document("rich"))


@cache
def shipped():
    return load(SHIPPED)


# --------------------------------------------------------------------------- loading


def test_minimal_questionnaire_loads_from_file():
    questionnaire = load(FIXTURES / "minimal.json")
    assert [q.id for q in questionnaire.questions] == ["goal"]
    assert questionnaire.languages == ("en",)
    assert questionnaire.good_threshold == 50
    assert questionnaire.consent_version == "1"
    assert questionnaire.question("goal").option("glow").scores == (("face", 60),)
    assert questionnaire.steps[0].question_ids == ("goal",)
    assert questionnaire.outcomes[0].id == "general"


def test_rich_fixture_loads_with_show_if_chain():
    questionnaire = rich()
    depth = questionnaire.question("face_depth")
    assert depth.show_if is not None
    assert depth.show_if.question_id == "face_concern"
    assert depth.show_if.option_ids == frozenset({"wrinkles"})
    assert questionnaire.good_threshold == 60


def test_translated_questionnaire_keeps_every_language():
    questionnaire = load(FIXTURES / "translated.json")
    assert questionnaire.languages == ("en", "de")
    assert questionnaire.question("goal").text.get("de") == "Was möchten Sie verbessern?"
    assert questionnaire.question("goal").text.get("fr") == "What would you like to improve?"


def test_version_is_stable_for_the_same_file(tmp_path):
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(make_document()), encoding="utf-8")
    first = load(path).version
    assert first == load(path).version
    assert len(first) == 12
    assert all(c in "0123456789abcdef" for c in first)


def test_version_changes_when_the_file_changes(tmp_path):
    path = tmp_path / "questions.json"
    document = make_document()
    path.write_text(json.dumps(document), encoding="utf-8")
    before = load(path).version
    document["questions"][0]["text"] = "What would you most like to improve?"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load(path).version != before


def test_parse_version_is_stable_regardless_of_key_order():
    document = make_document()
    reordered = dict(reversed(list(document.items())))
    assert parse(document).version == parse(reordered).version
    assert parse(document).version != parse(make_document(consent_version="2")).version


def test_invalid_json_reports_line_and_column(tmp_path):
    path = tmp_path / "questions.json"
    path.write_text('{\n  "areas": [\n    oops\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load(path)
    [problem] = info.value.problems
    assert "invalid JSON at line 3 column 5" in problem
    assert str(path) in problem


def test_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(QuestionnaireError) as info:
        load(path)
    [problem] = info.value.problems
    assert problem.startswith(f"{path}: cannot read")


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "questions.json"
    path.write_bytes(b'{"areas": "\xff"}')
    with pytest.raises(QuestionnaireError) as info:
        load(path)
    assert info.value.problems == [f"{path}: not UTF-8 text"]


def test_load_requires_content_files_beside_the_questionnaire(tmp_path):
    document = make_document(content=[make_content("guide")])
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load(path)
    assert info.value.problems == ["content[0].file: guide.md does not exist"]
    (tmp_path / "guide.md").write_text("# Guide\n", encoding="utf-8")
    assert load(path).content_item("guide").file == "guide.md"


def test_error_message_joins_all_problems():
    error = QuestionnaireError(["a: one", "b: two"])
    assert str(error) == "a: one\nb: two"
    assert isinstance(error, ValueError)


# --------------------------------------------------------------------------- schema problems


def test_document_that_is_not_an_object_is_reported():
    assert problems_of([]) == ["$: must be an object"]


def test_missing_top_level_fields_are_named():
    document = make_document()
    del document["areas"]
    del document["outcomes"]
    problems = problems_of(document)
    assert '$: missing "areas"' in problems
    assert '$: missing "outcomes"' in problems


def test_unknown_top_level_field_is_named():
    assert problems_of(make_document(colour="red")) == ["$.colour: unknown field"]


def test_unknown_question_field_is_named():
    document = make_document()
    document["questions"][0]["hint"] = "x"
    assert problems_of(document) == ["questions[0].hint: unknown field"]


def test_unknown_option_field_is_named():
    document = make_document()
    document["questions"][0]["options"][1]["weight"] = 3
    assert problems_of(document) == ["questions[0].options[1].weight: unknown field"]


def test_missing_question_fields_are_named():
    document = make_document()
    del document["questions"][0]["type"]
    problems = problems_of(document)
    assert 'questions[0]: missing "type"' in problems


def test_missing_option_label_is_named():
    document = make_document()
    del document["questions"][0]["options"][0]["label"]
    problems = problems_of(document)
    assert 'questions[0].options[0]: missing "label"' in problems


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("questions", 0, "type"), "dropdown", 'questions[0].type: must be "single" or "multiple"'),
        (("questions", 0, "required"), "yes", "questions[0].required: must be true or false"),
        (("questions", 0, "id"), 7, "questions[0].id: must be an id"),
        (("questions", 0, "id"), "Bad Id", "questions[0].id: must be an id"),
        (("questions", 0, "text"), 3, "questions[0].text: must be a string or an object"),
        (("questions", 0, "text"), "  ", "questions[0].text: must not be empty"),
        (("questions", 0, "step"), "nowhere", 'questions[0].step: unknown step "nowhere"'),
        (("questions", 0, "options"), "glow", "questions[0].options: must be a list of at least"),
        (("questions", 0, "options", 0, "scores"), [1], "questions[0].options[0].scores: must be"),
        (
            ("questions", 0, "options", 0, "scores", "face"),
            "60",
            "questions[0].options[0].scores.face: must be a whole number",
        ),
        (
            ("questions", 0, "options", 0, "scores", "face"),
            True,
            "questions[0].options[0].scores.face: must be a whole number",
        ),
        (
            ("questions", 0, "options", 0, "scores", "face"),
            101,
            "questions[0].options[0].scores.face: must be a whole number",
        ),
        (("questions", 0, "options", 0, "flag"), "maybe", "questions[0].options[0].flag: must be"),
        (
            ("questions", 0, "options", 0, "exclusive"),
            "yes",
            "questions[0].options[0].exclusive: must be true or false",
        ),
        (("questions", 0, "options", 0, "content"), "x", "questions[0].options[0].content: must"),
        (("areas",), [], "areas: must be a non-empty list"),
        (("areas", 0), "face", "areas[0]: must be an object"),
        (("steps",), {}, "steps: must be a non-empty list"),
        (("questions",), [], "questions: must be a non-empty list"),
        (("outcomes",), None, "outcomes: must be a non-empty list"),
        (("content",), {}, "content: must be a list"),
        (("languages",), "en", "languages: must be a non-empty list of two-letter"),
        (("languages",), [], "languages: must be a non-empty list of two-letter"),
        (("scoring",), {"good_threshold": 0}, "scoring.good_threshold: must be a whole number"),
        (("scoring",), {"good_threshold": "50"}, "scoring.good_threshold: must be a whole number"),
        (("scoring",), {"good_threshold": True}, "scoring.good_threshold: must be a whole number"),
        (("scoring",), {"pass": 50}, "scoring.pass: unknown field"),
        (("consent_version",), 2, "consent_version: must be a non-empty string"),
        (("outcomes", 0, "when"), [], "outcomes[0].when: must be an object"),
        (("outcomes", 0, "doctor"), "yes", "outcomes[0].doctor: must be true or false"),
        (("outcomes", 0, "suitability"), "great", "outcomes[0].suitability: must be one of"),
    ],
)
def test_wrong_value_is_reported_at_its_json_path(path, value, expected):
    document = make_document()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    problems = problems_of(document)
    assert any(p.startswith(expected) for p in problems), problems


def test_duplicate_question_id_is_reported():
    document = make_document()
    document["questions"].append(make_question("goal"))
    assert problems_of(document) == ['questions[1].id: duplicate id "goal"']


def test_duplicate_option_id_is_reported():
    document = make_document()
    document["questions"][0]["options"].append(make_option("glow"))
    assert problems_of(document) == ['questions[0].options[2].id: duplicate id "glow"']


def test_duplicate_area_id_is_reported():
    document = make_document(areas=[{"id": "face", "label": "Face"}, {"id": "face", "label": "F"}])
    assert problems_of(document) == ['areas[1].id: duplicate id "face"']


def test_duplicate_step_id_is_reported():
    document = make_document(steps=[{"id": "about", "title": "A"}, {"id": "about", "title": "B"}])
    assert 'steps[1].id: duplicate id "about"' in problems_of(document)


def test_duplicate_content_id_is_reported():
    document = make_document(content=[make_content("guide"), make_content("guide")])
    assert problems_of(document) == ['content[1].id: duplicate id "guide"']


def test_duplicate_outcome_id_is_reported():
    document = make_document()
    document["outcomes"].insert(0, {**document["outcomes"][0], "when": {"suitability": ["good"]}})
    assert problems_of(document) == ['outcomes[1].id: duplicate id "general"']


def test_two_invalid_ids_are_not_reported_as_duplicates():
    document = make_document(areas=[{"id": "Face", "label": "F"}, {"id": "Body", "label": "B"}])
    problems = problems_of(document)
    assert not [p for p in problems if "duplicate" in p], problems


def test_unknown_area_in_scores_is_reported():
    document = make_document()
    document["questions"][0]["options"][0]["scores"] = {"neck": 10}
    assert problems_of(document) == ['questions[0].options[0].scores.neck: unknown area "neck"']


def test_unknown_area_in_content_is_reported():
    document = make_document(content=[make_content("guide", areas=["neck"])])
    assert problems_of(document) == ['content[0].areas[0]: unknown area "neck"']


def test_unknown_content_id_in_option_is_reported():
    document = make_document()
    document["questions"][0]["options"][0]["content"] = ["nothing"]
    assert problems_of(document) == [
        'questions[0].options[0].content[0]: unknown content id "nothing"'
    ]


def test_unknown_content_id_in_outcome_is_reported():
    document = make_document()
    document["outcomes"][0]["content"] = ["nothing"]
    assert problems_of(document) == ['outcomes[0].content[0]: unknown content id "nothing"']


def test_show_if_referring_to_a_later_question_is_reported():
    document = make_document()
    document["questions"].insert(0, make_question("first", show_if="goal:glow"))
    problems = problems_of(document)
    assert problems == ['questions[0].show_if: refers to "goal", which is not an earlier question']


def test_show_if_referring_to_itself_is_reported():
    document = make_document()
    document["questions"].append(make_question("extra", show_if="extra:a"))
    assert problems_of(document) == [
        'questions[1].show_if: refers to "extra", which is not an earlier question'
    ]


def test_show_if_referring_to_an_unknown_question_is_reported():
    document = make_document()
    document["questions"].append(make_question(show_if="ghost:glow"))
    assert problems_of(document) == [
        'questions[1].show_if: refers to "ghost", which is not an earlier question'
    ]


def test_show_if_referring_to_an_unknown_option_is_reported():
    document = make_document()
    document["questions"].append(make_question(show_if="goal:glow|shine"))
    assert problems_of(document) == ['questions[1].show_if: "goal" has no option "shine"']


@pytest.mark.parametrize("show_if", ["goal", "goal:", ":glow", 3, ["goal:glow"], "Goal:Glow"])
def test_malformed_show_if_is_reported(show_if):
    document = make_document()
    document["questions"].append(make_question(show_if=show_if))
    assert problems_of(document) == [
        'questions[1].show_if: must look like "question_id:option_id|option_id"'
    ]


def test_show_if_with_several_options_parses():
    document = make_document()
    document["questions"].append(make_question(show_if=" goal : glow|unsure "))
    condition = parse(document).question("extra").show_if
    assert condition.option_ids == frozenset({"glow", "unsure"})
    assert condition.source == "goal : glow|unsure"


def test_outcome_answer_condition_is_checked_against_questions():
    document = make_document()
    document["outcomes"].insert(
        0, {"id": "x", "title": "X", "text": "X", "when": {"answers": ["goal:shine"]}}
    )
    assert problems_of(document) == ['outcomes[0].when.answers[0]: "goal" has no option "shine"']


def test_outcome_rule_with_unknown_values_is_reported():
    document = make_document()
    document["outcomes"].insert(
        0,
        {
            "id": "x",
            "title": "X",
            "text": "X",
            "when": {"suitability": ["great"], "top_area": ["neck"], "answers": "goal:glow"},
        },
    )
    problems = problems_of(document)
    assert problems == [
        "outcomes[0].when.suitability: must be a list of good, possible, consult, not_suitable",
        "outcomes[0].when.top_area: must be a list of known area ids",
        "outcomes[0].when.answers: must be a list of conditions",
    ]


def test_outcome_rule_with_nested_lists_is_reported_not_crashing():
    document = make_document()
    document["outcomes"].insert(
        0,
        {
            "id": "x",
            "title": "X",
            "text": "X",
            "when": {"suitability": [["good"]], "top_area": [["face"]]},
        },
    )
    problems = problems_of(document)
    assert problems == [
        "outcomes[0].when.suitability: must be a list of good, possible, consult, not_suitable",
        "outcomes[0].when.top_area: must be a list of known area ids",
    ]


def test_last_outcome_with_conditions_is_reported():
    document = make_document()
    document["outcomes"][0]["when"] = {"suitability": ["good"]}
    assert problems_of(document) == [
        "outcomes[0].when: the last outcome must have no conditions, so every visitor gets one"
    ]


def test_invalid_unconditional_last_outcome_does_not_blame_the_one_before():
    document = make_document()
    document["outcomes"].insert(
        0, {"id": "first", "title": "F", "text": "F", "when": {"suitability": ["good"]}}
    )
    document["outcomes"][1]["title"] = ""
    assert problems_of(document) == ["outcomes[1].title: must not be empty"]


def test_last_outcome_with_conditions_is_reported_even_when_otherwise_invalid():
    document = make_document()
    document["outcomes"][0]["when"] = {"top_area": ["face"]}
    document["outcomes"][0]["text"] = 5
    assert problems_of(document) == [
        "outcomes[0].text: must be a string or an object of translations",
        "outcomes[0].when: the last outcome must have no conditions, so every visitor gets one",
    ]


def test_unknown_field_in_an_outcome_rule_is_reported():
    document = make_document()
    document["outcomes"][0]["when"] = {"area": ["face"]}
    assert problems_of(document) == ["outcomes[0].when.area: unknown field"]


def test_last_outcome_with_empty_condition_lists_counts_as_unconditional():
    document = make_document()
    document["outcomes"][0]["when"] = {"suitability": [], "top_area": [], "answers": []}
    assert parse(document).outcomes[0].id == "general"


def test_flag_without_reason_is_reported():
    document = make_document()
    document["questions"][0]["options"][1]["flag"] = "consult"
    assert problems_of(document) == [
        "questions[0].options[1].reason: an option with a flag needs a reason the visitor can read"
    ]


def test_ends_quiz_on_an_option_that_is_not_stop_is_reported():
    document = make_document()
    document["questions"][0]["options"][1].update(
        flag="consult", reason="Ask a doctor.", ends_quiz=True
    )
    assert problems_of(document) == [
        'questions[0].options[1].ends_quiz: only an option flagged "stop" can end the quiz'
    ]


def test_ends_quiz_without_any_flag_is_reported():
    document = make_document()
    document["questions"][0]["options"][1]["ends_quiz"] = True
    assert problems_of(document) == [
        'questions[0].options[1].ends_quiz: only an option flagged "stop" can end the quiz'
    ]


def test_exclusive_option_on_single_choice_is_reported():
    document = make_document()
    document["questions"][0]["options"][1]["exclusive"] = True
    assert problems_of(document) == [
        'questions[0].options: "exclusive" only makes sense on multiple choice'
    ]


def test_exclusive_option_on_multiple_choice_is_accepted():
    document = make_document()
    document["questions"][0]["type"] = "multiple"
    document["questions"][0]["options"][1]["exclusive"] = True
    assert parse(document).question("goal").option("unsure").exclusive is True


def test_question_with_one_option_is_reported():
    document = make_document()
    document["questions"][0]["options"].pop()
    assert problems_of(document) == ["questions[0].options: must be a list of at least two options"]


def test_step_without_questions_is_reported():
    document = make_document(steps=[{"id": "about", "title": "A"}, {"id": "empty", "title": "E"}])
    assert problems_of(document) == ['steps[1]: step "empty" has no questions']


def test_step_without_questions_is_reported_at_its_own_index():
    document = make_document(
        steps=[
            {"id": "Bad", "title": "B"},
            {"id": "about", "title": "A"},
            {"id": "empty", "title": "E"},
        ]
    )
    assert problems_of(document) == [
        "steps[0].id: must be an id of lowercase letters, digits, '_' or '-'",
        'steps[2]: step "empty" has no questions',
    ]


def test_invalid_question_does_not_also_report_its_step_as_empty():
    document = make_document()
    document["questions"][0]["text"] = ""
    assert problems_of(document) == ["questions[0].text: must not be empty"]


def test_questions_out_of_step_order_are_reported():
    document = make_document(steps=[{"id": "about", "title": "A"}, {"id": "later", "title": "L"}])
    document["questions"].insert(0, make_question("early", step="later"))
    assert problems_of(document) == [
        "questions[1].step: questions must be listed in the order of the steps"
    ]


def test_content_file_must_be_a_relative_markdown_path():
    document = make_document(content=[make_content("guide", file="../etc/passwd")])
    assert problems_of(document) == ["content[0].file: must be a relative path to a .md file"]


def test_missing_translation_is_reported_when_several_languages_are_listed():
    document = fixture_document("translated")
    del document["questions"][0]["options"][1]["label"]["de"]
    assert problems_of(document) == ["questions[0].options[1].label.de: missing translation"]


def test_blank_translation_counts_as_missing():
    document = fixture_document("translated")
    document["areas"][0]["label"]["de"] = " "
    assert problems_of(document) == ["areas[0].label.de: missing translation"]


def test_plain_string_text_is_reported_when_several_languages_are_listed():
    document = fixture_document("translated")
    document["steps"][0]["title"] = "About you"
    assert problems_of(document) == ["steps[0].title: needs a text for each language: en, de"]


def test_translation_in_an_unlisted_language_is_reported():
    document = fixture_document("translated")
    document["outcomes"][0]["title"]["fr"] = "Votre résultat"
    assert problems_of(document) == ['outcomes[0].title.fr: language not listed in "languages"']


def test_several_problems_are_reported_at_once():
    document = make_document(colour="red")
    question = document["questions"][0]
    question["type"] = "dropdown"
    question["options"][0]["scores"] = {"neck": 1}
    question["options"].append(make_option("glow"))
    question["options"][1]["flag"] = "stop"
    document["outcomes"][0]["when"] = {"top_area": ["face"]}
    document["outcomes"][0]["content"] = ["missing"]
    problems = problems_of(document)
    assert problems == [
        "$.colour: unknown field",
        'questions[0].type: must be "single" or "multiple"',
        'questions[0].options[0].scores.neck: unknown area "neck"',
        "questions[0].options[1].reason: an option with a flag needs a reason the visitor can read",
        'questions[0].options[2].id: duplicate id "glow"',
        'outcomes[0].content[0]: unknown content id "missing"',
        "outcomes[0].when: the last outcome must have no conditions, so every visitor gets one",
    ]


def test_every_problem_line_names_a_json_path():
    document = make_document(colour="red", languages=["en", "de"])
    problems = problems_of(document)
    assert len(problems) > 3
    for problem in problems:
        path, _, message = problem.partition(": ")
        assert path and message
        assert path.startswith(("$", "areas", "steps", "questions", "outcomes", "languages"))


# --------------------------------------------------------------------------- check_answers


VALID_RICH = {
    "pregnant": "no",
    "allergy": "no",
    "conditions": ["none"],
    "area": ["face"],
    "face_concern": "wrinkles",
    "face_depth": "fine",
    "expectations": "realistic",
}


def make_answers(**overrides) -> dict:
    answers = copy.deepcopy(VALID_RICH)
    for key, value in overrides.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def test_valid_answers_are_normalised_to_tuples():
    answers, errors = check_answers(rich(), make_answers())
    assert errors == {}
    assert answers["pregnant"] == ("no",)
    assert answers["area"] == ("face",)


def test_unknown_question_is_an_error():
    _, errors = check_answers(rich(), make_answers(ghost="x"))
    assert errors == {"ghost": ["Unknown question."]}


def test_unknown_question_key_is_truncated_in_errors():
    _, errors = check_answers(rich(), {**make_answers(), "x" * 500: "a"})
    assert list(errors) == ["x" * 100]


def test_unknown_option_is_an_error():
    answers, errors = check_answers(rich(), make_answers(allergy="maybe"))
    assert errors == {"allergy": ["Choose one of the options shown."]}
    assert "allergy" not in answers


def test_list_for_a_single_choice_question_is_an_error():
    _, errors = check_answers(rich(), make_answers(allergy=["no", "yes"]))
    assert errors == {"allergy": ["Choose only one option."]}


def test_one_element_list_for_a_single_choice_question_is_accepted():
    answers, errors = check_answers(rich(), make_answers(allergy=["no"]))
    assert errors == {}
    assert answers["allergy"] == ("no",)


def test_string_for_a_multiple_choice_question_is_accepted():
    answers, errors = check_answers(rich(), make_answers(area="body", body_concern="fat"))
    assert errors == {}
    assert answers["area"] == ("body",)


@pytest.mark.parametrize("value", [3, 2.5, True, {"id": "no"}, ["no", 3], [["no"]]])
def test_wrong_type_is_an_error(value):
    _, errors = check_answers(rich(), make_answers(allergy=value))
    assert errors == {"allergy": ["Must be an option id."]}


def test_wrong_type_for_multiple_choice_names_a_list():
    _, errors = check_answers(rich(), make_answers(area={"face": True}))
    assert errors == {"area": ["Must be a list of option ids."]}


def test_missing_required_applicable_question_is_an_error():
    _, errors = check_answers(rich(), make_answers(allergy=None))
    assert errors == {"allergy": ["Please choose an answer."]}


def test_empty_answer_counts_as_missing():
    _, errors = check_answers(rich(), make_answers(allergy="", area=[]))
    assert errors == {
        "allergy": ["Please choose an answer."],
        "area": ["Please choose at least one option."],
    }


def test_missing_optional_question_is_not_an_error():
    answers, errors = check_answers(rich(), make_answers(conditions=None))
    assert errors == {}
    assert "conditions" not in answers


def test_missing_required_question_that_does_not_apply_is_not_an_error():
    # body_concern is required but only shown when "body" is chosen.
    _, errors = check_answers(rich(), make_answers())
    assert "body_concern" not in errors


def test_missing_required_question_that_applies_through_show_if_is_an_error():
    _, errors = check_answers(rich(), make_answers(area=["face", "body"]))
    assert errors == {"body_concern": ["Please choose an answer."]}


def test_answers_to_hidden_questions_are_ignored_not_errors():
    answers, errors = check_answers(
        rich(), make_answers(body_concern="cellulite", scalp_loss="nonsense")
    )
    assert errors == {}
    assert "body_concern" not in answers
    assert "scalp_loss" not in answers


def test_answers_to_a_hidden_chain_are_ignored():
    answers, errors = check_answers(rich(), make_answers(face_concern="dryness", face_depth="deep"))
    assert errors == {}
    assert answers["face_concern"] == ("dryness",)
    assert "face_depth" not in answers


def test_answers_after_a_quiz_ending_option_are_ignored():
    answers, errors = check_answers(rich(), make_answers(pregnant="yes", allergy="bogus"))
    assert errors == {}
    assert answers == {"pregnant": ("yes",)}


def test_only_restricts_the_required_check():
    _, errors = check_answers(rich(), {"pregnant": "no"}, only=["pregnant", "allergy"])
    assert errors == {"allergy": ["Please choose an answer."]}


def test_only_still_reports_invalid_answers_outside_it():
    _, errors = check_answers(rich(), {"pregnant": "no", "area": ["neck"]}, only=["pregnant"])
    assert errors == {"area": ["Choose one of the options shown."]}


def test_only_with_an_empty_step_requires_nothing():
    _, errors = check_answers(rich(), {}, only=[])
    assert errors == {}


def test_exclusive_option_combined_with_others_is_an_error():
    answers, errors = check_answers(rich(), make_answers(conditions=["none", "diabetes"]))
    assert errors == {"conditions": ['"None of these" cannot be combined with other options.']}
    assert "conditions" not in answers


def test_exclusive_option_alone_is_accepted():
    answers, errors = check_answers(rich(), make_answers(conditions=["none", "none"]))
    assert errors == {}
    assert answers["conditions"] == ("none",)


def test_duplicate_choices_are_collapsed_in_order():
    answers, errors = check_answers(
        rich(), make_answers(area=["face", "body", "face"], body_concern="fat")
    )
    assert errors == {}
    assert answers["area"] == ("face", "body")


def test_duplicate_choice_on_single_choice_question_is_collapsed():
    answers, errors = check_answers(rich(), make_answers(allergy=["no", "no"]))
    assert errors == {}
    assert answers["allergy"] == ("no",)


def test_too_many_choices_are_rejected():
    _, errors = check_answers(rich(), make_answers(area=["face"] * 51))
    assert errors == {"area": ["Must be a list of option ids."]}


def test_clean_answers_lists_applicable_questions_in_order():
    kept, ids = clean_answers(rich(), {"area": ("face", "scalp"), "face_concern": ("dryness",)})
    assert ids == [
        "pregnant",
        "allergy",
        "conditions",
        "area",
        "face_concern",
        "scalp_loss",
        "expectations",
    ]
    assert kept == {"area": ("face", "scalp"), "face_concern": ("dryness",)}


def test_applicable_stops_at_a_quiz_ending_answer():
    assert applicable(rich(), {"pregnant": ["yes"]}) == ["pregnant"]


# --------------------------------------------------------------------------- properties

json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.dictionaries(
        st.sampled_from([*VALID_RICH, "body_concern", "scalp_loss", "ghost"]) | st.text(max_size=6),
        json_junk | st.sampled_from(["no", "yes", "face", "none", "wrinkles"]),
        max_size=8,
    ),
    only=st.none() | st.lists(st.text(max_size=6), max_size=3),
)
def test_check_answers_never_raises_on_junk(raw, only):
    questionnaire = rich()
    answers, errors = check_answers(questionnaire, raw, only=only)
    assert isinstance(errors, dict)
    for qid, choices in answers.items():
        question = questionnaire.question(qid)
        assert all(question.option(c) is not None for c in choices)
        assert qid not in errors


@settings(max_examples=50, deadline=None)
@given(raw=json_junk.filter(lambda value: not isinstance(value, dict)))
def test_check_answers_treats_a_body_that_is_not_an_object_as_no_answers(raw):
    answers, errors = check_answers(rich(), raw)
    assert answers == {}
    assert errors["pregnant"] == ["Please choose an answer."]


@pytest.mark.skipif(not SHIPPED.is_file(), reason="questions.json is absent (not written yet)")
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_shipped_questionnaire_accepts_and_scores_answers_picked_from_its_options(data):
    questionnaire = shipped()
    raw = {}
    for question in questionnaire.questions:
        ids = [o.id for o in question.options]
        if question.type == "single":
            raw[question.id] = data.draw(st.sampled_from(ids))
        else:
            plain = [o.id for o in question.options if not o.exclusive] or ids[:1]
            raw[question.id] = data.draw(st.lists(st.sampled_from(plain), min_size=1, unique=True))
    answers, errors = check_answers(questionnaire, raw)
    assert errors == {}
    result = score(questionnaire, answers)
    assert all(0 <= points <= 100 for points in result.scores.values())
    assert result.outcome in questionnaire.outcomes


def test_the_questionnaire_says_which_answers_end_the_quiz():
    quiz = shipped()
    assert quiz.ends_quiz({"age": ("under_18",)})
    assert quiz.ends_quiz({"concerns": ("cellulite",), "age": ["under_18"]})
    assert not quiz.ends_quiz({"age": ("adult",)})
    assert not quiz.ends_quiz({"age": ("no_such_option",), "no_such_question": ("under_18",)})
    assert not quiz.ends_quiz({})
