"""The OSDI API through the Flask test client: auth, scope, paging, filters, writes and
bad input (the real clients, Parsons and osdi, are in test_api_clients.py)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from petitions.core.extensions import db
from petitions.mail.suppressions import suppress
from petitions.models import Attendee, AuditEntry, Person, PersonTag, Signature, Tag
from petitions.petition.signing import sign_petition
from tests.api_helpers import API, person_body, token_for


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def call(client):
    def do(method, path, token, body=None, **kw):
        headers = {"OSDI-API-Token": token} if token else {}
        if body is not None:
            kw["data"] = json.dumps(body)
            kw.setdefault("content_type", "application/json")
        url = path if path.startswith("http") else API + path
        return client.open(url, method=method, headers=headers, **kw)

    return do


def _sign(petition, n, **extra):
    for i in range(n):
        sign_petition(
            petition,
            given_name="Signer",
            family_name=f"Number {i}",
            email=f"signer{i}@example.org",
            postal_code="06106",
            town="Hartford",
            **extra,
        )
    db.session.commit()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_entry_point_links_every_collection_and_needs_a_token(call, admin):
    assert call("GET", "/", None).status_code == 401
    answer = call("GET", "/", "pt_forged")
    assert answer.status_code == 401 and answer.is_json and answer.json["error"]
    answer = call("GET", "/", token_for(admin))
    assert answer.status_code == 200
    assert answer.mimetype == "application/hal+json"
    links = answer.json["_links"]
    for name in ("osdi:people", "osdi:petitions", "osdi:events", "osdi:tags", "curies"):
        assert name in links
    assert links["osdi:people"]["href"].startswith("http://localhost/api/osdi/v1/people")


def test_people_pages_totals_and_the_next_link(call, admin, make_petition):
    petition = make_petition()
    _sign(petition, 30)
    token = token_for(admin)
    first = call("GET", "/people?page=1&per_page=25", token).json
    assert first["total_records"] == 30 and first["total_pages"] == 2
    assert list(first["_embedded"]) == ["osdi:people"]
    people_1 = first["_embedded"]["osdi:people"]
    assert len(people_1) == 25
    person = people_1[0]
    assert person["identifiers"][0].startswith("petitions:")
    assert person["email_addresses"][0] == {
        "primary": True,
        "address": "signer0@example.org",
        "status": "subscribed",
    }
    assert person["postal_addresses"][0]["postal_code"] == "06106"
    assert person["postal_addresses"][0]["locality"] == "Hartford"
    assert person["preferred_language"] == "en"
    # The next link is absolute and gives the same rows as ?page=2.
    next_href = first["_links"]["next"]["href"]
    assert next_href.startswith("http://localhost/api/osdi/v1/people?")
    by_link = call("GET", next_href, token).json["_embedded"]["osdi:people"]
    by_page = call("GET", "/people?page=2&per_page=25", token).json["_embedded"]["osdi:people"]
    assert [p["identifiers"] for p in by_link] == [p["identifiers"] for p in by_page]
    assert len(by_page) == 5
    assert not {p["identifiers"][0] for p in by_page} & {p["identifiers"][0] for p in people_1}
    # Past the end: 200 and an empty list, as Parsons pages until it gets one.
    past = call("GET", "/people?page=3", token)
    assert past.status_code == 200 and past.json["_embedded"] == {"osdi:people": []}
    # per_page is clamped to 25, as Action Network does.
    assert len(call("GET", "/people?per_page=10000", token).json["_embedded"]["osdi:people"]) == 25


def test_get_with_a_null_json_body_works(call, admin):
    answer = call("GET", "/tags", token_for(admin), data="null", content_type="application/json")
    assert answer.status_code == 200
    assert answer.json["_embedded"] == {"osdi:tags": []}


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=two",
        "per_page=0",
        "filter=given_name eq 'Ana'",
        "filter=email_address gt 'a'",
        "filter=modified_date gt 'yesterday'",
        "filter=nonsense",
    ],
)
def test_bad_queries_are_400_json(call, admin, query):
    answer = call("GET", f"/people?{query}", token_for(admin))
    assert answer.status_code == 400, answer.data
    assert answer.json["status"] == 400 and answer.json["error"]


def test_filters_by_email_and_modified_date(call, admin, make_petition, app):
    app.config["API_PAGE_CACHE_SECONDS"] = 0  # the same filter is asked again below
    petition = make_petition()
    _sign(petition, 3)
    token = token_for(admin)
    for field in ("email_address", "email"):
        found = call("GET", f"/people?filter={field} eq 'SIGNER1@example.org'", token).json
        assert found["total_records"] == 1
        assert found["_embedded"]["osdi:people"][0]["email_addresses"][0]["address"] == (
            "signer1@example.org"
        )
    assert (
        call("GET", "/people?filter=email eq 'nobody@example.org'", token).json["total_records"]
        == 0
    )
    later = call("GET", "/people?filter=modified_date gt '2999-01-01'", token).json
    assert later["total_records"] == 0
    earlier = call("GET", "/people?filter=modified_date gt '2000-01-01T00:00:00Z'", token).json
    assert earlier["total_records"] == 3
    # An unsubscribe is a change a sync must see, and shows in the status.
    from petitions.models.base import utcnow

    since = utcnow().replace(microsecond=0).isoformat() + "Z"
    db.session.execute(update(Person).values(modified_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert (
        call("GET", f"/people?filter=modified_date gt '{since}'", token).json["total_records"] == 0
    )
    suppress("signer2@example.org", now=utcnow() + timedelta(seconds=2))
    db.session.commit()
    changed = call("GET", f"/people?filter=modified_date gt '{since}'", token).json
    assert changed["total_records"] == 1
    person = changed["_embedded"]["osdi:people"][0]
    assert person["email_addresses"][0] == {
        "primary": True,
        "address": "signer2@example.org",
        "status": "unsubscribed",
    }


def test_organizers_see_their_own_and_volunteers_no_personal_data(
    call, make_user, make_petition, make_event
):
    mine, theirs = make_user("organizer"), make_user("organizer")
    own = make_petition(created_by_id=mine.id)
    other = make_petition(created_by_id=theirs.id)
    _sign(own, 2)
    sign_petition(
        other, given_name="Bo", family_name="Li", email="bo@example.org", postal_code="06105"
    )
    db.session.commit()
    make_event(other)
    token = token_for(mine)
    petitions = call("GET", "/petitions", token).json["_embedded"]["osdi:petitions"]
    assert [p["identifiers"] for p in petitions] == [[f"petitions:{own.id}"]]
    assert call("GET", f"/petitions/{other.id}", token).status_code == 404
    assert call("GET", f"/petitions/{other.id}/signatures", token).status_code == 404
    answer = call("POST", f"/petitions/{other.id}/signatures", token, person_body("x@example.org"))
    assert answer.status_code == 404
    emails = [
        p["email_addresses"][0]["address"]
        for p in call("GET", "/people", token).json["_embedded"]["osdi:people"]
    ]
    assert sorted(emails) == ["signer0@example.org", "signer1@example.org"]
    bo = db.session.scalar(select(Person).where(Person.email_key == "bo@example.org"))
    assert call("GET", f"/people/{bo.id}", token).status_code == 404
    assert call("GET", "/events", token).json["_embedded"]["osdi:events"] == []

    volunteer = token_for(make_user("volunteer"))
    assert call("GET", "/people", volunteer).status_code == 403
    assert call("GET", f"/petitions/{own.id}/signatures", volunteer).status_code == 403
    assert call("GET", "/petitions", volunteer).status_code == 200
    assert _count(Signature) == 3


def test_person_signup_upserts_by_email_with_tags(call, admin):
    token = token_for(admin)
    body = person_body("Maria@Example.org", given="Maria", add_tags=["volunteer", "parent"])
    first = call("POST", "/people", token, body)
    assert first.status_code == 200, first.data
    again = call("POST", "/people", token, person_body("maria@example.org", given="María"))
    assert again.json["identifiers"] == first.json["identifiers"]
    assert again.json["given_name"] == "María"
    assert again.json["modified_date"] >= first.json["modified_date"]
    assert _count(Person) == 1
    tags = call("GET", "/tags", token).json["_embedded"]["osdi:tags"]
    assert sorted(t["name"] for t in tags) == ["parent", "volunteer"]
    assert _count(PersonTag) == 2


def test_a_signature_through_the_api_follows_the_form_rules(call, admin, make_petition, app):
    petition = make_petition(created_by_id=admin.id)
    token = token_for(admin)
    body = person_body("ana@example.org", comments="My son is number 412 on the list.")
    first = call("POST", f"/petitions/{petition.id}/signatures", token, body)
    assert first.status_code == 201, first.data
    assert first.json["_links"]["osdi:person"]["href"].startswith("http://localhost/api/osdi/v1/")
    twice = call("POST", f"/petitions/{petition.id}/signatures", token, body)
    assert twice.status_code == 200
    assert twice.json["identifiers"] == first.json["identifiers"]
    assert call("GET", f"/petitions/{petition.id}", token).json["total_signatures"] == 1
    signature = db.session.scalar(select(Signature))
    assert signature.person_id is not None and signature.comment.startswith("My son")
    assert signature.source == "online"
    # A household: another name on the same address is a second signature of one person.
    household = person_body("ana@example.org", given="Luis")
    assert call("POST", f"/petitions/{petition.id}/signatures", token, household).status_code == 201
    assert _count(Person) == 1
    person = call("GET", "/people", token).json["_embedded"]["osdi:people"][0]
    signatures = call("GET", person["_links"]["osdi:signatures"]["href"], token).json
    assert signatures["total_records"] == 2
    app.config["SIGN_HOUSEHOLD_MAX"] = 2
    third = call(
        "POST",
        f"/petitions/{petition.id}/signatures",
        token,
        person_body("ana@example.org", given="Eva"),
    )
    assert third.status_code == 409
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("api.signature") == 3


def test_a_petition_asking_for_confirmation_mails_the_signer(call, admin, make_petition, app):
    from tests.mail_helpers import outbox

    petition = make_petition(require_confirmation=True)
    answer = call(
        "POST",
        f"/petitions/{petition.id}/signatures",
        token_for(admin),
        person_body("c@example.org"),
    )
    assert answer.status_code == 201 and answer.json["status"] == "pending"
    messages = outbox(app.config["OUTBOX_DIR"])
    assert [m["To"] for m in messages] == ["Ana Rivera <c@example.org>"]
    assert call("GET", f"/petitions/{petition.id}", token_for(admin)).json["total_signatures"] == 0


def test_an_attendance_is_an_rsvp_with_a_ticket(call, client, admin, make_event):
    event = make_event()
    token = token_for(admin)
    answer = call("POST", f"/events/{event.id}/attendances", token, person_body("r@example.org"))
    assert answer.status_code == 201, answer.data
    assert answer.json["status"] == "accepted" and answer.json["attended"] is False
    ticket = client.get(answer.json["ticket_url"])
    assert ticket.status_code == 200
    attendee = db.session.scalar(select(Attendee))
    assert attendee.person_id is not None
    listed = call("GET", f"/events/{event.id}/attendances", token).json
    assert listed["total_records"] == 1
    assert call("GET", f"/events/{event.id}", token).json["total_accepted"] == 1
    person = call("GET", f"/people/{attendee.person_id}/attendances", token).json
    assert person["total_records"] == 1


def test_bad_bodies_get_a_clear_4xx_and_store_nothing(call, admin, make_petition):
    petition = make_petition()
    token = token_for(admin)
    url = f"/petitions/{petition.id}/signatures"
    cases = [
        call("POST", url, token, data="{not json", content_type="application/json"),
        call(
            "POST",
            url,
            token,
            data=json.dumps(person_body("a@example.org")),
            content_type="text/plain",
        ),
        call("POST", url, token, data="[1, 2]", content_type="application/json"),
        call("POST", url, token, {"person": {"given_name": "Ana"}}),
        call("POST", url, token, person_body("a@example.org", postal_code="ABCDE")),
        call("POST", url, token, person_body("a@example.org", given="x" * 500)),
        call("POST", "/people", token, person_body("a@example.org", add_tags="one")),
    ]
    for answer in cases:
        assert answer.status_code == 400, answer.data
        assert answer.json["status"] == 400
    big = call(
        "POST", url, token, data='{"x": "' + "a" * 2_000_000 + '"}', content_type="application/json"
    )
    assert big.status_code == 413 and big.is_json
    assert _count(Signature) == 0 and _count(Person) == 0 and _count(Tag) == 0


def test_every_read_of_personal_data_is_one_audit_entry(call, admin, make_petition):
    petition = make_petition()
    _sign(petition, 3)
    token = token_for(admin)
    before = _count(AuditEntry)
    call("GET", "/people", token)
    call("GET", f"/petitions/{petition.id}/signatures", token)
    call("GET", "/petitions", token)  # no personal data
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api.read")).all()
    assert len(entries) == 2 == _count(AuditEntry) - before
    assert all(e.actor == admin.email for e in entries)
    assert entries[1].petition_id == petition.id


def test_rate_limited_per_token(call, admin, app):
    app.config["RATELIMIT_API"] = "3 per minute"
    token = token_for(admin)
    codes = [call("GET", "/tags", token).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert call("GET", "/tags", token_for(admin)).status_code == 200


def test_the_openapi_document_names_every_route(client, app):
    doc = client.get(f"{API}/openapi.json").json
    assert doc["openapi"].startswith("3.")
    routes = {
        rule.rule.removeprefix(API).replace("<id:", "{").replace(">", "}") or "/"
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("osdi.") and rule.endpoint != "osdi.openapi"
    }
    assert routes == set(doc["paths"])


def test_the_api_tokens_page_points_to_the_api(client, make_user, login):
    login(make_user("admin"))
    page = client.get("/manage/api-tokens").get_data(as_text=True)
    assert "http://localhost/api/osdi/v1/" in page and "docs/api.md" in page
    assert f'href="{API}/openapi.json"' in page
    assert client.get(f"{API}/openapi.json").status_code == 200


def test_an_attendance_carries_the_party_and_its_needs(call, admin, make_event, make_attendee):
    event = make_event(interpretation_languages="es")
    make_attendee(event, "Rosa Díaz", party_size=3, needs="interpretation,childcare",
                  interpretation_language="es", needs_note="stroller")  # fmt: skip
    token = token_for(admin)
    (item,) = call("GET", f"/events/{event.id}/attendances", token).json["_embedded"][
        "osdi:attendances"
    ]
    assert item["party_size"] == 3
    assert item["needs"] == ["interpretation", "childcare"]
    assert (item["interpretation_language"], item["needs_note"]) == ("es", "stroller")
    assert call("GET", f"/events/{event.id}", token).json["total_accepted"] == 3
