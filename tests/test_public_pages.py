"""The public petition page, its weight, its JSON, and its Spanish."""

import gzip
import io
import re
import uuid
from datetime import datetime, timedelta

import pytest
from PIL import Image

from petitions import create_app
from petitions.core.extensions import db
from petitions.petition import counting
from tests.test_signing_flow import GOOD, sign_post


@pytest.fixture(autouse=True)
def _exact_counts(app):
    app.config["COUNT_CACHE_SECONDS"] = 0


def test_petition_page_shows_the_petition_and_an_accessible_form(client, make_petition):
    petition = make_petition(
        title="More magnet seats",
        summary="Seats for every child on the waitlist.",
        body="<p>First paragraph.</p><p>Second <strong>paragraph</strong>.</p>",
        addressed_to="Connecticut State Board of Education",
        sponsors="Hartford Parents United\nGreater Hartford Families for Schools",
        goal=500,
        deadline=datetime.now() + timedelta(days=10),
    )
    r = client.get(f"/p/{petition.slug}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<h1>More magnet seats</h1>" in html
    assert "<p>Second <strong>paragraph</strong>.</p>" in html
    assert "Connecticut State Board of Education" in html
    assert "Hartford Parents United" in html and "Greater Hartford Families for Schools" in html
    assert '<progress max="500" value="0"' in html and "0 of 500 signatures" in html
    assert '<meta name="description" content="Seats for every child on the waitlist.">' in html
    assert '<meta property="og:title" content="More magnet seats">' in html
    assert f'<meta property="og:url" content="http://localhost/p/{petition.slug}">' in html
    # Real labels tied to each input; phone keyboards and autofill hints.
    for name, autocomplete in [
        ("given_name", "given-name"),
        ("family_name", "family-name"),
        ("email", "email"),
        ("postal_code", "postal-code"),
        ("town", "address-level2"),
    ]:
        assert f'<label for="{name}">' in html
        assert re.search(rf'<input[^>]*autocomplete="{autocomplete}"[^>]*name="{name}"', html)
    assert 'inputmode="numeric"' in html and 'type="email"' in html
    for value in ("parent", "student", "educator", "community", "other"):
        assert f'value="{value}"' in html
    assert 'name="show_name" type="checkbox"' in html and 'name="opt_in" type="checkbox"' in html
    assert 'class="hp"' in html and 'name="website"' in html and 'tabindex="-1"' in html
    # No inline script or style anywhere (strict CSP), and no script at all on this page.
    assert "<script" not in html and "style=" not in html and " on" + "click" not in html
    # Shared: the same page for every anonymous visitor, which caches may keep.
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    assert "csrf_token" not in html and "Set-Cookie" not in r.headers


def test_progress_counts_confirmed_unhidden_signatures(client, make_petition):
    petition = make_petition(goal=2)
    for name in ("Ana", "Luis", "Sofía"):
        sign_post(client, petition, given_name=name)
    html = client.get(f"/p/{petition.slug}").get_data(as_text=True)
    assert "3 of 2 signatures" in html and '<progress max="2" value="2"' in html
    from petitions.models import Signature

    db.session.rollback()
    db.session.scalars(db.select(Signature)).first().hidden = True
    db.session.commit()
    assert "2 of 2 signatures" in client.get(f"/p/{petition.slug}").get_data(as_text=True)


def test_page_body_is_sanitized_again_on_the_way_out(client, make_petition):
    petition = make_petition(body='<p onclick="x()">Hi</p><script>alert(1)</script><img src=x>')
    html = client.get(f"/p/{petition.slug}").get_data(as_text=True)
    assert "<p>Hi</p>" in html and "alert(1)" not in html and "<img" not in html


def test_sign_page_weighs_under_30_kb_and_blocks_on_no_script(client, make_petition):
    petition = make_petition(
        body="<p>" + "A fair share of seats for Hartford children. " * 40 + "</p>",
        ask_waitlist=True,
        waitlist_label="Your child's magnet school waitlist number",
        sponsors="\n".join(f"Coalition partner {i}" for i in range(8)),
    )
    html = client.get(f"/p/{petition.slug}").data
    stylesheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(stylesheets) == 1 and stylesheets[0].startswith(b"/static/css/app.css?v=")
    css = b"".join(client.get(href.decode()).data for href in stylesheets)
    total = len(html) + len(css)
    assert total < 30 * 1024, f"sign page weighs {total} bytes"
    assert b"<script" not in html
    assert len(gzip.compress(html + css)) < 10 * 1024  # what actually crosses a slow link


def test_preview_renders_a_draft_with_a_disabled_form(client, organizer, make_petition):
    """The organizer's preview is the public page itself, its form shown but disabled."""
    make_petition(slug="draft", status="draft", title="Draft title")
    page = client.get("/manage/p/draft/preview").get_data(as_text=True)
    assert "Preview" in page and "Draft title" in page
    assert "<fieldset disabled>" in page and 'name="given_name"' in page
    assert 'content="noindex"' in page
    assert client.get("/p/draft").status_code == 404  # and the public still sees nothing


def test_public_json(client, make_petition):
    petition = make_petition(goal=250, title="Seats now", deadline=datetime(2031, 5, 1, 18, 30))
    sign_post(client, petition, town="hartford")
    sign_post(client, petition, given_name="Luis", town="Hartford")
    sign_post(client, petition, given_name="Sofía", town="West Hartford", comment="secret story")
    sign_post(client, petition, given_name="Mateo", town="")
    r = client.get(f"/p/{petition.slug}.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    data = r.get_json()
    assert data["slug"] == petition.slug and data["title"] == "Seats now"
    assert data["status"] == "published" and data["goal"] == 250
    assert data["deadline"] == "2031-05-01T18:30:00Z"
    assert data["signature_count"] == 4
    assert data["counts_by_town"] == [
        {"town": "Hartford", "count": 2},
        {"town": "West Hartford", "count": 1},
    ]
    body = r.get_data(as_text=True)
    for personal in ("@", "example.org", "Díaz", "Ana", "Luis", "06106", "secret story"):
        assert personal not in body
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    etag = r.headers["ETag"]
    assert (
        client.get(f"/p/{petition.slug}.json", headers={"If-None-Match": etag}).status_code == 304
    )


def test_public_json_for_closed_and_unknown(client, make_petition):
    closed = make_petition(deadline=datetime(2021, 5, 1))
    assert client.get(f"/p/{closed.slug}.json").get_json()["status"] == "closed"
    r = client.get("/p/nothing-here.json")
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert "error" in r.get_json()


def test_count_is_cached_briefly_then_exact(app, client, make_petition):
    app.config["COUNT_CACHE_SECONDS"] = 3600  # a long window, so the test does not race
    petition = make_petition()
    assert client.get(f"/p/{petition.slug}.json").get_json()["signature_count"] == 0
    sign_post(client, petition)
    # Within the window the cached value is served: no per-signature counter work.
    assert client.get(f"/p/{petition.slug}.json").get_json()["signature_count"] == 0
    app.config["COUNT_CACHE_SECONDS"] = 0
    assert client.get(f"/p/{petition.slug}.json").get_json()["signature_count"] == 1


def test_count_cache_in_redis_is_shared(app, make_petition, redis_url):
    """With REDIS_URL, every app host reads the same cached count (Flask-Caching's
    RedisCache), and forgetting it on one host refreshes it on all."""
    import redis

    prefix = f"test-{uuid.uuid4().hex}:"
    shared = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")
    }
    shared.update(
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
        COUNT_CACHE_SECONDS=3600,
        PUBLIC_CACHE_SECONDS=0,
    )
    one, two = create_app(shared), create_app(shared)
    petition = make_petition()
    db.session.commit()
    url = f"/p/{petition.slug}.json"
    assert one.test_client().get(url).get_json()["signature_count"] == 0  # cached, for an hour
    sign_post(one.test_client(), petition)
    assert two.test_client().get(url).get_json()["signature_count"] == 0  # the shared value
    with one.app_context():
        counting.forget(petition)
    assert two.test_client().get(url).get_json()["signature_count"] == 1
    assert redis.Redis.from_url(redis_url).exists(f"{prefix}count:{petition.id}")
    for host in (one, two):
        with host.app_context():
            db.engine.dispose()


# --- Spanish ---------------------------------------------------------------------------

ES = {"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}


def test_spanish_from_accept_language_and_the_language_urls(app, client, make_petition):
    petition = make_petition()
    url = f"/p/{petition.slug}"

    def get(url):
        return client.get(url, headers=ES, follow_redirects=True).get_data(as_text=True)

    html = get(url)  # the printed URL, on a Spanish phone: the Spanish page
    assert '<html lang="es">' in html
    assert "Firmar la petición" in html and "Nombre" in html and "Código postal" in html
    assert "Madre, padre o tutor" in html and f'href="/en{url}"' in html
    # The switch to English is a URL of its own, which a Spanish phone can keep reading.
    html = get(f"/en{url}")
    assert '<html lang="en">' in html and "Sign the petition" in html
    assert f'href="/es{url}"' in html
    assert "Firmar la petición" in get(f"{url}?lang=es")


def test_spanish_errors_thanks_and_mail(client, make_petition, smtp_server):
    petition = make_petition(require_confirmation=True, title="Más asientos")
    r = sign_post(client, petition, headers=ES, postal_code="123", email="x")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Escriba un código postal de 5 dígitos" in html
    assert "Revise su correo electrónico" in html

    r = sign_post(client, petition, headers=ES)
    page = client.get(r.headers["Location"], headers=ES).get_data(as_text=True)
    assert "Revise su correo" in page and "Enviarlo de nuevo" in page
    [mail] = smtp_server
    assert "Confirme su firma" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "Hola, Ana" in text and "Para retirar su firma" in text
    confirm = re.search(r"http://localhost(/s/\w+/confirm)", text).group(1)
    got = client.get(confirm, headers=ES).get_data(as_text=True)
    assert "Confirmar mi firma" in got

    missing = client.get("/p/nada", headers=ES)
    assert missing.status_code == 404 and "No encontramos esa página" in missing.get_data(
        as_text=True
    )


def test_spanish_thank_you_page(client, make_petition):
    petition = make_petition()
    r = sign_post(client, petition, headers=ES)
    html = client.get(r.headers["Location"], headers=ES).get_data(as_text=True)
    assert "¡Gracias, Ana!" in html and "Copiar enlace" in html
    assert "Mensaje de texto" in html
    assert GOOD["email"] not in html


def test_favicon(client, make_petition):
    """Every page names an icon that exists, and /favicon.ico answers (cacheable) for the
    browsers and tools that ask for it anyway: no 404 in the console."""
    petition = make_petition()
    for url in ("/", f"/p/{petition.slug}", "/auth/login"):
        html = client.get(url).get_data(as_text=True)
        icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
        assert icons[0] == "/favicon.ico" and icons[1].startswith("/static/favicon.svg?v="), url
        assert len(icons) == 2 and client.get(icons[1]).status_code == 200
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert ico.headers["Cache-Control"].startswith("public, max-age=")
    assert Image.open(io.BytesIO(ico.data)).format == "ICO"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<script" not in svg.data
