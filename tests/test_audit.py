"""The audit log: what is recorded, who may read it, that rows are never changed."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from petitions.core.extensions import db
from petitions.models import AuditEntry, PetitionStatus
from petitions.models.base import utcnow
from tests.conftest import PASSWORD, csrf_from
from tests.packets_helpers import add_official, add_signer

ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}


def _entries(**where) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


def _post(client, url, page, **data):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, environ_base=ADDRESS)


def test_logins_are_recorded_with_the_address(client, make_user):
    user = make_user("organizer")
    page = client.get("/auth/login").get_data(as_text=True)
    token = csrf_from(page)
    for email, password in [
        (user.email, "wrong password"),
        ("Nobody@Example.org", "x"),
        ("my secret password", "x"),  # typed in the wrong box
        (user.email, PASSWORD),
    ]:
        client.post(
            "/auth/login",
            data={"email": email, "password": password, "csrf_token": token},
            environ_base=ADDRESS,
        )
    failed, unknown, wrong_box, ok = _entries()
    assert wrong_box.actor == "(not an email address)"
    assert (failed.action, failed.user_id, failed.actor) == ("login.failed", user.id, user.email)
    assert (ok.action, ok.user_id, ok.address) == ("login", user.id, "203.0.113.7")
    assert (unknown.action, unknown.user_id, unknown.actor) == (
        "login.failed",
        None,
        "nobody@example.org",
    )


def test_the_address_behind_a_trusted_proxy(app, make_user):
    from petitions import create_app

    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1})
    client = proxied.test_client()
    user = make_user("organizer")
    with proxied.app_context():
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        client.post(
            "/auth/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.23"},
        )
    (entry,) = _entries(action="login")
    assert entry.address == "198.51.100.23"


def test_export_hide_restore_publish_close_are_recorded(
    client, organizer, make_petition, make_signature
):
    petition = make_petition(status=PetitionStatus.DRAFT, created_by_id=organizer.id)
    dash = f"/manage/p/{petition.slug}"
    assert _post(client, f"{dash}/publish", dash).status_code == 302
    signature = make_signature(petition, "Lucía", "Ortiz", email="lucia@example.org")
    _post(client, f"{dash}/signatures/{signature.id}/hide", dash)
    _post(client, f"{dash}/signatures/{signature.id}/restore", dash)
    assert client.get(f"{dash}/signatures.csv", environ_base=ADDRESS).status_code == 200
    _post(client, f"{dash}/close", dash)

    entries = _entries(petition_id=petition.id)
    assert [e.action for e in entries] == [
        "petition.publish",
        "signature.hide",
        "signature.restore",
        "export",
        "petition.close",
    ]
    assert all(e.user_id == organizer.id and e.address == "203.0.113.7" for e in entries)
    hide, export = entries[1], entries[3]
    assert (hide.object_type, hide.object_id) == ("signature", str(signature.id))
    assert (export.object_type, export.object_id, export.detail) == (
        "signatures",
        petition.slug,
        "1 rows",
    )
    # Nothing of the signer's in the log.
    for e in entries:
        text = " ".join([e.actor, e.object_type, e.object_id, e.detail])
        assert "Lucía" not in text and "Ortiz" not in text and "lucia@" not in text


def test_packet_and_badge_downloads_are_recorded(client, organizer, make_petition, csrf):
    petition = make_petition(
        slug="fund-seats", ask_waitlist=True, waitlist_min=1, waitlist_max=20000
    )
    official = add_official("Ana Rivera", towns=["Hartford"], title="Rep.")
    add_signer(petition, "Wei", "Chen", "06106", "Hartford", waitlist_number=12)
    db.session.commit()
    base = f"/manage/p/{petition.slug}/packets"
    _post(client, f"{base}/targets", base, officials=[str(official.id)], next=base)
    r = _post(client, f"{base}/generate", base, official=str(official.id), scope="constituents",
              paper="letter", sort_order="")  # fmt: skip
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    (generated,) = _entries(action="packet.download")
    assert client.get(f"{base}/{generated.object_id}.pdf").status_code == 200
    assert len(_entries(action="packet.download")) == 2

    sheets = "/manage/badges/p/fund-seats/"
    r = _post(client, sheets, sheets, source="all", stock="avery-5392", sort="number",
              numbers="", blanks="0", lang="en")  # fmt: skip
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    (badges,) = _entries(action="badges.download")
    assert badges.petition_id == petition.id and badges.detail == "1 rows"


@pytest.fixture
def log(make_user, make_petition):
    """Two organizers' petitions, and entries on both, one older."""
    from petitions.core import audit

    ana, ben = make_user("organizer"), make_user("organizer")
    own = make_petition(created_by_id=ana.id, slug="anas")
    other = make_petition(created_by_id=ben.id, slug="bens")
    audit.record("export", user=ben, object_type="signatures", object_id="bens", petition=other)
    audit.record("signature.hide", user=ana, object_type="signature", object_id=1, petition=own)
    old = audit.record("export", user=ana, object_type="signatures", object_id="anas", petition=own)
    audit.record("user.role", user=ben, object_type="user", object_id=ana.id)
    db.session.commit()
    # Kept exactly: written with Core, as an old row would simply be there.
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == old.id)
        .values(created_at=utcnow() - timedelta(days=40))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return ana, ben


def _rows(client, query=""):
    r = client.get(f"/manage/audit{query}")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private, no-store"
    return _body(r).count("<tr>")


def _body(response) -> str:
    text = response.get_data(as_text=True)
    body = text[text.index("<tbody>") : text.index("</tbody>")]
    return "" if "Nothing matches." in body else body


def test_admins_see_everything_and_filter(client, make_user, login, log):
    ana, ben = log
    login(make_user("admin"))
    everything = _rows(client)  # the four above and the admin's own login
    assert everything == 5
    assert _rows(client, f"?user={ana.id}") == 2
    assert _rows(client, "?action=export") == 2
    today = utcnow().date().isoformat()
    recent = (utcnow() - timedelta(days=2)).date().isoformat()
    assert _rows(client, f"?since={recent}") == 4
    assert _rows(client, f"?until={recent}") == 1
    assert _rows(client, f"?since={today}&user={ana.id}&action=export") == 0


def test_organizers_see_their_own_petitions_only(client, login, log):
    ana, _ben = log
    login(ana)
    text = _body(client.get("/manage/audit"))
    assert "anas" in text and "bens" not in text and "user.role" not in text
    assert _rows(client) == 2
    assert _rows(client, f"?user={_ben.id}") == 2  # the person filter is for admins


@pytest.mark.parametrize(
    "query",
    ["?since=yesterday", "?until=2026-13-45", "?user=abc", "?user=99999999999999", "?page=-3",
     "?page=99999999999", "?action=" + "x" * 500, "?since=%00"],
)  # fmt: skip
def test_bad_filters_are_ignored(client, make_user, login, query):
    login(make_user("admin"))
    assert client.get(f"/manage/audit{query}").status_code == 200


def test_volunteers_and_visitors_are_kept_out(client, make_user, login):
    r = client.get("/manage/audit")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(make_user("volunteer"))
    assert client.get("/manage/audit").status_code == 403


def test_entries_cannot_be_changed_or_removed(app, make_user):
    from petitions.core import audit

    entry = audit.record("export", user=make_user("organizer"))
    db.session.commit()
    entry.detail = "edited"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_archive_delete_retention_and_backups_are_recorded(
    client, organizer, make_petition, csrf, runner, tmp_path
):
    published = make_petition(slug="to-archive")
    draft = make_petition(slug="to-delete", status=PetitionStatus.DRAFT)
    for slug in (published.slug, draft.slug):
        action = "archive" if slug == "to-archive" else "delete"
        r = client.post(f"/manage/p/{slug}/{action}", data={"csrf_token": csrf()})
        assert r.status_code == 302, r.get_data(as_text=True)
    assert [e.object_id for e in _entries(action="petition.archive")] == ["to-archive"]
    assert [e.object_id for e in _entries(action="petition.delete")] == ["to-delete"]
    assert runner.invoke(args=["retention", "run", "--dry-run"]).exit_code == 0
    assert _entries(action="retention.run") == []  # a dry run changes nothing
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    assert runner.invoke(args=["backup", "-o", str(tmp_path / "copy.backup")]).exit_code == 0
    db.session.expire_all()
    [run] = _entries(action="retention.run")
    [backup] = _entries(action="backup")
    assert run.user_id is None and backup.detail
