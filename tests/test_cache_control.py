"""Which pages may be kept: private pages (organizer pages, the API, tokens in the URL)
are `private, no-store`, set in one place; public pages never are, so that Back and
Forward stay instant (the back/forward cache skips no-store pages)."""

import re

import pytest

from tests.test_authorization import PUBLIC as OPEN_STAFF_URLS
from tests.test_authorization import _url


@pytest.fixture
def seeded(app, make_petition, make_event, make_attendee, make_signature):
    petition = make_petition(slug="authz", ask_waitlist=True)
    event = make_event(petition=petition, slug="authz")
    _, ticket = make_attendee(event, number=12)
    signature = make_signature(petition, waitlist_number=7)
    pending = make_signature(petition, given="Luis", email="luis@example.org", confirmed=False)
    return {
        "event": event,
        "ticket": ticket,
        "signature": signature.token,
        "pending": pending.token,
    }


def _get_rules(app, prefixes):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefixes) and "GET" in rule.methods:
            yield rule


def _no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("role", [None, "volunteer", "admin"])
def test_every_organizer_auth_and_api_url_is_no_store(client, app, seeded, make_user, login, role):
    if role:
        login(make_user(role))
    checked = 0
    for rule in _get_rules(app, ("/manage", "/auth", "/api")):
        if rule.rule in OPEN_STAFF_URLS:
            continue
        response = client.get(_url(rule))
        assert response.headers.get("Cache-Control") == "private, no-store", (
            rule.rule,
            response.status_code,
        )
        checked += 1
    assert checked > 30


def test_private_public_side_pages_are_no_store(client, seeded):
    ticket, signature = seeded["ticket"], seeded["signature"]
    for url in (
        f"/t/{ticket}",
        f"/t/{ticket}/badge.pdf",
        f"/s/{seeded['pending']}/confirm",
        f"/s/{signature}/remove",
        f"/p/authz/thanks/{signature}",
        f"/p/authz/embed/thanks/{signature}",
        f"/p/authz/badge/{signature}.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store", url


def test_public_pages_do_not_block_the_back_forward_cache(client, seeded):
    event = seeded["event"]
    for url in (
        "/p/authz/already",
        "/p/authz/pending",
        "/e/authz/sent",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-cache", url
    # Pages every anonymous visitor shares (tests/test_shared_pages.py) are public.
    for url in ("/", "/p/authz", "/p/authz/embed", "/e/authz", f"/e/authz/here/{event.signin_key}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"].startswith("public, max-age="), url


def test_public_data_stays_publicly_cacheable(client, seeded):
    for url in ("/p/authz.json", "/p/authz/badge.svg", "/e/authz.ics", "/favicon.ico"):
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = response.headers["Cache-Control"]
        assert re.fullmatch(r"public, max-age=\d+(, s-maxage=\d+)?", cache_control), url
