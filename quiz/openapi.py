"""The OpenAPI 3.1 description of /api/v1, built as a dict (JSON Schema 2020-12 bodies)."""

from __future__ import annotations

from quiz.limits import MAX_LENGTH
from quiz.models import LEAD_STATUSES
from quiz.questions import QUESTION_TYPES, SUITABILITIES
from quiz.validation import (
    CLICK_IDS,
    CONTACT_TIMES,
    EMAIL_PATTERN,
    ENCODED_WORD_PATTERN,
    NON_BLANK_TEXT_PATTERN,
    PAGE_URL_PATTERN,
    PHONE_MAX,
    PHONE_MIN,
    PHONE_PATTERN,
    PLAIN_TEXT_PATTERN,
    SPECIAL_USE_DOMAIN_PATTERN,
    UTM_FIELDS,
    click_id_pattern,
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
# The `since` the leads API reads: RFC 3339 times as Python's datetime.fromisoformat takes
# them (upper-case T and Z, no leap second), from year 1 to 9999 also once in UTC, so the
# first day with a positive offset and the last with a negative one are left out.
_SINCE_TIME = {
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$",
    "not": {
        "anyOf": [
            {"pattern": "^0000-"},
            {"pattern": r"^0001-01-01T.*\+"},
            {"pattern": r"^9999-12-31T.*-[0-9]{2}:[0-9]{2}$"},
        ]
    },
}
_SINCE_DATE = {"not": {"pattern": "^0000-"}}
# validation.text_problem's rule: no control or invisible format character, no encoded word.
_NO_ENCODED_WORD = {"not": {"pattern": ENCODED_WORD_PATTERN}}
_PLAIN = {"pattern": PLAIN_TEXT_PATTERN, **_NO_ENCODED_WORD}
# The same, and not only spaces.
_NON_BLANK = {"minLength": 1, "pattern": NON_BLANK_TEXT_PATTERN, **_NO_ENCODED_WORD}

SCHEMAS: dict[str, dict] = {
    "Errors": {
        "type": "object",
        "description": "Every error: messages by field, question id or `body`/`request`.",
        "required": ["errors"],
        "additionalProperties": False,
        "properties": {
            "errors": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                },
            }
        },
    },
    "Option": {
        "type": "object",
        "required": ["id", "label"],
        "additionalProperties": False,
        "properties": {"id": _STRING, "label": _STRING},
    },
    "Question": {
        "type": "object",
        "required": ["id", "type", "text", "required", "options"],
        "additionalProperties": False,
        "properties": {
            "id": _STRING,
            "type": {"enum": list(QUESTION_TYPES)},
            "text": _STRING,
            "help": _STRING,
            "required": {"type": "boolean"},
            "options": {"type": "array", "minItems": 1, "items": _ref("Option")},
            "show_if": {
                "type": "string",
                "description": "`question:option|option`: the question applies when that "
                "question has one of those options.",
                "pattern": "^[a-z0-9_-]+:[a-z0-9_|-]+$",
            },
        },
    },
    "Quiz": {
        "type": "object",
        "required": ["version", "language", "questions"],
        "additionalProperties": False,
        "properties": {
            "version": {
                "type": "string",
                "description": "Changes whenever the questionnaire changes.",
            },
            "language": _STRING,
            "questions": {"type": "array", "items": _ref("Question")},
        },
    },
    "Contact": {
        "type": "object",
        "required": ["name", "email"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": MAX_LENGTH["name"], **_NON_BLANK},
            "email": {
                "type": "string",
                "format": "email",
                "maxLength": MAX_LENGTH["email"],
                "pattern": EMAIL_PATTERN,
                "not": {"pattern": SPECIAL_USE_DOMAIN_PATTERN},
                "description": "One address as deliverable mail, at most 64 characters "
                "before the @; no display name, quoted local part or domain literal, no "
                "special-use domain (localhost, test, invalid, …). Stored lower-cased. The "
                "pattern is the common form; other addresses valid as deliverable mail "
                "(dots, IDN) are accepted too.",
            },
            "phone": _nullable(
                {
                    "type": "string",
                    "minLength": PHONE_MIN,
                    "maxLength": PHONE_MAX,
                    "pattern": PHONE_PATTERN,
                    "description": "Digits, spaces and `+ ( ) . / -`.",
                }
            ),
            "contact_time": _nullable({"enum": list(CONTACT_TIMES)}),
        },
        "description": "No field may hold control characters (line breaks, Unicode line and "
        "paragraph separators, bidi overrides, zero-width spaces), lone surrogates or RFC "
        "2047 encoded words (`=?…?=`).",
    },
    "Consent": {
        "type": "object",
        "description": "With `contact` details, `contact` and `health_data` must both be "
        "true; without them, the consents are not needed but must be well formed.",
        "additionalProperties": False,
        "properties": {
            "contact": {"type": "boolean"},
            "health_data": {"type": "boolean"},
            "marketing": {"type": "boolean"},
            "copy": {"type": "boolean", "description": "Mail the visitor a copy of the result."},
            "ads": {
                "type": "boolean",
                "default": False,
                "description": "The visitor allowed ad measurement: only then are the "
                "source's click ids kept (and the page URL keeps its click-id parameters).",
            },
        },
    },
    "Source": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **{
                name: _nullable({"type": "string", "maxLength": MAX_LENGTH[name], **_PLAIN})
                for name in UTM_FIELDS
            },
            "page_url": _nullable(
                {
                    "type": "string",
                    "format": "uri",
                    "maxLength": MAX_LENGTH["page_url"],
                    "pattern": PAGE_URL_PATTERN,
                    **_NO_ENCODED_WORD,
                }
            ),
            **{
                name: _nullable(
                    {
                        "type": "string",
                        "maxLength": MAX_LENGTH[name],
                        "pattern": click_id_pattern(name),
                        "description": f"The ad platform's `{name}` click id, kept only with "
                        "`consent.ads`. One longer or with other characters is dropped, "
                        "never cut, and the lead is still stored.",
                    }
                )
                for name in CLICK_IDS
            },
        },
        "description": "Attribution, under the contact fields' rule: no control characters, "
        "lone surrogates or encoded words.",
    },
    "AssessmentRequest": {
        "type": "object",
        "required": ["clinic", "answers"],
        "additionalProperties": False,
        "properties": {
            "clinic": {"type": "string", "minLength": 1},
            "language": _nullable(_STRING),
            "answers": {
                "type": "object",
                "description": "Question id to one option id, or a list of option ids, as "
                "`GET /quiz` lists them; every required question that applies is answered.",
                "additionalProperties": {
                    "anyOf": [_STRING, {"type": "array", "maxItems": 50, "items": _STRING}]
                },
            },
            "contact": _nullable(_ref("Contact")),
            "consent": _nullable(_ref("Consent")),
            "source": _nullable(_ref("Source")),
        },
        # With contact details, both consents must be given: otherwise nothing is stored
        # and the request is refused (422) rather than scored.
        "if": {"required": ["contact"], "properties": {"contact": {"type": "object"}}},
        "then": {
            "required": ["consent"],
            "properties": {
                "consent": {
                    "type": "object",
                    "required": ["contact", "health_data"],
                    "properties": {"contact": {"enum": [True]}, "health_data": {"enum": [True]}},
                }
            },
        },
    },
    "Scores": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "AssessmentResult": {
        "type": "object",
        "required": ["lead_id", "outcome", "scores", "reasons", "content"],
        "additionalProperties": False,
        "properties": {
            "lead_id": _nullable({"type": "string", "format": "uuid"}),
            "outcome": {
                "type": "object",
                "required": ["id", "title", "suitability"],
                "additionalProperties": False,
                "properties": {
                    "id": _STRING,
                    "title": _STRING,
                    "suitability": {"enum": list(SUITABILITIES)},
                },
            },
            "scores": _ref("Scores"),
            "reasons": {"type": "array", "items": _STRING},
            "content": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "url"],
                    "additionalProperties": False,
                    "properties": {
                        "id": _STRING,
                        "title": _STRING,
                        "url": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    },
    "Lead": {
        "type": "object",
        "required": [
            "id",
            "created_at",
            "name",
            "email",
            "phone",
            "contact_time",
            "language",
            "consents",
            "suitability",
            "outcome",
            "top_area",
            "scores",
            *UTM_FIELDS,
            "page_url",
            "ad_consent",
            *CLICK_IDS,
            "status",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "created_at": _TIME,
            "name": _STRING,
            "email": _STRING,
            "phone": _nullable(_STRING),
            "contact_time": _nullable(_STRING),
            "language": _STRING,
            "consents": {
                "type": "object",
                "required": ["contact_at", "health_data_at", "marketing_at", "version"],
                "additionalProperties": False,
                "properties": {
                    "contact_at": _TIME,
                    "health_data_at": _TIME,
                    "marketing_at": _nullable(_TIME),
                    "version": _STRING,
                },
            },
            "suitability": {"enum": list(SUITABILITIES)},
            "outcome": _STRING,
            "top_area": _nullable(_STRING),
            "scores": _ref("Scores"),
            **{name: _nullable(_STRING) for name in UTM_FIELDS},
            "page_url": _nullable(_STRING),
            "ad_consent": {
                "type": "boolean",
                "description": "Whether the visitor allowed ad measurement; without it every "
                "click id is null.",
            },
            **{name: _nullable(_STRING) for name in CLICK_IDS},
            "status": {"enum": list(LEAD_STATUSES)},
        },
    },
    "LeadPage": {
        "type": "object",
        "required": ["leads", "next_cursor"],
        "additionalProperties": False,
        "properties": {
            "leads": {"type": "array", "items": _ref("Lead")},
            "next_cursor": _nullable(
                {"type": "string", "description": "Pass as `cursor` for the next page."}
            ),
        },
    },
}


def _json(schema: str, description: str, headers: dict | None = None) -> dict:
    response: dict = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
_CORS = {
    "Access-Control-Allow-Origin": {
        "description": "The request's Origin, when it is one of the clinic's sites.",
        "schema": _STRING,
    }
}

# Any operation that reads or writes the database answers this while it cannot be reached.
_UNAVAILABLE = _json("Errors", "The database is unavailable; nothing was stored. Try again.")


def _preflight(method: str) -> dict:
    return {
        "summary": f"CORS preflight for {method}",
        "description": "Allowed for the sites (origins) of a clinic.",
        "responses": {"204": {"description": "Preflight answered.", "headers": _CORS}},
    }


def build_document() -> dict:
    """Return the OpenAPI 3.1 document of the whole /api/v1 API."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Mesotherapy self-assessment quiz API",
            "version": "1",
            "description": "The questionnaire, scoring of assessments (and storing leads with "
            "consent) and the pull API of a clinic's leads. Every error of these operations "
            'answers `{"errors": {field: [message, ...]}}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A clinic's token from `flask token create --clinic SLUG`.",
                }
            },
        },
        "paths": {
            "/quiz": {
                "get": {
                    "operationId": "getQuiz",
                    "summary": "The questionnaire as JSON",
                    "parameters": [
                        {
                            "name": "clinic",
                            "in": "query",
                            "required": True,
                            "schema": _STRING,
                            "description": "The clinic's slug.",
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": _STRING,
                            "description": "Language code; unsupported codes fall back to "
                            "the clinic's language, or when it has none to the "
                            "best match of Accept-Language, then en.",
                        },
                    ],
                    "responses": {
                        "200": _json("Quiz", "The questionnaire.", _CORS),
                        "404": _json("Errors", "Unknown clinic."),
                        "503": _UNAVAILABLE,
                    },
                },
                "options": _preflight("GET"),
            },
            "/assessments": {
                "post": {
                    "operationId": "createAssessment",
                    "summary": "Score answers; store a lead with contact and both consents",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_LENGTH["idempotency_key"],
                                # What an HTTP field value can hold (RFC 9110, section 5.5).
                                "pattern": "^[\\t\\u0020-\\u007e\\u0080-\\u00ff]*$",
                            },
                            "description": "The same key for the same clinic with the "
                            "same request (the body's bytes, and the bearer token where one "
                            "is sent) returns the first answer again and stores nothing new; "
                            "the key with another request answers 422 on `idempotency_key`, "
                            "showing nothing of the first answer. Any bytes a header can "
                            "carry; no control characters.",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AssessmentRequest")}},
                    },
                    "responses": {
                        "200": _json("AssessmentResult", "Scored; no lead stored.", _CORS),
                        "201": _json("AssessmentResult", "Scored and a lead stored.", _CORS),
                        "400": _json("Errors", "The body is not a JSON object."),
                        "404": _json("Errors", "Unknown clinic."),
                        "413": _json("Errors", "The body is over 64 KiB."),
                        "422": _json(
                            "Errors",
                            "Invalid fields, or an Idempotency-Key already used with "
                            "another request; nothing stored.",
                        ),
                        "429": _json("Errors", "Too many requests.", _RETRY_AFTER),
                        "503": _UNAVAILABLE,
                    },
                },
                "options": _preflight("POST"),
            },
            "/leads": {
                "get": {
                    "operationId": "listLeads",
                    "summary": "The token's clinic's leads, oldest first, paged",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": "since",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "anyOf": [
                                    {"type": "string", "format": "date-time", **_SINCE_TIME},
                                    {"type": "string", "format": "date", **_SINCE_DATE},
                                ]
                            },
                            "description": "ISO 8601 date or time; leads created at or after "
                            "it (UTC when no offset is given). Years 1 to 9999, also once "
                            "converted to UTC.",
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "minLength": 1},
                            "description": "The previous page's `next_cursor`, unchanged: any "
                            "other value is refused with 422.",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 500,
                                "default": 100,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json("LeadPage", "A page of leads."),
                        "401": _json(
                            "Errors",
                            "Missing, invalid or revoked token.",
                            {"WWW-Authenticate": {"schema": _STRING}},
                        ),
                        "422": _json("Errors", "Bad since, cursor or limit."),
                        "503": _UNAVAILABLE,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }
