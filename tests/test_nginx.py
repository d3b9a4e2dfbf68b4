"""The production front (deploy/nginx/petitions.conf), run for real by Debian's nginx in
front of the app: it passes `nginx -t`, serves shared pages from its micro-cache, passes
POSTs and private pages through, and serves static files itself."""

import http.client
import os
import time
import urllib.parse

import pytest

from petitions.core.extensions import db
from petitions.models import Signature
from tests.nginx_front import ROOT, nginx_front, nginx_path
from tests.test_signing_flow import GOOD


@pytest.fixture
def front(app, live_server, make_petition, tmp_path):
    if nginx_path() is None:
        if os.environ.get("REQUIRE_NGINX") == "1":
            pytest.fail("REQUIRE_NGINX=1 but nginx is not installed")
        pytest.skip("nginx not installed (Debian package nginx)")
    app.config["PUBLIC_CACHE_SECONDS"] = 5  # as in production (the suite turns it off)
    make_petition(slug="front", title="Seats for all")
    address = live_server.removeprefix("http://")
    with nginx_front(tmp_path / "nginx", address) as url:
        yield urllib.parse.urlsplit(url).port


def fetch(port, path, method="GET", headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_shared_pages_come_from_the_micro_cache(front):
    status, first, body = fetch(front, "/p/front")
    assert status == 200 and first["X-Cache"] in ("MISS", "EXPIRED")
    status, second, again = fetch(front, "/p/front")
    assert status == 200 and second["X-Cache"] == "HIT" and again == body
    assert "Set-Cookie" not in second and second["Cache-Control"].startswith("public")
    status, _, data = fetch(front, "/p/front.json")
    assert status == 200 and b'"slug":"front"' in data.replace(b" ", b"")
    assert fetch(front, "/p/front.json")[1]["X-Cache"] == "HIT"


def test_each_language_is_cached_apart(front):
    spanish = {"Accept-Language": "es-MX,es;q=0.9"}
    status, headers, _ = fetch(front, "/p/front", headers=spanish)
    assert status == 302 and headers["Location"].endswith("/es/p/front")
    status, headers, body = fetch(front, "/p/front", headers={"Accept-Language": "en-US"})
    assert status == 200 and b'<html lang="en">' in body
    status, _, body = fetch(front, "/es/p/front", headers=spanish)
    assert status == 200 and b'<html lang="es">' in body


def test_posts_and_sessions_pass_through(app, front):
    form = urllib.parse.urlencode(GOOD)
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = fetch(front, "/p/front/sign", "POST", form_type, form)
    assert status == 302 and "X-Cache" not in headers or headers["X-Cache"] != "HIT"
    db.session.rollback()
    assert db.session.scalars(db.select(Signature.email)).all() == [GOOD["email"]]
    # A cross-site POST gets through nginx to the app, which refuses it.
    cross = {**form_type, "Sec-Fetch-Site": "cross-site"}
    assert fetch(front, "/p/front/sign", "POST", cross, form)[0] == 403
    # Someone with a session gets the app's private page, never a cached one.
    fetch(front, "/p/front")
    status, headers, _ = fetch(front, "/p/front", headers={"Cookie": "session=abc"})
    assert headers["X-Cache"] == "BYPASS" and headers["Cache-Control"] == "private, no-store"
    for _ in range(2):
        status, headers, _ = fetch(front, "/auth/login")
        assert status == 200 and headers.get("X-Cache") != "HIT"


def test_a_new_signature_shows_once_the_cached_page_expires(app, front):
    # nginx keeps cached pages' files open (open_file_cache): a renewed page must still
    # replace the old one as soon as it has expired.
    app.config["PUBLIC_CACHE_SECONDS"] = 1
    fetch(front, "/p/front")
    _, headers, before = fetch(front, "/p/front")
    assert headers["X-Cache"] == "HIT"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    form = urllib.parse.urlencode({**GOOD, "show_name": "y"})
    assert fetch(front, "/p/front/sign", "POST", form_type, form)[0] == 302
    deadline = time.monotonic() + 5
    while (body := fetch(front, "/p/front")[2]) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert b"Ana" not in before and b"Ana" in body  # the new supporter is listed


def test_static_files_are_served_by_nginx_for_a_year_when_fingerprinted(front):
    css = (ROOT / "static/css/app.css").read_bytes()
    status, headers, body = fetch(front, "/static/css/app.css?v=0123456789ab")
    assert status == 200 and body == css
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-Cache" not in headers  # not from the app
    status, headers, _ = fetch(front, "/static/css/app.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
