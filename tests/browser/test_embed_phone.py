"""Another site frames the petition's embed on a phone (Debian's Chromium at 360 px):
the visitor signs inside the frame, sees the thank-you there, and the count goes up.

The host page is served by a tiny http.server at http://localhost:<port>, the app at
http://127.0.0.1:<port>: two sites, not only two origins, as a partner's WordPress page
and the petition would be. Inside the frame the form posts from the embed's own document
to its own origin, so the browser says Sec-Fetch-Site: same-origin and the forgery rule
(core/origin.py) lets it through; the host page itself never posts anything.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Signature

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parents for Integrated Schools</title></head>
<body style="margin:0">
<h1>Our campaign</h1>
<iframe src="{src}" title="Sign the petition" width="100%" height="300" style="border:0"></iframe>
<script>
window.resizes = [];
window.addEventListener("message", function (e) {{
  if (e.origin !== "{origin}" || !e.data || e.data.type !== "petitions:resize") return;
  window.resizes.push(e.data.height);
  document.querySelector("iframe").style.height = e.data.height + "px";
}});
</script>
</body></html>
"""


@pytest.fixture
def host_site(live_server):
    """Another website, on another port and host name, whose page frames the embed."""
    origin = live_server  # http://127.0.0.1:<port>
    body = HOST_PAGE.format(src=f"{origin}/p/demo/embed", origin=origin).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _counted() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Signature.id)).where(Signature.counted))


def _watch(page) -> list[str]:
    """Console errors (CSP violations and framing refusals included), script errors and
    failed requests, of the host page and its frame."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    return problems


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_sign_inside_another_sites_frame_on_a_phone(
    app, live_server, host_site, browser_factory, make_petition, make_signature, javascript
):
    app.config["COUNT_CACHE_SECONDS"] = 0
    petition = make_petition(slug="demo", title="More magnet school seats", goal=10)
    make_signature(petition)
    before = _counted()
    context = browser_factory().new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    problems = _watch(page)
    page.goto(host_site)
    frame = page.frame_locator("iframe")
    assert frame.locator(".count").inner_text() == "1 of 10 signatures"
    frame.locator("#given_name").fill("Ana")
    frame.locator("#family_name").fill("Díaz")
    frame.locator("#email").fill("ana.diaz@example.org")
    frame.locator("#postal_code").fill("06106")
    button = frame.get_by_role("button", name="Sign the petition")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    button.tap()
    # The thank-you, inside the frame; the host page stays where it was.
    expect(frame.locator("h1")).to_have_text("Thank you, Ana!")
    assert page.url == host_site
    embedded = page.frames[1]
    assert embedded.url.startswith(
        f"{live_server}/p/demo/embed/thanks/"
    ) or embedded.url.startswith(f"{live_server}/en/p/demo/embed/thanks/")
    share = frame.get_by_role("link", name="WhatsApp")
    assert share.get_attribute("target") == "_blank"
    assert _counted() == before + 1
    assert [s.given_name for s in db.session.scalars(select(Signature).order_by(Signature.id))] == [
        "Ana",
        "Ana",
    ]
    # Nothing wider than the phone, inside the frame either.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if javascript:
        # The frame told the host its height, and the host's few lines followed it.
        page.wait_for_function(
            "window.resizes.length > 0 && Math.abs(window.resizes[window.resizes.length - 1]"
            " - document.querySelector('iframe').getBoundingClientRect().height) < 1"
        )
        # The thank-you is taller than the 300 px the host's iframe asked for.
        assert page.locator("iframe").bounding_box()["height"] > 300
    assert problems == []
    # The app set no cookie: a frame on another site would not get it back anyway.
    assert context.cookies() == []
    context.close()
