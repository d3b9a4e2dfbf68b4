"""Public pages a shared cache may keep: the same bytes for every anonymous visitor of one
URL, no cookie, `Cache-Control: public`; a URL per language; private pages for anyone who
brings a session; unknown slugs answered from the cache."""

import re

import pytest
from sqlalchemy import event

from petitions.core.extensions import db
from petitions.models import Signature
from tests.test_signing_flow import GOOD

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


@pytest.fixture
def page(app, make_petition, make_event):
    app.config["PUBLIC_CACHE_SECONDS"] = 5  # as in production (the suite turns it off)
    petition = make_petition(slug="surge", title="Seats for all")
    make_event(petition=petition, slug="surge-rally")
    return petition


def _shared(response):
    cache_control = response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers, response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert cache_control.startswith("public"), cache_control
    assert re.search(r"\bmax-age=[1-9]", cache_control) and "s-maxage=" in cache_control
    return response


SHARED_URLS = (
    "/p/surge", "/en/p/surge", "/es/p/surge", "/p/surge.json",
    "/p/surge/embed", "/en/p/surge/embed", "/es/p/surge/embed",
    "/p/surge/badge.svg", "/es/p/surge/badge.svg",
    "/e/surge-rally", "/es/e/surge-rally", "/e/surge-rally.ics", "/es/e/surge-rally.ics",
    "/", "/es/",
)  # fmt: skip


@pytest.mark.parametrize("url", SHARED_URLS)
def test_anonymous_visitors_share_the_same_bytes(app, page, url):
    first, second = app.test_client(), app.test_client()
    a, b = _shared(first.get(url)), _shared(second.get(url))
    assert a.status_code == b.status_code == 200
    assert a.get_data() == b.get_data()
    assert a.headers["ETag"] == b.headers["ETag"]
    again = first.get(url, headers={"If-None-Match": a.headers["ETag"]})
    assert again.status_code == 304


def test_organizers_get_private_pages_and_their_menu_never_reaches_the_public(
    app, client, page, organizer
):
    mine = client.get("/p/surge")
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert "Log out" in mine.get_data(as_text=True)
    public = app.test_client().get("/p/surge")
    _shared(public)
    html = public.get_data(as_text=True)
    assert "Log out" not in html and organizer.email not in html and "csrf_token" not in html


def test_a_spanish_phone_is_sent_to_the_spanish_url(app, page):
    client = app.test_client()
    response = _shared(client.get("/p/surge", headers=ES))
    assert response.status_code == 302
    assert response.headers["Location"] == "/es/p/surge"
    assert "Accept-Language" in response.headers["Vary"]
    html = client.get("/es/p/surge").get_data(as_text=True)
    assert '<html lang="es">' in html and "Firmar la petición" in html
    # English for everyone else, at the printed URL itself (no redirect).
    english = _shared(client.get("/p/surge", headers={"Accept-Language": "en-US"}))
    assert english.status_code == 200 and "Accept-Language" in english.headers["Vary"]
    # The explicit language URLs never vary: a Spanish phone can still read English.
    en = _shared(client.get("/en/p/surge", headers=ES))
    assert "Vary" not in en.headers or "Accept-Language" not in en.headers["Vary"]
    assert '<html lang="en">' in en.get_data(as_text=True)


def test_language_switch_and_alternates_name_the_other_language_url(app, page):
    html = app.test_client().get("/es/p/surge").get_data(as_text=True)
    assert '<a href="/en/p/surge" lang="en" hreflang="en">English</a>' in html
    assert '<link rel="alternate" hreflang="es" href="http://localhost/es/p/surge">' in html
    assert '<link rel="alternate" hreflang="en" href="http://localhost/en/p/surge">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://localhost/p/surge">' in html
    # The form on the Spanish page posts to the Spanish URL; shared links stay neutral.
    assert 'action="/es/p/surge/sign"' in html
    assert '<meta property="og:url" content="http://localhost/p/surge">' in html


def test_the_calendar_file_has_a_url_per_language(app, page):
    client = app.test_client()
    # The URL calendars subscribe to keeps working and, like the event page, follows the
    # phone's language: the one answer a cache keeps for it says it varies by that.
    english = _shared(client.get("/e/surge-rally.ics", headers={"Accept-Language": "en"}))
    assert english.status_code == 200 and english.mimetype == "text/calendar"
    assert english.headers["Vary"] == "Accept-Language"
    assert english.headers["Content-Disposition"] == 'attachment; filename="surge-rally.ics"'
    assert "SUMMARY:Rally for magnet school seats" in english.get_data(as_text=True)
    spanish = _shared(client.get("/e/surge-rally.ics", headers=ES))
    assert spanish.status_code == 302 and spanish.headers["Location"] == "/es/e/surge-rally.ics"
    assert spanish.headers["Vary"] == "Accept-Language"
    old_link = client.get("/e/surge-rally.ics?lang=es", headers={"Accept-Language": "en"})
    assert old_link.status_code == 302 and old_link.headers["Location"] == "/es/e/surge-rally.ics"
    # A language URL fixes the language: nothing to vary on.
    es = _shared(client.get("/es/e/surge-rally.ics", headers={"Accept-Language": "en"}))
    assert es.status_code == 200 and "Vary" not in es.headers
    assert "Punto de encuentro: North entrance steps" in es.get_data(as_text=True)
    en = _shared(client.get("/en/e/surge-rally.ics", headers=ES))
    assert "Vary" not in en.headers and "Meeting point: North" in en.get_data(as_text=True)
    # Each event page links to the file in its own language.
    for url, ics in (("/es/e/surge-rally", "/es/e/surge-rally.ics"),
                     ("/e/surge-rally", "/en/e/surge-rally.ics")):  # fmt: skip
        assert f'href="{ics}" download' in client.get(url).get_data(as_text=True), url


def test_old_lang_links_go_to_the_language_url(app, page):
    response = app.test_client().get("/p/surge?lang=es", headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/es/p/surge"
    assert "Set-Cookie" not in response.headers


def test_an_unknown_language_prefix_is_not_found(client, page):
    assert client.get("/xx/p/surge").status_code == 404


def _count_queries(app):
    seen = []
    event.listen(db.engine, "before_cursor_execute", lambda *a, **k: seen.append(a[2]))
    return seen


def test_unknown_slugs_are_answered_from_the_cache(app, page):
    client = app.test_client()
    seen = _count_queries(app)
    assert client.get("/p/no-such-petition").status_code == 404
    assert seen, "the first request looks in the database"
    asked = len(seen)
    for _ in range(20):
        response = client.get("/p/no-such-petition")
        assert response.status_code == 404
        assert response.headers["Cache-Control"].startswith("public")
    assert len(seen) == asked


@pytest.mark.parametrize("url", ["/es/p/surge", "/es/p/surge/embed", "/p/surge/badge.svg"])
def test_a_page_served_from_the_cache_makes_no_query(app, page, url):
    client = app.test_client()
    client.get(url)
    seen = _count_queries(app)
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert seen == []


def test_signing_from_a_cached_page_needs_no_session(app, page):
    client = app.test_client()
    html = _shared(client.get("/es/p/surge")).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" class="sign"', html).group(1)
    assert action == "/es/p/surge/sign"
    response = client.post(action, data=GOOD)
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    signature = db.session.scalars(db.select(Signature)).one()
    assert signature.email == GOOD["email"]
    # The pending page answers in the page's language, for this signer only.
    pending = client.get(response.headers["Location"])
    assert pending.headers["Cache-Control"] != "public"
    assert '<html lang="es">' in pending.get_data(as_text=True)


def test_the_count_follows_within_the_cache_window(app, page, make_signature):
    app.config["PUBLIC_CACHE_SECONDS"] = 0  # kept for no time at all: each view renders
    app.config["COUNT_CACHE_SECONDS"] = 0
    client = app.test_client()
    assert "0 of 100 signatures" in client.get("/p/surge").get_data(as_text=True)
    make_signature(page)
    assert "1 of 100 signatures" in client.get("/p/surge").get_data(as_text=True)


def test_messages_and_already_signed_pages_are_never_shared(app, page):
    client = app.test_client()
    bad = client.post("/p/surge/sign", data={**GOOD, "email": "nope"})
    assert bad.status_code == 400 and bad.headers["Cache-Control"] == "private, no-store"
    for url in ("/p/surge/already", "/p/surge/pending"):
        assert not client.get(url).headers["Cache-Control"].startswith("public"), url


def test_static_urls_are_fingerprinted(app, client, page):
    html = client.get("/en/p/surge").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    assert client.get(css).status_code == 200
