"""The petition on another site: the embed (sign form, count, progress) may be framed,
signing works inside the frame without cookies or JavaScript, the count badge."""

import re
import xml.etree.ElementTree as ET

import pytest

from petitions.core.extensions import db
from tests.test_signing_flow import GOOD, count_of, rows

SVG = "{http://www.w3.org/2000/svg}"


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    match = re.search(r"frame-ancestors ([^;]+)", policy)
    assert match, policy
    assert "script-src 'self'" in policy and "default-src 'self'" in policy  # the rest kept
    return match.group(1).strip()


def framable(response, ancestors="*"):
    assert "X-Frame-Options" not in response.headers, response.headers
    assert frame_ancestors(response) == ancestors
    return response


def refused(response):
    assert response.headers["X-Frame-Options"] == "DENY"
    assert frame_ancestors(response) == "'none'"
    return response


def embed_sign(client, petition, prefix="", headers=None, **fields):
    data = {k: v for k, v in {**GOOD, **fields}.items() if v is not None}
    return client.post(f"{prefix}/p/{petition.slug}/embed/sign", data=data, headers=headers or {})


@pytest.mark.parametrize("prefix", ["", "/en", "/es"])
def test_the_embed_may_be_framed_by_any_site(client, make_petition, prefix):
    petition = make_petition(title="Seats for all", goal=200)
    response = framable(client.get(f"{prefix}/p/{petition.slug}/embed"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The unprefixed URL picked English: its links keep it (as on the petition page).
    assert f'action="{prefix or "/en"}/p/{petition.slug}/embed/sign"' in html
    assert "0 of 200 signatures" in html or "0 de 200 firmas" in html
    assert '<progress max="200" value="0"' in html
    assert "js/embed-resize.js" in html and "<script>" not in html  # CSP: no inline script
    assert 'target="_blank" rel="noopener"' in html  # the whole petition opens a new tab
    if prefix == "/es":
        assert '<html lang="es">' in html and "Firmar la petición" in html


def test_every_other_page_still_refuses_framing(client, make_petition, make_signature):
    petition = make_petition()
    signature = make_signature(petition)
    for url in (
        "/",
        f"/p/{petition.slug}",
        f"/es/p/{petition.slug}",
        f"/p/{petition.slug}/thanks/{signature.token}",
        "/auth/login",
        "/p/no-such-petition/embed",  # no petition: nothing to frame
    ):
        refused(client.get(url))
    refused(client.post(f"/p/{petition.slug}/sign", data={**GOOD, "email": "nope"}))


def test_a_petition_may_name_the_sites_that_frame_it(client, make_petition):
    petition = make_petition(embed_origins="https://schools.example.org\nhttp://localhost:8080")
    response = client.get(f"/p/{petition.slug}/embed")
    framable(response, "https://schools.example.org http://localhost:8080")
    # The same list on the answers inside the frame.
    framable(
        embed_sign(client, petition, email="nope"),
        "https://schools.example.org http://localhost:8080",
    )


def test_organizers_set_the_list_on_the_petition_form(client, organizer, make_petition, csrf):
    petition = make_petition(slug="listed", created_by_id=organizer.id)
    url = f"/manage/p/{petition.slug}/edit"
    token = csrf(url)
    form = {
        "csrf_token": token,
        "title": petition.title,
        "goal": "100",
        "embed_origins": "https://a.example.org/\nhttps://b.example.org:8443, https://a.example.org",
    }
    response = client.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(petition)
    assert petition.embed_origins == "https://a.example.org\nhttps://b.example.org:8443"
    for bad in (
        "example.org",
        "https://a.example.org/path",
        "javascript:alert(1)",
        "https://x:99999",
    ):
        response = client.post(url, data={**form, "embed_origins": bad})
        assert response.status_code == 400, bad
        assert "is not a site address" in response.get_data(
            as_text=True
        ) or "port" in response.get_data(as_text=True)
    db.session.refresh(petition)
    assert petition.embed_origins == "https://a.example.org\nhttps://b.example.org:8443"
    response = client.post(url, data={**form, "embed_origins": "https://*.Example.org"})
    assert response.status_code == 302
    framable(client.get(f"/p/{petition.slug}/embed"), "https://*.example.org")
    response = client.post(url, data={**form, "embed_origins": ""})
    assert response.status_code == 302
    framable(client.get(f"/p/{petition.slug}/embed"))


def test_the_embed_is_shared_and_cached_like_the_petition_page(app, make_petition):
    app.config["PUBLIC_CACHE_SECONDS"] = 5
    petition = make_petition(embed_origins="https://a.example.org")
    url = f"/p/{petition.slug}/embed"
    first, second = app.test_client(), app.test_client()
    a, b = first.get(url), second.get(url)  # the second from the cache
    for response in (a, b):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"].startswith("public, max-age=")
        framable(response, "https://a.example.org")
    assert a.get_data() == b.get_data()
    again = first.get(url, headers={"If-None-Match": a.headers["ETag"]})
    assert again.status_code == 304
    framable(again, "https://a.example.org")


def test_signing_inside_the_frame_without_javascript_or_cookies(app, client, make_petition):
    app.config["COUNT_CACHE_SECONDS"] = 0  # the count as the database has it, at once
    petition = make_petition(title="Seats for all")
    assert count_of(client, petition) == 0
    response = embed_sign(client, petition)
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers  # nothing is kept in a session
    location = response.headers["Location"]
    assert re.fullmatch(rf"/p/{petition.slug}/embed/thanks/[0-9A-Za-z_-]+", location), location
    client.delete_cookie("session")
    thanks = framable(client.get(location))
    assert thanks.status_code == 200
    assert thanks.headers["Cache-Control"] == "private, no-store"
    html = thanks.get_data(as_text=True)
    assert "Thank you, Ana!" in html
    share = re.findall(r'<a class="button" href="[^"]+"([^>]*)>', html)
    assert share and all('target="_blank" rel="noopener"' in attrs for attrs in share)
    assert [s.given_name for s in rows(petition)] == ["Ana"]
    assert count_of(client, petition) == 1
    # Signing again in the frame: the answer says so, counted once.
    again = framable(embed_sign(client, petition))
    assert again.status_code == 200 and "You have signed already" in again.get_data(as_text=True)
    assert count_of(client, petition) == 1


def test_spanish_embed_signs_in_spanish(client, make_petition):
    petition = make_petition()
    response = embed_sign(
        client, petition, prefix="/es", email="lucia@example.org", given_name="Lucía"
    )
    assert response.headers["Location"].startswith(f"/es/p/{petition.slug}/embed/thanks/")
    html = framable(client.get(response.headers["Location"])).get_data(as_text=True)
    assert "¡Gracias, Lucía!" in html
    assert rows(petition)[0].language == "es"


def test_errors_re_render_inside_the_embed(client, make_petition):
    petition = make_petition()
    response = framable(embed_sign(client, petition, email="not-an-email", postal_code="1"))
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert 'class="embed"' in html and "Please correct the marked fields below." in html
    assert 'class="error"' in html and 'value="Ana"' in html  # what was typed is kept
    assert 'class="site"' not in html  # the embed's own layout, not the site's
    assert rows(petition) == []
    # The language button inside the form keeps what was typed, in the embed.
    switch = framable(embed_sign(client, petition, prefix="/es", lang="es"))
    assert switch.status_code == 200 and "Firmar la petición" in switch.get_data(as_text=True)
    assert rows(petition) == []


def test_a_cross_site_post_to_the_embed_is_still_refused(client, make_petition):
    petition = make_petition()
    response = embed_sign(client, petition, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    response = embed_sign(
        client, petition, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "same-site"}
    )
    assert response.status_code == 403
    assert rows(petition) == []
    # The frame's own document posting to its own origin is same-origin: it passes.
    response = embed_sign(client, petition, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302 and len(rows(petition)) == 1


def test_the_honeypot_and_a_closed_petition_inside_the_embed(client, make_petition):
    petition = make_petition()
    response = framable(embed_sign(client, petition, website="http://spam.example"))
    assert response.status_code == 200 and "Thank you!" in response.get_data(as_text=True)
    assert rows(petition) == []
    closed = make_petition(status="closed")
    response = framable(embed_sign(client, closed))
    assert response.status_code == 409
    assert "This petition is closed." in response.get_data(as_text=True)
    assert "This petition is closed." in client.get(f"/p/{closed.slug}/embed").get_data(
        as_text=True
    )


def test_confirmation_by_mail_inside_the_embed(app, client, make_petition, smtp_server):
    petition = make_petition(require_confirmation=True)
    response = framable(embed_sign(client, petition))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Please confirm your signature" in response.get_data(as_text=True)
    assert len(smtp_server) == 1
    assert count_of(client, petition) == 0
    signature = rows(petition)[0]
    pending = framable(client.get(f"/p/{petition.slug}/embed/thanks/{signature.token}"))
    assert "Please confirm your signature" in pending.get_data(as_text=True)


def test_unknown_thanks_token_is_404(client, make_petition):
    petition = make_petition()
    assert client.get(f"/p/{petition.slug}/embed/thanks/" + "0" * 26).status_code == 404
    assert client.get("/p/nope/embed/sign").status_code in (404, 405)


# --- the badge ------------------------------------------------------------------------


def test_the_badge_is_an_escaped_svg_of_the_count(client, make_petition, make_signature):
    title = 'Seats <script>alert("x")</script> & more'
    petition = make_petition(title=title, goal=4)
    make_signature(petition)
    make_signature(petition, "Luis", "Ortiz", email="luis@example.org")
    make_signature(petition, "Maria", "Cruz", email="maria@example.org", confirmed=False)
    response = client.get(f"/p/{petition.slug}/badge.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert "<script" not in body and "ana@example.org" not in body and "Rivera" not in body
    root = ET.fromstring(body)  # valid XML, or this raises
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == [title, "2 of 4 signatures"]
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "6"]
    assert [b.get("width") for b in bars] == ["296", "148"]  # half way to the goal
    assert root.find(f"{SVG}title").text.startswith(title)


def test_the_badge_is_cacheable_and_in_spanish_at_its_language_url(app, make_petition):
    app.config["PUBLIC_CACHE_SECONDS"] = 5
    petition = make_petition(title="x" * 120, goal=1000)
    client = app.test_client()
    response = client.get(f"/p/{petition.slug}/badge.svg", headers={"Accept-Language": "es"})
    assert response.status_code == 200  # the unprefixed badge is English, never a redirect
    assert "Set-Cookie" not in response.headers
    assert re.fullmatch(r"public, max-age=\d+, s-maxage=\d+", response.headers["Cache-Control"])
    texts = [t.text for t in ET.fromstring(response.get_data()).iter(f"{SVG}text")]
    assert texts[0] == "x" * 47 + "…" and texts[1] == "0 of 1,000 signatures"
    spanish = client.get(f"/es/p/{petition.slug}/badge.svg")
    texts = [t.text for t in ET.fromstring(spanish.get_data()).iter(f"{SVG}text")]
    assert texts[1] == "0 de 1000 firmas" or texts[1].startswith("0 de 1")
    assert client.get("/p/no-such-petition/badge.svg").status_code == 404


# --- the dashboard's snippets ---------------------------------------------------------


def test_the_dashboard_shows_the_snippets_with_absolute_urls(client, organizer, make_petition):
    petition = make_petition(slug="snip", title='Seats "for" <all>', created_by_id=organizer.id)
    html = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    assert "&lt;iframe src=&#34;http://localhost/p/snip/embed&#34;" in html
    assert "&lt;img src=&#34;http://localhost/p/snip/badge.svg&#34;" in html
    assert "&lt;a href=&#34;http://localhost/p/snip&#34;&gt;" in html
    assert "petitions:resize" in html
    assert "<script>" not in html  # the resize snippet is shown, not run
    assert 'href="/p/snip/embed"' in html and 'href="/p/snip/badge.svg"' in html
    draft = make_petition(slug="draft-snip", status="draft", created_by_id=organizer.id)
    html = client.get(f"/manage/p/{draft.slug}").get_data(as_text=True)
    assert "iframe" not in html.lower() or "/embed" not in html
