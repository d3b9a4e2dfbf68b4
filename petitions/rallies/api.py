from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from petitions.accounts.api_tokens import api_user, touch_api_token
from petitions.core.extensions import csrf, db, limiter
from petitions.core.responses import no_store
from petitions.core.timezones import iso_utc
from petitions.models.base import utcnow
from petitions.rallies import checkin as svc
from petitions.rallies.loaders import event_or_404

bp = Blueprint("api", __name__)
bp.after_request(no_store)


def _checkin_limit():
    return current_app.config["RATELIMIT_CHECKIN"]


def _caller_key():
    # Per API token / per session user when known (a scanner phone scans fast; many share
    # one rally Wi-Fi address), else per address.
    auth = request.headers.get("Authorization")
    if auth:
        return "tok:" + svc.token_hash(auth)
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return request.remote_addr or "?"


def _bad_request(message: str):
    response = jsonify(error=message, status=400)
    response.status_code = 400
    abort(response)


@bp.post("/checkins")
@csrf.exempt  # API tokens need no CSRF; session calls are checked in api_user()
@limiter.limit(_checkin_limit, key_func=_caller_key)
def checkins():
    user = api_user()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        _bad_request('Send a JSON object: {"token": "...", "nonce": "..."}.')
    event = None
    if data.get("event") is not None:
        if not isinstance(data["event"], str):
            _bad_request("event must be an event slug")
        event = svc.event_scope(data["event"])
        if event is None:
            _bad_request("No event with that slug.")
    if ("token" in data) == ("token_hash" in data):
        _bad_request('Send either "token" (what was scanned) or "token_hash".')
    try:
        result = svc.check_in(
            data.get("token"),
            data.get("nonce"),
            user,
            device=data.get("device") or request.user_agent.string,
            scanned_at=data.get("scanned_at"),
            event=event,
            hashed=data.get("token_hash"),
        )
    except svc.CheckInInputError as e:
        db.session.rollback()  # a half-made scan (a claim without its log) is not kept
        _bad_request(str(e))
    touch_api_token()
    db.session.commit()
    return jsonify(result.to_json())


@bp.get("/csrf")
def csrf_token():
    """A fresh CSRF token for the scanner page's session (its cached copy may be old)."""
    api_user()
    return jsonify(csrf_token=generate_csrf())


@bp.get("/events/<slug>/roster")
def roster(slug: str):
    api_user()
    event = event_or_404(slug)
    return jsonify(
        event={"slug": event.slug, "name": event.name, "timezone": event.timezone},
        generated_at=iso_utc(utcnow()),
        attendees=svc.roster(event),
    )


@bp.get("/events/<slug>/search")
def search(slug: str):
    api_user()
    event = event_or_404(slug)
    return jsonify(attendees=svc.search(event, request.args.get("q", "")))


@bp.get("/events/<slug>/checkins/stats")
def stats(slug: str):
    api_user()
    event = event_or_404(slug)
    return jsonify(svc.event_stats(event))
