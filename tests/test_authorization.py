"""Every organizer and API URL, walked from the URL map: nobody gets in without an
account, volunteers never reach personal data, and no URL answers with a 500."""

import re

import pytest

from petitions.core.extensions import db
from petitions.core.tokens import new_token, token_hash
from petitions.models import Attendee, Event, EventStatus
from petitions.models.base import utcnow

# What a volunteer may open: check-in, paper entry, event counts. Everything else under
# /manage/ is for organizers and admins.
VOLUNTEER_ALLOWED = re.compile(
    r"^/manage/$|^/manage/e/$|^/manage/e/<slug>$|^/manage/e/<slug>/(scan|scan\.webmanifest|stats\.json)$"
    r"|^/manage/e/scanner-sw\.js$|^/manage/paper$|^/manage/p/<slug>/paper$|^/api/"
    # The welcome table's kiosk, for a rally or for canvassing a petition.
    r"|^/manage/[ep]/<slug>/kiosk(\.webmanifest|/sync\.json)?$|^/manage/kiosk-sw\.js$"
)


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/manage", "/api")):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


@pytest.fixture
def seeded(app, make_petition):
    petition = make_petition(slug="authz")
    event = Event(
        slug="authz", name="Rally", starts_at=utcnow(), status=EventStatus.PUBLISHED,
        signin_key=new_token(8), petition_id=petition.id,
    )  # fmt: skip
    db.session.add(event)
    db.session.flush()
    db.session.add(
        Attendee(
            event_id=event.id,
            token_hash=token_hash(new_token()),
            name="Ana Rivera",
            email="ana@example.org",
            email_key="ana@example.org",
        )  # fmt: skip
    )
    db.session.commit()
    return {"slug": "authz"}


def _url(rule) -> str:
    return re.sub(
        r"<(?:(\w+):)?(\w+)>",
        lambda m: "1" if m.group(1) in ("int", "id") else "authz",
        rule.rule,
    )


def _request(client, method, url):
    return client.open(url, method=method, data={}, headers={"Accept": "text/html"})


# The scanner's and kiosk's service workers are static scripts (no data): the browser must
# be able to fetch them to update the installed app even when the session has expired.
# The API's OpenAPI document describes routes, never data: clients read it before a token.
PUBLIC = {"/manage/e/scanner-sw.js", "/manage/kiosk-sw.js", "/api/osdi/v1/openapi.json"}


def test_anonymous_visitors_get_nothing(client, app, seeded):
    for rule, method in _staff_rules(app):
        if rule.rule in PUBLIC:
            continue
        response = _request(client, method, _url(rule))
        assert response.status_code != 500, (method, rule.rule)
        if method == "GET":
            assert response.status_code in (302, 401), (method, rule.rule, response.status_code)
            if response.status_code == 302:
                assert "/auth/login" in response.headers["Location"]
        else:
            # POSTs without a CSRF token are refused before anything else.
            assert response.status_code in (302, 400, 401), (method, rule.rule)


def test_volunteers_reach_only_check_in_and_paper_entry(client, app, seeded, make_user, login):
    login(make_user("volunteer"))
    for rule, method in _staff_rules(app):
        if method != "GET":
            continue
        response = _request(client, method, _url(rule))
        assert response.status_code != 500, rule.rule
        if VOLUNTEER_ALLOWED.search(rule.rule):
            assert response.status_code < 500, rule.rule
        else:
            assert response.status_code == 403, (rule.rule, response.status_code)
        assert b"ana@example.org" not in response.data, rule.rule


def test_organizers_open_every_page_without_errors(client, app, seeded, make_user, login):
    login(make_user("organizer"))
    for rule, method in _staff_rules(app):
        if method != "GET":
            continue
        response = _request(client, method, _url(rule))
        assert response.status_code < 500, (rule.rule, response.status_code)
        if rule.rule == "/manage/users":
            assert response.status_code == 403  # accounts are for admins
