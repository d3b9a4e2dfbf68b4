"""Organizer side of petitions: create, edit, validate, preview, publish/close/reopen, access."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Petition, PetitionStatus
from petitions.models.base import utcnow
from petitions.petition.lifecycle import slugify


def form_data(csrf_token, **overrides):
    data = {
        "csrf_token": csrf_token,
        "title": "Fund more magnet school seats",
        "slug": "",
        "summary": "Seats for every child on the waitlist.",
        "body": "We ask for more seats.\n\nEvery child deserves one.",
        "addressed_to": "State Board of Education",
        "goal": "5000",
        "deadline_date": "",
        "deadline_time": "",
        "sponsors": "Parents for Integrated Schools\n\n  Hartford Teachers  \n",
        "waitlist_label": "",
        "waitlist_min": "",
        "waitlist_max": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def petition_by_slug(slug):
    db.session.expire_all()
    return db.session.scalar(select(Petition).where(Petition.slug == slug))


@pytest.fixture
def create(client, csrf):
    def do(**overrides):
        return client.post("/manage/p/new", data=form_data(csrf("/manage/p/new"), **overrides))

    return do


# --- access -------------------------------------------------------------------------


def petition_routes(slug):
    get = [
        "/manage/p/new",
        f"/manage/p/{slug}",
        f"/manage/p/{slug}/edit",
        f"/manage/p/{slug}/preview",
        f"/manage/p/{slug}/signatures.csv",
    ]
    post = [
        "/manage/p/new",
        f"/manage/p/{slug}/edit",
        f"/manage/p/{slug}/publish",
        f"/manage/p/{slug}/close",
        f"/manage/p/{slug}/reopen",
        f"/manage/p/{slug}/signatures/1/hide",
        f"/manage/p/{slug}/signatures/1/restore",
        f"/manage/p/{slug}/signatures/1/reviewed",
    ]
    return get, post


def test_anonymous_visitors_are_sent_to_login(client, make_petition):
    p = make_petition()
    get, post = petition_routes(p.slug)
    for url in get:
        r = client.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"], url
    # Without a session there is no CSRF token to send; the token check answers first.
    for url in post:
        assert client.post(url).status_code in (302, 400), url


def test_volunteers_get_403_on_every_petition_route(client, make_user, login, csrf, make_petition):
    p = make_petition()
    login(make_user("volunteer"))
    token = csrf("/manage/")
    get, post = petition_routes(p.slug)
    for url in get:
        assert client.get(url).status_code == 403, url
    for url in post:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    # The index still works for them (check-in lives there), without the petitions' pages:
    # only each open petition's canvassing kiosk.
    r = client.get("/manage/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'href="/manage/p/{p.slug}"' not in html
    assert f'href="/manage/p/{p.slug}/kiosk"' in html
    assert petition_by_slug(p.slug).status == PetitionStatus.PUBLISHED


def test_admins_manage_petitions_too(client, make_user, login, create):
    login(make_user("admin"))
    assert create(title="Admin petition").status_code == 302
    assert petition_by_slug("admin-petition") is not None


def test_unknown_slug_is_404(client, organizer, csrf):
    token = csrf("/manage/")
    for url in ("/manage/p/nope", "/manage/p/nope/edit", "/manage/p/nope/preview",
                "/manage/p/nope/signatures.csv", "/manage/p/%00", "/manage/p/%E2%80%AE%0A/edit",
                "/manage/p/" + "x" * 300, "/manage/p/caf%C3%A9"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    for url in ("/manage/p/nope/publish", "/manage/p/nope/close", "/manage/p/nope/reopen",
                "/manage/p/nope/signatures/1/hide", "/manage/p/nope/edit"):  # fmt: skip
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_every_post_without_csrf_is_400(client, organizer, make_petition):
    p = make_petition()
    _, post = petition_routes(p.slug)
    for url in post:
        r = client.post(url, data={"title": "x", "goal": "1"})
        assert r.status_code == 400, url
        assert "did not come from this site" in r.get_data(as_text=True)
    assert petition_by_slug(p.slug).status == PetitionStatus.PUBLISHED
    assert petition_by_slug("x") is None


# --- create -------------------------------------------------------------------------


def test_index_lists_petitions_with_new_button(client, organizer, make_petition):
    make_petition(title="Seats & <buses>", slug="seats", goal=250)
    html = client.get("/manage/").get_data(as_text=True)
    assert 'href="/manage/p/new"' in html
    assert "Seats &amp; &lt;buses&gt;" in html and "<buses>" not in html
    assert 'href="/manage/p/seats"' in html and 'href="/manage/p/seats/edit"' in html
    assert "published" in html and "of 250" in html


def test_create_draft_with_slug_from_title(client, organizer, create):
    r = create(title="¡Fund Magnet Seats — Now!", deadline_date="2099-06-30", deadline_time="17:00")
    assert r.status_code == 302 and r.headers["Location"] == "/manage/p/fund-magnet-seats-now"
    p = petition_by_slug("fund-magnet-seats-now")
    assert p.status == PetitionStatus.DRAFT and p.published_at is None
    assert p.title == "¡Fund Magnet Seats — Now!"
    assert p.goal == 5000
    assert p.body == "<p>We ask for more seats.</p><p>Every child deserves one.</p>"
    assert p.sponsor_list == ["Parents for Integrated Schools", "Hartford Teachers"]
    # 5 pm in Hartford on June 30 (EDT, UTC-4) is 21:00 UTC, stored naive.
    assert p.deadline == datetime(2099, 6, 30, 21, 0)
    assert p.created_by_id == organizer.id
    # The same title again gets the next free address.
    create(title="¡Fund Magnet Seats — Now!")
    assert petition_by_slug("fund-magnet-seats-now-2") is not None


def test_winter_deadline_and_default_time(client, organizer, create):
    create(slug="winter", deadline_date="2099-01-15")
    # No time given: 11:59 pm EST (UTC-5) is 04:59 UTC the next day.
    assert petition_by_slug("winter").deadline == datetime(2099, 1, 16, 4, 59)


@pytest.mark.parametrize(
    "day, at, problem",
    [("2099-03-08", "02:30", "does not exist"), ("2099-11-01", "01:30", "happens twice")],
)
def test_deadline_at_a_clock_change_is_refused(client, organizer, create, day, at, problem):
    # 2:30 am is skipped on the spring-forward night, 1:30 am happens twice on the fall-back one.
    r = create(slug="clock", deadline_date=day, deadline_time=at)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert f"{day} {at} {problem} in America/New_York" in html
    assert "Please choose another time." in html
    assert petition_by_slug("clock") is None
    # An hour later the time is unambiguous and taken.
    r = create(slug="clock", deadline_date=day, deadline_time="03:30")
    assert r.status_code == 302 and petition_by_slug("clock").deadline is not None


def test_all_fields_are_stored(client, organizer, create):
    create(
        slug="wl",
        summary="Short.",
        ask_waitlist="y",
        waitlist_label="Your child's magnet school waitlist number",
        waitlist_min="1",
        waitlist_max="99999",
        require_confirmation="y",
    )
    p = petition_by_slug("wl")
    assert p.ask_waitlist and p.require_confirmation
    assert (p.waitlist_label, p.waitlist_min, p.waitlist_max) == (
        "Your child's magnet school waitlist number",
        1,
        99999,
    )
    assert p.summary == "Short." and p.addressed_to == "State Board of Education"


def test_markup_in_body_is_sanitized(client, organizer, create):
    body = (
        '<p onclick="steal()">Hello <strong>all</strong></p>'
        "<script>alert(1)</script>"
        '<a href="https://example.org/more" onmouseover="x()">more</a> '
        '<a href="javascript:alert(1)">bad</a>'
        '<img src="x" onerror="alert(2)"><iframe src="https://evil.example"></iframe>'
    )
    create(slug="clean", body=body)
    stored = petition_by_slug("clean").body
    assert "<script" not in stored and "alert(1)" not in stored
    assert "onclick" not in stored and "onmouseover" not in stored and "onerror" not in stored
    assert "<img" not in stored and "<iframe" not in stored
    assert 'href="https://example.org/more"' in stored
    assert "javascript:" not in stored and ">bad</a>" in stored
    assert "<strong>all</strong>" in stored


def test_plain_text_with_markup_characters_stays_text(client, organizer, csrf, create):
    text = "Seats < demand & kids > 2,000\nline two\n\nSecond paragraph"
    create(slug="plain", body=text)
    stored = petition_by_slug("plain").body
    assert (
        stored
        == "<p>Seats &lt; demand &amp; kids &gt; 2,000<br>line two</p><p>Second paragraph</p>"
    )
    html = client.get("/manage/p/plain/preview").get_data(as_text=True)
    assert "Seats &lt; demand &amp; kids" in html and "Second paragraph" in html
    # The edit form gives the text back as it was typed, and saving it changes nothing.
    edit = client.get("/manage/p/plain/edit").get_data(as_text=True)
    assert (
        "Seats &lt; demand &amp; kids &gt; 2,000\nline two\n\nSecond paragraph</textarea>" in edit
    )
    token = csrf("/manage/p/plain/edit")
    client.post("/manage/p/plain/edit", data=form_data(token, slug="plain", body=text))
    assert petition_by_slug("plain").body == stored


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"title": ""}, "Give the petition a title."),
        ({"goal": "0"}, "The goal must be a whole number"),
        ({"goal": "-5"}, "The goal must be a whole number"),
        ({"goal": "lots"}, "Not a valid integer value"),
        ({"goal": "99999999999"}, "The goal must be a whole number"),
        ({"goal": ""}, "Give a goal"),
        ({"slug": "Has Spaces"}, "lower-case letters"),
        ({"slug": "émigré"}, "lower-case letters"),
        ({"slug": "a--b"}, "lower-case letters"),
        ({"slug": "-lead"}, "lower-case letters"),
        ({"slug": "new"}, "reserved"),
        ({"slug": "x" * 81}, "Field cannot be longer than 80 characters"),
        ({"summary": "s" * 301}, "Field cannot be longer than 300 characters"),
        ({"deadline_date": "2020-01-01"}, "The deadline must be in the future."),
        ({"deadline_date": "2099-13-45"}, "Not a valid date value"),
        ({"deadline_date": "tomorrow"}, "Not a valid date value"),
        ({"deadline_time": "25:99", "deadline_date": "2099-01-01"}, "Not a valid time value"),
        ({"deadline_time": "10:00"}, "Give a date for the deadline too."),
        ({"waitlist_min": "10", "waitlist_max": "5"}, "must not be larger than the largest"),
        ({"waitlist_min": "-1"}, "Number must be between"),
        ({"waitlist_max": "abc"}, "Not a valid integer value"),
    ],
)
def test_invalid_input_is_refused_with_a_message(
    client, organizer, create, overrides, field_message
):
    before = db.session.scalar(select(db.func.count(Petition.id)))
    r = create(**overrides)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert field_message in html
    assert "Please fix the marked fields below." in html
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(Petition.id))) == before


def test_duplicate_slug_is_refused(client, organizer, create, make_petition):
    make_petition(slug="taken")
    r = create(slug="taken")
    assert r.status_code == 400
    assert "Another petition already uses this address." in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Petition.id))) == 1


def test_odd_input_never_500(client, organizer, create):
    for overrides in (
        {"title": "\u202eevil\u0000 title 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 " + "字" * 150},
        {"title": "x" * 5000},
        {"body": "<" * 60_000},
        {"sponsors": "\x00\x01\n" * 100},
        {"body": "Nul\x00 byte <b>\x00</b>", "summary": "\x00", "waitlist_label": "\x00x"},
        {"goal": "1e9"},
        {"goal": "١٢"},  # Arabic-Indic digits
    ):
        r = create(**overrides)
        assert r.status_code in (400, 302), overrides


def test_names_in_any_script_are_kept(client, organizer, create):
    create(slug="scripts", title="Escuelas para todos · 给每个孩子 · كل طفل")
    assert petition_by_slug("scripts").title == "Escuelas para todos · 给每个孩子 · كل طفل"


# --- edit -----------------------------------------------------------------------------


def test_edit_form_is_prefilled_in_local_time(client, organizer, make_petition):
    make_petition(slug="pre", status=PetitionStatus.DRAFT, deadline=datetime(2099, 6, 30, 21, 0))
    html = client.get("/manage/p/pre/edit").get_data(as_text=True)
    assert 'value="2099-06-30"' in html and 'value="17:00"' in html
    assert "We ask for more seats." in html


def test_edit_draft_can_change_slug(client, organizer, csrf, make_petition):
    make_petition(slug="old", status=PetitionStatus.DRAFT)
    token = csrf("/manage/p/old/edit")
    r = client.post("/manage/p/old/edit", data=form_data(token, slug="new-address", goal="300"))
    assert r.status_code == 302 and r.headers["Location"] == "/manage/p/new-address"
    p = petition_by_slug("new-address")
    assert p.goal == 300 and petition_by_slug("old") is None


def test_published_slug_cannot_change(client, organizer, csrf, make_petition):
    make_petition(slug="printed", published_at=utcnow())
    html = client.get("/manage/p/printed/edit").get_data(as_text=True)
    assert "readonly" in html
    token = csrf("/manage/p/printed/edit")
    r = client.post("/manage/p/printed/edit", data=form_data(token, slug="renamed", title="T2"))
    assert r.status_code == 400
    assert "address can no longer change" in r.get_data(as_text=True)
    p = petition_by_slug("printed")
    assert p is not None and p.title == "Fund more magnet school seats"
    # Other edits go through (the same slug, or none sent, is fine).
    r = client.post("/manage/p/printed/edit", data=form_data(token, slug="printed", title="T2"))
    assert r.status_code == 302 and petition_by_slug("printed").title == "T2"


def test_edit_keeps_a_past_deadline_but_refuses_a_new_one(client, organizer, csrf, make_petition):
    past = utcnow() - timedelta(days=3)
    make_petition(slug="late", deadline=past.replace(second=0, microsecond=0))
    token = csrf("/manage/p/late/edit")
    html = client.get("/manage/p/late/edit").get_data(as_text=True)
    import re

    date_value = re.search(r'name="deadline_date" type="date" value="([^"]+)"', html).group(1)
    time_value = re.search(r'name="deadline_time" type="time" value="([^"]+)"', html).group(1)
    r = client.post(
        "/manage/p/late/edit",
        data=form_data(
            token, title="Typo fixed", deadline_date=date_value, deadline_time=time_value
        ),
    )
    assert r.status_code == 302 and petition_by_slug("late").title == "Typo fixed"
    r = client.post("/manage/p/late/edit", data=form_data(token, deadline_date="2001-01-01"))
    assert "The deadline must be in the future." in r.get_data(as_text=True)


# --- preview, publish, close, reopen ---------------------------------------------------


def test_preview_shows_title_and_sanitized_body(client, organizer, make_petition):
    make_petition(
        slug="draft",
        status=PetitionStatus.DRAFT,
        title="Buses <b>for</b> all",
        body="<p>Safe rides to school.</p>",
    )
    r = client.get("/manage/p/draft/preview")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Buses &lt;b&gt;for&lt;/b&gt; all" in html
    assert "<p>Safe rides to school.</p>" in html


def status_of(client, slug):
    """The public JSON when the signing side serves it; the database otherwise."""
    r = client.get(f"/p/{slug}.json")
    if r.status_code == 200 and r.is_json:
        return r.get_json()["status"]
    return petition_by_slug(slug).public_status


def test_publish_close_reopen(client, organizer, csrf, make_petition):
    make_petition(slug="life", status=PetitionStatus.DRAFT)
    token = csrf("/manage/p/life")
    r = client.post("/manage/p/life/publish", data={"csrf_token": token})
    assert r.status_code == 302
    p = petition_by_slug("life")
    assert p.status == PetitionStatus.PUBLISHED and p.published_at is not None
    assert status_of(client, "life") == "published"
    assert "Close petition" in client.get("/manage/p/life").get_data(as_text=True)

    def sign_as(given):
        data = {"csrf_token": token, "given_name": given, "family_name": "Rivera",
                "email": "ana@example.org", "postal_code": "06106"}  # fmt: skip
        return client.post("/p/life/sign", data=data).status_code

    # A signature just before closing: the sign POST's petition cache must not outlive it.
    assert sign_as("Ana") == 302
    assert client.post("/manage/p/life/close", data={"csrf_token": token}).status_code == 302
    p = petition_by_slug("life")
    assert p.status == PetitionStatus.CLOSED and p.closed_at is not None and not p.is_open()
    assert status_of(client, "life") == "closed"
    sign = client.post(
        "/p/life/sign",
        data={"csrf_token": token, "given_name": "Ana", "family_name": "Rivera",
              "email": "ana@example.org", "postal_code": "06106"},
    )  # fmt: skip
    assert 400 <= sign.status_code < 500

    assert client.post("/manage/p/life/reopen", data={"csrf_token": token}).status_code == 302
    assert petition_by_slug("life").status == PetitionStatus.PUBLISHED
    assert status_of(client, "life") == "published"
    assert sign_as("Luis") == 302


def test_refused_transitions_say_why(client, organizer, csrf, make_petition):
    make_petition(slug="empty", status=PetitionStatus.DRAFT, body="")
    make_petition(slug="live")
    make_petition(slug="over", status=PetitionStatus.CLOSED, deadline=utcnow() - timedelta(days=1))
    token = csrf("/manage/")
    cases = [
        ("empty", "publish", "Write the petition text before publishing."),
        ("empty", "close", "Only a published petition can be closed."),
        ("live", "publish", "already published"),
        ("live", "reopen", "Only a closed petition can be reopened."),
        ("over", "reopen", "The deadline has passed"),
        ("over", "publish", "reopen it instead"),
    ]
    for slug, action, message in cases:
        r = client.post(f"/manage/p/{slug}/{action}", data={"csrf_token": token})
        assert r.status_code == 409, (slug, action)
        assert message in r.get_data(as_text=True), (slug, action)
    assert petition_by_slug("empty").status == PetitionStatus.DRAFT
    assert petition_by_slug("over").status == PetitionStatus.CLOSED


def test_deadline_closes_a_published_petition(client, organizer, make_petition):
    make_petition(slug="due", deadline=utcnow() - timedelta(minutes=1))
    assert status_of(client, "due") == "closed"
    assert "deadline passed" in client.get("/manage/p/due").get_data(as_text=True)


def test_get_on_post_routes_is_405(client, organizer, make_petition):
    make_petition(slug="m")
    for action in ("publish", "close", "reopen"):
        assert client.get(f"/manage/p/m/{action}").status_code == 405


def test_slugify():
    assert slugify("Niños: más escuelas!") == "ninos-mas-escuelas"
    assert slugify("给每个孩子") == ""
    assert len(slugify("word " * 40)) <= 80 and not slugify("word " * 40).endswith("-")
