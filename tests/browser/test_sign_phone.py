"""A phone (Debian's Chromium at 360×740) signs a petition, in English and in Spanish."""

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Signature


def test_sign_on_a_phone_in_english_and_spanish(app, live_server, browser_factory, make_petition):
    petition = make_petition(
        title="More magnet school seats",
        ask_waitlist=True,
        waitlist_label="Your child's magnet school waitlist number",
    )
    url = f"{live_server}/p/{petition.slug}"
    browser = browser_factory()

    runs = [
        ("en-US", "Ana", "Sign the petition", "Thank you, Ana!", "Copy link"),
        ("es-US", "Lucía", "Firmar la petición", "¡Gracias, Lucía!", "Copiar enlace"),
    ]
    for locale, name, button, thanks, copy in runs:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale=locale
        )
        page = context.new_page()
        problems = []
        page.on(
            "console",
            lambda m, p=problems: (
                p.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text  # see "response"
                else None
            ),
        )
        page.on("pageerror", lambda e, p=problems: p.append(str(e)))
        page.on(
            "response",
            lambda r, p=problems: p.append(r.url) if r.status >= 400 else None,  # favicon too
        )
        page.goto(url)
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_label("Your child's magnet school waitlist number").fill("412")
        page.fill("#given_name", name)
        page.fill("#family_name", "Rivera")
        page.fill("#email", f"{name.lower()}@example.org")
        page.fill("#postal_code", "06106")
        page.fill("#town", "Hartford")
        page.select_option("#role", "parent")
        page.check("#show_name")
        submit = page.get_by_role("button", name=button)
        box = submit.bounding_box()
        assert box["height"] >= 44 and box["width"] <= 360
        with page.expect_navigation():
            submit.tap()
        assert "/thanks/" in page.url
        assert page.locator("h1").inner_text() == thanks
        assert page.locator("#copy-link").inner_text() == copy  # shown by share.js
        assert page.locator(".qr svg").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert problems == []  # no CSP violations, no script errors
        context.close()

    db.session.rollback()
    signed = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [(s.given_name, s.waitlist_number, s.show_name) for s in signed] == [
        ("Ana", 412, True),
        ("Lucía", 412, True),
    ]


def test_sign_from_a_cached_page_with_javascript_off(
    app, live_server, browser_factory, make_petition
):
    """The page a shared cache keeps carries no cookie and no token: a phone with
    JavaScript off signs from it, in English and in Spanish (each at its own URL, the
    Spanish phone sent there from the printed one)."""
    app.config["PUBLIC_CACHE_SECONDS"] = 5  # as in production (the suite turns it off)
    petition = make_petition(title="More magnet school seats")
    browser = browser_factory()
    runs = [
        ("en-US", "Ana", f"/p/{petition.slug}", "Sign the petition", "Thank you, Ana!"),
        ("es-US", "Lucía", f"/es/p/{petition.slug}", "Firmar la petición", "¡Gracias, Lucía!"),
    ]
    for locale, name, landed, button, thanks in runs:
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale=locale,
            java_script_enabled=False,
        )
        page = context.new_page()
        response = page.goto(f"{live_server}/p/{petition.slug}")
        assert page.url == f"{live_server}{landed}"
        assert response.headers["cache-control"].startswith("public")
        assert "set-cookie" not in response.headers
        assert context.cookies() == []
        # The same bytes again, from the cache, for this phone too.
        assert page.goto(page.url).headers.get("etag") == response.headers.get("etag")
        page.fill("#given_name", name)
        page.fill("#family_name", "Rivera")
        page.fill("#email", f"{name.lower()}@example.org")
        page.fill("#postal_code", "06106")
        with page.expect_navigation():
            page.get_by_role("button", name=button).tap()
        assert "/thanks/" in page.url
        assert page.locator("h1").inner_text() == thanks
        context.close()
    db.session.rollback()
    assert set(db.session.scalars(select(Signature.given_name))) == {"Ana", "Lucía"}
