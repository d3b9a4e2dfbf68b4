"""The OSDI API at /api/osdi/v1/: Action Network's v2 shape (hal+json), so Parsons'
ActionNetwork connector and the `osdi` client work with only their base URL changed.

A route loads what the caller may see (api.queries), calls a service, commits once
(with the audit entry of a read of personal data) and answers hal+json."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import func, select

from petitions.accounts.api_tokens import token_user, touch_api_token
from petitions.api import resources, services
from petitions.api.openapi import document
from petitions.api.queries import (
    ApiInputError,
    Caller,
    Forbidden,
    events_where,
    must_see_personal_data,
    page_of,
    paging,
    parse_filter,
    people_where,
    petitions_where,
    visible_event,
    visible_person,
    visible_petition,
)
from petitions.core import audit
from petitions.core.extensions import csrf, db, limiter
from petitions.core.responses import no_store
from petitions.core.tokens import token_hash
from petitions.mail import transport as mail
from petitions.mail.suppressions import suppressed_among
from petitions.models import Attendee, Event, Person, PersonTag, Petition, Signature, Tag
from petitions.petition import counting, signing
from petitions.petition.signing import SignStatus
from petitions.rallies import mail as rally_mail
from petitions.rallies import rsvp as rsvps
from petitions.rallies.rsvp import RsvpStatus

bp = Blueprint("osdi", __name__, url_prefix="/api/osdi/v1")
bp.after_request(no_store)
csrf.exempt(bp)  # token auth in a header, no cookies: nothing for a forged form to ride on

HAL = "application/hal+json"
TOKEN_HEADER = "OSDI-API-Token"
PUBLIC = ("osdi.openapi",)


def _rate_key() -> str:
    return "osdi:" + token_hash(request.headers.get(TOKEN_HEADER, "") or request.remote_addr or "")


limiter.limit(lambda: current_app.config["RATELIMIT_API"], key_func=_rate_key)(bp)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def hal(body: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype=HAL,
    )


def error(status: int, message: str) -> Response:
    return hal({"error": message, "status": status}, status)


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    db.session.rollback()
    return error(e.status, e.message)


@bp.errorhandler(ApiInputError)
def _input_error(e: ApiInputError):
    db.session.rollback()
    return error(400, str(e))


@bp.errorhandler(Forbidden)
def _forbidden(_e):
    db.session.rollback()
    return error(403, "This API token's account may not see personal data.")


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    clear = request.headers.get(TOKEN_HEADER, "")
    if not clear.strip():
        return error(401, f"Send an API token in the {TOKEN_HEADER} header.")
    staff = token_user(clear)  # aborts 401 (JSON) for an unknown or revoked token
    g.osdi_caller = Caller(staff.id, staff.email, staff.role)
    g.osdi_staff = staff
    return None


def caller() -> Caller:
    return g.osdi_caller


def _base() -> str:
    return resources.api_root()


def _read(what: str, object_id: object = "", detail: str = "", petition=None) -> None:
    """The audit entry of a read of personal data: one per request."""
    audit.record(
        "api.read",
        user=g.osdi_staff,
        object_type=what,
        object_id=object_id,
        petition=petition,
        detail=(detail or request.full_path)[:500],
    )


def _commit() -> None:
    touch_api_token()
    db.session.commit()


def _json_body():
    """The request's JSON object; 400 for another Content-Type or malformed JSON."""
    if not request.is_json:
        raise ApiInputError("Send JSON with Content-Type: application/json.")
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        raise ApiInputError("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiInputError("Send a JSON object.")
    return body


def _collection(name: str, items: list[dict], page, href_args: dict) -> Response:
    p = page.paging
    links = {"self": {"href": _href(dict(href_args, page=p.page, per_page=p.per_page))}}
    if items and (page.ids and len(page.ids) == p.per_page):
        links["next"] = {
            "href": _href(dict(href_args, page=p.page + 1, per_page=p.per_page, after=page.ids[-1]))
        }
    if p.page > 1:
        links["previous"] = {"href": _href(dict(href_args, page=p.page - 1, per_page=p.per_page))}
    links["osdi:" + name] = [{"href": item["_links"]["self"]["href"]} for item in items]
    links["curies"] = _curies()
    return hal(
        {
            "total_pages": page.total_pages,
            "per_page": p.per_page,
            "page": p.page,
            "total_records": page.total,
            "_links": links,
            "_embedded": {"osdi:" + name: items},
        }
    )


def _href(args: dict) -> str:
    args = {k: v for k, v in args.items() if v is not None}
    return request.base_url + "?" + urlencode(args)


def _curies() -> list[dict]:
    return [
        {"name": "osdi", "href": "https://github.com/opensupporter/osdi-docs", "templated": False}
    ]


def _filter_args() -> dict:
    f = request.args.get("filter")
    return {"filter": f} if f else {}


def _key(name: str, extra: str = "") -> str:
    return f"{name}|{caller().scope}|{extra}|{request.args.get('filter', '')}"


def _modified(query, column, flt):
    if flt is None:
        return query
    field, value = flt
    if field == "modified_date":
        return query.where(column > value)
    return query


# --- entry point -----------------------------------------------------------------------


@bp.get("/", strict_slashes=False)
def entry():
    base = _base()
    return hal(
        {
            "motd": "OSDI API of this petition and rally toolkit (Action Network v2 shape).",
            "vendor_name": "petitions",
            "product_name": "petitions",
            "osdi_version": "1.0",
            "max_pagesize": 25,
            "_links": {
                "self": {"href": base},
                "osdi:people": {"href": base + "people"},
                "osdi:petitions": {"href": base + "petitions"},
                "osdi:events": {"href": base + "events"},
                "osdi:tags": {"href": base + "tags"},
                "osdi:person_signup_helper": {"href": base + "people"},
                "docs": {"href": base + "openapi.json"},
                "curies": _curies(),
            },
        }
    )


@bp.get("/openapi.json")
def openapi():
    return Response(json.dumps(document(_base())), mimetype="application/json")


# --- people ----------------------------------------------------------------------------

PEOPLE_FILTERS = {"email_address": "eq", "modified_date": "gt"}


def _people_json(rows: list[Person]) -> list[dict]:
    base = _base()
    out = suppressed_among(r.email_key for r in rows)
    fields = _custom_fields([r.id for r in rows])
    return [
        resources.person(r, base, unsubscribed=r.email_key in out, custom_fields=fields.get(r.id))
        for r in rows
    ]


def _custom_fields(person_ids: list[int]) -> dict[int, dict]:
    """Role and waitlist number from each person's latest signature the caller sees."""
    if not person_ids:
        return {}
    query = select(Signature.person_id, Signature.role, Signature.waitlist_number).where(
        Signature.person_id.in_(person_ids)
    )
    if not caller().is_admin:
        query = query.where(
            Signature.petition_id.in_(select(Petition.id).where(petitions_where(caller())))
        )
    fields: dict[int, dict] = {}
    for person_id, role, number in db.session.execute(query.order_by(Signature.id)):
        entry = fields.setdefault(person_id, {})
        if role:
            entry["role"] = role
        if number is not None:
            entry["waitlist_number"] = number
    return fields


@bp.get("/people", strict_slashes=False)
def people():
    must_see_personal_data(caller())
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), PEOPLE_FILTERS)
    ids = select(Person.id)
    if (where := people_where(caller())) is not None:
        ids = ids.where(where)
    if flt is not None and flt[0] == "email_address":
        ids = ids.where(Person.email_key == flt[1])
    ids = _modified(ids, Person.modified_at, flt)
    page = page_of(_key("people"), ids, Person.id, p, Person.__table__)
    items = _people_json(page.rows)
    _read("people", detail=f"{len(items)} people: {request.full_path}")
    _commit()
    return _collection("people", items, page, _filter_args())


def _load(model, ids: list[int]) -> list:
    if not ids:
        return []
    return db.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()


@bp.post("/people", strict_slashes=False)
def person_signup():
    must_see_personal_data(caller())
    body = _json_body()
    values = services.person_input(body)
    tags = services.tag_names(body)
    row = services.upsert_person(values, tags)
    audit.record("api.person", user=g.osdi_staff, object_type="person", object_id=row.id)
    item = _people_json([row])[0]
    _commit()
    return hal(item)


@bp.get("/people/<id:person_id>")
def person(person_id: int):
    must_see_personal_data(caller())
    row = visible_person(caller(), person_id)
    if row is None:
        raise ApiError(404, "No such person.")
    item = _people_json([row])[0]
    _read("person", row.id)
    _commit()
    return hal(item)


@bp.get("/people/<id:person_id>/signatures", strict_slashes=False)
def person_signatures(person_id: int):
    must_see_personal_data(caller())
    if visible_person(caller(), person_id) is None:
        raise ApiError(404, "No such person.")
    ids = select(Signature.id).where(Signature.person_id == person_id, Signature.hidden.is_(False))
    if (where := petitions_where(caller())) is not None:
        ids = ids.where(Signature.petition_id.in_(select(Petition.id).where(where)))
    return _signatures_page(ids, f"person{person_id}", ("person", person_id))


@bp.get("/people/<id:person_id>/attendances", strict_slashes=False)
def person_attendances(person_id: int):
    must_see_personal_data(caller())
    if visible_person(caller(), person_id) is None:
        raise ApiError(404, "No such person.")
    ids = select(Attendee.id).where(Attendee.person_id == person_id)
    if (where := events_where(caller())) is not None:
        ids = ids.where(Attendee.event_id.in_(select(Event.id).where(where)))
    return _attendances_page(ids, f"person{person_id}", ("person", person_id))


@bp.get("/people/<id:person_id>/taggings", strict_slashes=False)
def person_taggings(person_id: int):
    must_see_personal_data(caller())
    if visible_person(caller(), person_id) is None:
        raise ApiError(404, "No such person.")
    p = paging(request.args)
    parse_filter(request.args.get("filter"), {})
    ids = select(PersonTag.tag_id).where(PersonTag.person_id == person_id)
    page = page_of(_key("taggings", f"person{person_id}"), ids, PersonTag.tag_id, p)
    rows = []
    if page.ids:
        rows = db.session.scalars(
            select(PersonTag)
            .where(PersonTag.person_id == person_id, PersonTag.tag_id.in_(page.ids))
            .order_by(PersonTag.tag_id)
        ).all()
    base = _base()
    items = [resources.tagging(r, base) for r in rows]
    _read("taggings", person_id)
    _commit()
    return _collection("taggings", items, page, {})


# --- petitions and signatures ----------------------------------------------------------

MODIFIED_ONLY = {"modified_date": "gt"}


def _petitions_json(rows: list[Petition]) -> list[dict]:
    base = _base()
    return [resources.petition(r, base, total_signatures=counting.signature_count(r)) for r in rows]


@bp.get("/petitions", strict_slashes=False)
def petitions():
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), MODIFIED_ONLY)
    ids = select(Petition.id)
    if (where := petitions_where(caller())) is not None:
        ids = ids.where(where)
    ids = _modified(ids, Petition.updated_at, flt)
    page = page_of(_key("petitions"), ids, Petition.id, p)
    return _collection(
        "petitions", _petitions_json(_load(Petition, page.ids)), page, _filter_args()
    )


def _petition_or_404(petition_id: int) -> Petition:
    row = visible_petition(caller(), petition_id)
    if row is None:
        raise ApiError(404, "No such petition.")
    return row


@bp.get("/petitions/<id:petition_id>")
def petition(petition_id: int):
    return hal(_petitions_json([_petition_or_404(petition_id)])[0])


def _signatures_page(ids, key: str, subject: tuple) -> Response:
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), MODIFIED_ONLY)
    ids = _modified(ids, func.coalesce(Signature.confirmed_at, Signature.created_at), flt)
    page = page_of(_key("signatures", key), ids, Signature.id, p, Signature.__table__)
    base = _base()
    items = [resources.signature(r, base) for r in page.rows]
    kind, subject_id = subject
    _read(
        "signatures",
        subject_id if kind == "person" else "",
        f"{len(items)} signatures: {request.full_path}",
        petition=subject_id if kind == "petition" else None,
    )
    _commit()
    return _collection("signatures", items, page, _filter_args())


@bp.get("/petitions/<id:petition_id>/signatures", strict_slashes=False)
def petition_signatures(petition_id: int):
    must_see_personal_data(caller())
    _petition_or_404(petition_id)
    ids = select(Signature.id).where(
        Signature.petition_id == petition_id, Signature.hidden.is_(False)
    )
    return _signatures_page(ids, f"petition{petition_id}", ("petition", petition_id))


@bp.get("/petitions/<id:petition_id>/signatures/<id:signature_id>")
def signature(petition_id: int, signature_id: int):
    must_see_personal_data(caller())
    _petition_or_404(petition_id)
    row = db.session.get(Signature, signature_id)
    if row is None or row.petition_id != petition_id or row.hidden:
        raise ApiError(404, "No such signature.")
    item = resources.signature(row, _base())
    _read("signature", row.id, petition=petition_id)
    _commit()
    return hal(item)


SIGN_ANSWERS = {
    SignStatus.CLOSED: (409, "This petition takes no signatures now."),
    SignStatus.FULL_HOUSEHOLD: (
        409,
        "Several people have already signed with this email address, the most one "
        "address may sign for.",
    ),
}


@bp.post("/petitions/<id:petition_id>/signatures", strict_slashes=False)
def record_signature(petition_id: int):
    """A signature through the web form's service (signing.sign_petition): the same
    duplicates, households and email confirmation, in the audit log."""
    must_see_personal_data(caller())
    petition = _petition_or_404(petition_id)
    body = _json_body()
    values = services.person_input(body)
    comment = services.comments(body)
    try:
        result = signing.sign_petition(petition, comment=comment, source="online", **values)
    except signing.SigningError as e:
        raise ApiInputError(f"{e}.") from None
    if result.status in SIGN_ANSWERS:
        raise ApiError(*SIGN_ANSWERS[result.status])
    signature = result.signature
    message = None
    if result.status == SignStatus.PENDING or current_app.config.get("SIGN_RECEIPT_MAIL"):
        message = signing.confirmation_message(signature, values["language"])
    if result.status != SignStatus.DUPLICATE:
        counting.forget(petition)
    audit.record(
        "api.signature",
        user=g.osdi_staff,
        object_type="signature",
        object_id=signature.id,
        petition=petition,
        detail=str(result.status),
    )
    item = resources.signature(signature, _base())
    _commit()
    if message is not None:
        mail.send(message)
    return hal(item, 200 if result.status == SignStatus.DUPLICATE else 201)


# --- events and attendances ------------------------------------------------------------


def _events_json(rows: list[Event]) -> list[dict]:
    base = _base()
    return [resources.event(r, base, total_accepted=r.rsvp_count) for r in rows]


@bp.get("/events", strict_slashes=False)
def events():
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), MODIFIED_ONLY)
    ids = select(Event.id)
    if (where := events_where(caller())) is not None:
        ids = ids.where(where)
    ids = _modified(ids, Event.updated_at, flt)
    page = page_of(_key("events"), ids, Event.id, p)
    return _collection("events", _events_json(_load(Event, page.ids)), page, _filter_args())


def _event_or_404(event_id: int) -> Event:
    row = visible_event(caller(), event_id)
    if row is None:
        raise ApiError(404, "No such event.")
    return row


@bp.get("/events/<id:event_id>")
def event(event_id: int):
    return hal(_events_json([_event_or_404(event_id)])[0])


def _attendances_page(ids, key: str, subject: tuple) -> Response:
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), MODIFIED_ONLY)
    ids = _modified(ids, func.coalesce(Attendee.checked_in_at, Attendee.created_at), flt)
    page = page_of(_key("attendances", key), ids, Attendee.id, p, Attendee.__table__)
    base = _base()
    items = [resources.attendance(r, base) for r in page.rows]
    _read("attendances", subject[1], f"{len(items)} attendances: {request.full_path}")
    _commit()
    return _collection("attendances", items, page, _filter_args())


@bp.get("/events/<id:event_id>/attendances", strict_slashes=False)
def event_attendances(event_id: int):
    must_see_personal_data(caller())
    _event_or_404(event_id)
    ids = select(Attendee.id).where(Attendee.event_id == event_id)
    return _attendances_page(ids, f"event{event_id}", ("event", event_id))


@bp.get("/events/<id:event_id>/attendances/<id:attendance_id>")
def attendance(event_id: int, attendance_id: int):
    must_see_personal_data(caller())
    _event_or_404(event_id)
    row = db.session.get(Attendee, attendance_id)
    if row is None or row.event_id != event_id:
        raise ApiError(404, "No such attendance.")
    item = resources.attendance(row, _base())
    _read("attendance", row.id)
    _commit()
    return hal(item)


RSVP_ANSWERS = {
    RsvpStatus.FULL: (409, "This event is full."),
    RsvpStatus.CLOSED: (409, "This event takes no RSVPs now."),
    RsvpStatus.REVOKED: (409, "The organizers cancelled this person's RSVP."),
}


@bp.post("/events/<id:event_id>/attendances", strict_slashes=False)
def record_attendance(event_id: int):
    """An RSVP through rallies.rsvp, with a ticket: its link is in the answer
    (`ticket_url`) and mailed to the person, as the event page does."""
    must_see_personal_data(caller())
    event = _event_or_404(event_id)
    body = _json_body()
    values = services.person_input(body)
    person = {
        "given_name": values["given_name"],
        "family_name": values["family_name"],
        "email": values["email"],
        "postal_code": values["postal_code"],
        "language": values["language"],
    }
    if not (person["given_name"] or person["family_name"]):
        raise ApiInputError("person needs a given_name or family_name.")
    try:
        result = rsvps.rsvp(event, **person)
    except rsvps.AttendeeError as e:
        raise ApiInputError(f"{e}.") from None
    if result.status in RSVP_ANSWERS:
        raise ApiError(*RSVP_ANSWERS[result.status])
    audit.record(
        "api.attendance",
        user=g.osdi_staff,
        object_type="attendee",
        object_id=result.attendee.id,
        detail=str(result.status),
    )
    item = resources.attendance(result.attendee, _base())
    item["ticket_url"] = rally_mail.ticket_url(result.token)
    _commit()
    rally_mail.send_ticket(
        event, result.attendee, result.token, resent=result.status == RsvpStatus.DUPLICATE
    )
    return hal(item, 200 if result.status == RsvpStatus.DUPLICATE else 201)


# --- tags ------------------------------------------------------------------------------


@bp.get("/tags", strict_slashes=False)
def tags():
    p = paging(request.args)
    flt = parse_filter(request.args.get("filter"), MODIFIED_ONLY)
    ids = _modified(select(Tag.id), Tag.modified_at, flt)
    page = page_of(_key("tags"), ids, Tag.id, p)
    base = _base()
    return _collection(
        "tags", [resources.tag(r, base) for r in _load(Tag, page.ids)], page, _filter_args()
    )


@bp.get("/tags/<id:tag_id>")
def tag(tag_id: int):
    row = db.session.get(Tag, tag_id)
    if row is None:
        raise ApiError(404, "No such tag.")
    return hal(resources.tag(row, _base()))
