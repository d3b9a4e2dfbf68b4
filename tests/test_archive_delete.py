"""Organizers delete drafts and archive published petitions (/manage/p/<slug>/delete, /archive)."""

from datetime import timedelta

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Petition, PetitionStatus, Signature
from petitions.models.base import utcnow
from tests.conftest import csrf_from
from tests.test_signing_flow import GOOD


def confirm(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True))})


def petition(slug):
    db.session.expire_all()
    return db.session.scalar(select(Petition).where(Petition.slug == slug))


def test_delete_a_draft(client, organizer, make_petition):
    draft = make_petition(status=PetitionStatus.DRAFT, slug="my-draft")
    page = client.get("/manage/p/my-draft").get_data(as_text=True)
    assert "/manage/p/my-draft/delete" in page and "/archive" not in page
    r = confirm(client, "/manage/p/my-draft/delete")
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/")
    assert petition("my-draft") is None
    assert "Deleted the draft" in client.get("/manage/").get_data(as_text=True)
    assert db.session.get(Petition, draft.id) is None


def test_published_or_signed_petitions_cannot_be_deleted(
    client, organizer, make_petition, make_signature
):
    published = make_petition(slug="live")
    r = confirm(client, "/manage/p/live/delete")
    assert r.status_code == 409 and "archive this one instead" in r.get_data(as_text=True)
    unpublished = make_petition(status=PetitionStatus.DRAFT, slug="was-live", published_at=utcnow())
    assert confirm(client, "/manage/p/was-live/delete").status_code == 409
    paper = make_petition(status=PetitionStatus.DRAFT, slug="paper")
    make_signature(paper, source="paper")
    r = confirm(client, "/manage/p/paper/delete")
    assert r.status_code == 409 and "holds 1 signatures" in r.get_data(as_text=True)
    assert all(petition(p.slug) for p in (published, unpublished, paper))


def test_archive_a_published_petition(client, organizer, csrf, make_petition, make_signature):
    p = make_petition(slug="seats", title="Seats for all")
    make_signature(p)
    r = confirm(client, "/manage/p/seats/archive")
    assert r.status_code == 302
    assert "is archived" in client.get(r.headers["Location"]).get_data(as_text=True)
    archived = petition("seats")
    assert archived.status == PetitionStatus.CLOSED and archived.archived
    assert archived.closed_at is not None
    # Off the public list; its page stays and says so; signing is refused; the count stays.
    assert "Seats for all" not in client.get("/").get_data(as_text=True)
    page = client.get("/p/seats")
    assert page.status_code == 200
    assert "closed and archived" in page.get_data(as_text=True)
    assert 'name="given_name"' not in page.get_data(as_text=True)
    es = client.get("/p/seats", headers={"Accept-Language": "es"}, follow_redirects=True)
    assert "cerrada y archivada" in es.get_data(as_text=True)
    assert client.get("/p/seats.json").get_json()["signature_count"] == 1
    client.post("/auth/logout", data={"csrf_token": csrf("/manage/")})
    # (the page has no form to take a token from; the refusal comes before any check)
    assert client.post("/p/seats/sign", data=GOOD).status_code == 409
    assert db.session.scalar(select(db.func.count(Signature.id))) == 1


def test_an_archived_petition_stays_closed(client, organizer, csrf, make_petition):
    p = make_petition(slug="done", status=PetitionStatus.CLOSED, closed_at=utcnow())
    assert confirm(client, "/manage/p/done/archive").status_code == 302
    dash = client.get("/manage/p/done").get_data(as_text=True)
    assert "archived" in dash and "/manage/p/done/reopen" not in dash
    r = client.post("/manage/p/done/reopen", data={"csrf_token": csrf("/manage/")})
    assert r.status_code == 409 and "stays closed" in r.get_data(as_text=True)
    assert confirm(client, "/manage/p/done/archive").status_code == 409
    assert petition("done").closed_at == p.closed_at  # the retention clock did not move


def test_archiving_after_the_deadline_keeps_the_day_it_closed(client, organizer, make_petition):
    ended = utcnow() - timedelta(days=40)
    make_petition(slug="past", deadline=ended, published_at=ended - timedelta(days=30))
    assert confirm(client, "/manage/p/past/archive").status_code == 302
    assert petition("past").closed_at == ended


def test_drafts_cannot_be_archived(client, organizer, make_petition):
    make_petition(status=PetitionStatus.DRAFT, slug="d")
    assert confirm(client, "/manage/p/d/archive").status_code == 409


def test_access_and_csrf(client, make_user, login, csrf, make_petition):
    make_petition(slug="live")
    make_petition(status=PetitionStatus.DRAFT, slug="draft")
    urls = ["/manage/p/live/archive", "/manage/p/draft/delete"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(make_user("volunteer"))
    token = csrf("/manage/")
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    client.post("/auth/logout", data={"csrf_token": token})
    login(make_user("organizer"))
    for url in urls:
        assert client.post(url).status_code == 400  # no CSRF token
    assert (
        client.post("/manage/p/nope/archive", data={"csrf_token": csrf("/manage/")}).status_code
        == 404
    )
    assert petition("live").archived_at is None and petition("draft") is not None
