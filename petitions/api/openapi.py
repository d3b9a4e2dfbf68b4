"""The OpenAPI 3 document of the OSDI API (served at /api/osdi/v1/openapi.json); CI
fuzzes the API against it with schemathesis (tests/test_api_schema.py)."""

from __future__ import annotations

from copy import deepcopy

from petitions.models.event import NEED_VALUES

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NAME = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z' -]{0,98}$"}
# What the schema promises is taken; the API itself takes every address the sign form
# does (email_validator, without a deliverability lookup).
EMAIL = {
    "type": "string",
    "pattern": r"^[a-z0-9]{1,20}([._-][a-z0-9]{1,10}){0,3}@[a-z0-9]{1,20}(-[a-z0-9]{1,10})?\.(org|com|net)$",
}
LINK = {"type": "object", "required": ["href"], "properties": {"href": STR}}
ERROR = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {"error": STR, "status": INT},
}


def _resource(required: list[str], properties: dict) -> dict:
    common = {
        "identifiers": {"type": "array", "items": STR, "minItems": 1},
        "origin_system": STR,
        "created_date": STR,
        "modified_date": STR,
        "_links": {
            "type": "object",
            "required": ["self"],
            "properties": {"self": LINK},
            "additionalProperties": True,
        },
    }
    return {
        "type": "object",
        "required": ["identifiers", "created_date", "modified_date", "_links", *required],
        "properties": {**common, **properties},
    }


SCHEMAS = {
    "Error": ERROR,
    "Person": _resource(
        ["given_name", "family_name", "email_addresses", "postal_addresses"],
        {
            "given_name": STR,
            "family_name": STR,
            "email_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["address", "status"],
                    "properties": {
                        "primary": BOOL,
                        "address": STR,
                        "status": {"enum": ["subscribed", "unsubscribed"]},
                    },
                },
            },
            "postal_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"primary": BOOL, "postal_code": STR, "locality": STR},
                },
            },
            "languages_spoken": {"type": "array", "items": STR},
            "preferred_language": STR,
            "custom_fields": {
                "type": "object",
                "properties": {"role": STR, "waitlist_number": INT},
            },
        },
    ),
    "Petition": _resource(
        ["title", "total_signatures"],
        {
            "title": STR,
            "name": STR,
            "description": STR,
            "petition_text": STR,
            "target": {"type": "array", "items": {"type": "object"}},
            "status": STR,
            "total_signatures": INT,
            "browser_url": STR,
        },
    ),
    "Signature": _resource(
        ["action_date"],
        {
            "action_date": STR,
            "comments": STR,
            "referrer_data": {"type": "object"},
            "status": {"enum": ["confirmed", "pending"]},
        },
    ),
    "Event": _resource(
        ["title", "start_date", "status", "total_accepted"],
        {
            "title": STR,
            "name": STR,
            "description": STR,
            "start_date": STR,
            "end_date": NSTR,
            "timezone_identifier": STR,
            "location": {"type": "object"},
            "capacity": {"type": ["integer", "null"]},
            "status": {"enum": ["confirmed", "tentative", "cancelled"]},
            "total_accepted": INT,
            "browser_url": STR,
        },
    ),
    "Attendance": _resource(
        ["status", "attended"],
        {
            "status": {"enum": ["accepted", "cancelled"]},
            "attended": BOOL,
            "walk_up": BOOL,
            "ticket_url": STR,
            "party_size": INT,
            "needs": {"type": "array", "items": {"enum": list(NEED_VALUES)}},
            "interpretation_language": STR,
            "needs_note": STR,
        },
    ),
    "Tag": _resource(["name"], {"name": STR}),
    "Tagging": _resource([], {}),
    "Entry": {
        "type": "object",
        "required": ["_links"],
        "properties": {"_links": {"type": "object"}, "max_pagesize": INT},
    },
    "PersonInput": {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": {
                "type": "object",
                "required": ["given_name", "email_addresses"],
                "properties": {
                    "given_name": NAME,
                    "family_name": NAME,
                    "email_addresses": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["address"],
                            "properties": {"address": EMAIL},
                        },
                    },
                    "postal_addresses": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "postal_code": {"type": "string", "pattern": "^[0-9]{5}$"},
                                "locality": {"type": "string", "maxLength": 100},
                            },
                        },
                    },
                    "preferred_language": {"enum": ["en", "es"]},
                },
            },
            "add_tags": {
                "type": "array",
                "maxItems": 50,
                "items": {"type": "string", "maxLength": 100},
            },
            "comments": {"type": "string", "maxLength": 2000},
        },
    },
}


# An RSVP needs a ZIP code (the event page asks for one).
SCHEMAS["RsvpInput"] = deepcopy(SCHEMAS["PersonInput"])
_rsvp_person = SCHEMAS["RsvpInput"]["properties"]["person"]
_rsvp_person["required"] = ["given_name", "email_addresses", "postal_addresses"]
_rsvp_person["properties"]["postal_addresses"]["minItems"] = 1
_rsvp_person["properties"]["postal_addresses"]["items"]["required"] = ["postal_code"]


def _collection(name: str, schema: str) -> dict:
    return {
        "type": "object",
        "required": ["page", "per_page", "total_pages", "total_records", "_links", "_embedded"],
        "properties": {
            "page": INT,
            "per_page": INT,
            "total_pages": INT,
            "total_records": INT,
            "_links": {
                "type": "object",
                "required": ["self"],
                "properties": {"self": LINK, "next": LINK, "previous": LINK},
            },
            "_embedded": {
                "type": "object",
                "required": [f"osdi:{name}"],
                "additionalProperties": False,
                "properties": {
                    f"osdi:{name}": {
                        "type": "array",
                        "items": {"$ref": f"#/components/schemas/{schema}"},
                    }
                },
            },
        },
    }


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/hal+json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict:
    # Errors of the API's own views are hal+json; those the site answers for any path
    # (no such route, too large, too many requests) are plain JSON of the same shape.
    schema = _ref("Error")
    return {
        "description": description,
        "content": {
            "application/hal+json": {"schema": schema},
            "application/json": {"schema": schema},
        },
    }


ERRORS = {
    str(code): _error(text)
    for code, text in (
        (400, "Bad input: a malformed query, filter or body"),
        (401, "No API token, or one not valid"),
        (403, "This account may not see personal data"),
        (404, "Not found, or not the caller's"),
        (409, "Not taken (closed, full, household limit)"),
        (413, "Body too large"),
        (405, "Method not allowed"),
        (429, "Too many requests"),
    )
}

MAX_ID = 2**31 - 1
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
    {
        "name": "per_page",
        "in": "query",
        "description": "At most 25 (larger values are taken as 25).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
    {
        "name": "after",
        "in": "query",
        "description": "The last id of the previous page (_links.next carries it).",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    },
]
# The filters as patterns: any other text is a 400.
MODIFIED_PATTERN = (
    r"modified_date gt '20[0-9]{2}-0[1-9]-1[0-9](T[01][0-9]:[0-5][0-9]:[0-5][0-9]Z)?'"
)
EMAIL_PATTERN = r"(email_address|email) eq '[a-z0-9.]{1,30}@example\.org'"


def _filter(description: str, pattern: str) -> dict:
    return {
        "name": "filter",
        "in": "query",
        "description": description,
        "schema": {"type": "string", "pattern": f"^({pattern})?$"},
    }


MODIFIED = _filter("modified_date gt '2026-01-01T00:00:00Z'", MODIFIED_PATTERN)
PEOPLE = _filter(
    "email_address eq 'someone@example.org' (or email), modified_date gt '2026-01-01'",
    f"{EMAIL_PATTERN}|{MODIFIED_PATTERN}",
)


def _id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    }


def _get(summary: str, ok: dict, params=()) -> dict:
    return {
        "get": {"summary": summary, "parameters": list(params), "responses": {"200": ok, **ERRORS}}
    }


def _post(
    summary: str, ok: dict, params=(), created: bool = True, body: str = "PersonInput"
) -> dict:
    responses = {"200": ok, **ERRORS}
    if created:
        responses["201"] = ok
    return {
        "post": {
            "summary": summary,
            "parameters": list(params),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            },
            "responses": responses,
        }
    }


def _paths() -> dict:
    coll = _collection
    return {
        "/": _get("Entry point: links to every collection", _json(_ref("Entry"))),
        "/people": {
            **_get("People", _json(coll("people", "Person")), [*PAGING, PEOPLE]),
            **_post(
                "Person signup helper: upsert by email, add_tags",
                _json(_ref("Person")),
                created=False,
            ),
        },
        "/people/{person_id}": _get("A person", _json(_ref("Person")), [_id("person_id")]),
        "/people/{person_id}/signatures": _get(
            "A person's signatures",
            _json(coll("signatures", "Signature")),
            [_id("person_id"), *PAGING, MODIFIED],
        ),
        "/people/{person_id}/attendances": _get(
            "A person's attendances",
            _json(coll("attendances", "Attendance")),
            [_id("person_id"), *PAGING, MODIFIED],
        ),
        "/people/{person_id}/taggings": _get(
            "A person's tags", _json(coll("taggings", "Tagging")), [_id("person_id"), *PAGING]
        ),
        "/petitions": _get("Petitions", _json(coll("petitions", "Petition")), [*PAGING, MODIFIED]),
        "/petitions/{petition_id}": _get(
            "A petition", _json(_ref("Petition")), [_id("petition_id")]
        ),
        "/petitions/{petition_id}/signatures": {
            **_get(
                "A petition's signatures",
                _json(coll("signatures", "Signature")),
                [_id("petition_id"), *PAGING, MODIFIED],
            ),
            **_post("Record a signature", _json(_ref("Signature")), [_id("petition_id")]),
        },
        "/petitions/{petition_id}/signatures/{signature_id}": _get(
            "A signature", _json(_ref("Signature")), [_id("petition_id"), _id("signature_id")]
        ),
        "/events": _get("Events", _json(coll("events", "Event")), [*PAGING, MODIFIED]),
        "/events/{event_id}": _get("An event", _json(_ref("Event")), [_id("event_id")]),
        "/events/{event_id}/attendances": {
            **_get(
                "An event's attendances",
                _json(coll("attendances", "Attendance")),
                [_id("event_id"), *PAGING, MODIFIED],
            ),
            **_post(
                "RSVP with a ticket",
                _json(_ref("Attendance")),
                [_id("event_id")],
                body="RsvpInput",
            ),
        },
        "/events/{event_id}/attendances/{attendance_id}": _get(
            "An attendance", _json(_ref("Attendance")), [_id("event_id"), _id("attendance_id")]
        ),
        "/tags": _get("Tags", _json(coll("tags", "Tag")), [*PAGING, MODIFIED]),
        "/tags/{tag_id}": _get("A tag", _json(_ref("Tag")), [_id("tag_id")]),
    }


def document(base_url: str) -> dict:
    """The document, with the API's absolute root as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OSDI API (Action Network v2 shape)",
            "version": "1.0",
            "description": "See docs/api.md. Every call but this document needs the "
            "OSDI-API-Token header.",
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "OSDI-API-Token"}
            },
            "schemas": deepcopy(SCHEMAS),
        },
        "paths": _paths(),
    }
