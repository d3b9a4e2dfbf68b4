"""The admin's API tokens page, /manage/api-tokens: what `flask api-tokens` does, in the
browser, with the same audit trail."""

import re

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.core.tokens import token_hash
from petitions.models import AuditEntry
from petitions.models.api_token import ApiToken

SECRET_RE = re.compile(r"<code[^>]*>(pt_[A-Za-z0-9_-]+)</code>")


def _stats(client, event, bearer):
    return client.get(
        f"/api/v1/events/{event.slug}/checkins/stats",
        headers={"Authorization": f"Bearer {bearer}"},
    )


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_admin_makes_a_token_sees_it_once_and_revokes_it(
    app, client, make_user, login, csrf, make_event
):
    admin = login(make_user("admin"))
    volunteer = make_user("volunteer")
    event = make_event()
    page = client.get("/manage/api-tokens")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "No API tokens yet." in page.get_data(as_text=True)

    made = client.post(
        "/manage/api-tokens",
        data={"name": "Door 2 scanner", "user_id": volunteer.id, "csrf_token": csrf()},
    )
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "private, no-store"
    html = made.get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1)
    assert "shown only this once" in html
    row = db.session.scalar(select(ApiToken))
    assert row.user_id == volunteer.id and row.name == "Door 2 scanner"
    assert row.token_hash == token_hash(secret)  # only the hash is kept
    assert _stats(client, event, secret).status_code == 200

    listing = client.get("/manage/api-tokens").get_data(as_text=True)
    assert "Door 2 scanner" in listing and volunteer.email in listing and "never" in listing
    assert secret not in listing and row.token_hash not in listing

    [entry] = _audit("api_token.create")
    assert entry.user_id == admin.id and entry.object_id == str(row.id)
    assert volunteer.email in entry.detail and secret not in entry.detail

    revoked = client.post(f"/manage/api-tokens/{row.id}/revoke", data={"csrf_token": csrf()})
    assert revoked.status_code == 302
    db.session.refresh(row)
    assert row.revoked
    assert _stats(client, event, secret).status_code == 401  # at once, not after the cache
    assert "revoked" in client.get("/manage/api-tokens").get_data(as_text=True)
    [entry] = _audit("api_token.revoke")
    assert entry.user_id == admin.id and entry.object_id == str(row.id)
    # Revoking again changes nothing and logs nothing.
    client.post(f"/manage/api-tokens/{row.id}/revoke", data={"csrf_token": csrf()})
    assert len(_audit("api_token.revoke")) == 1


def test_a_token_needs_a_name_and_an_active_account(client, make_user, login, csrf):
    login(make_user("admin"))
    gone = make_user("organizer", active=False)
    for data in ({"name": "", "user_id": gone.id}, {"name": "Door", "user_id": gone.id}):
        r = client.post("/manage/api-tokens", data={**data, "csrf_token": csrf()})
        assert r.status_code == 400
        assert not SECRET_RE.search(r.get_data(as_text=True))
    assert db.session.scalar(select(ApiToken)) is None


def test_only_admins_and_only_with_csrf(client, make_user, login, csrf, runner):
    volunteer = make_user("volunteer")
    runner.invoke(args=["api-tokens", "create", volunteer.email, "--name", "Door 1"])
    row = db.session.scalar(select(ApiToken))
    login(make_user("organizer"))
    assert client.get("/manage/api-tokens").status_code == 403
    assert (
        client.post(f"/manage/api-tokens/{row.id}/revoke", data={"csrf_token": csrf()}).status_code
        == 403
    )

    client.post("/auth/logout", data={"csrf_token": csrf()})
    login(make_user("admin"))
    assert (
        client.post("/manage/api-tokens", data={"name": "x", "user_id": volunteer.id}).status_code
        == 400
    )
    assert client.post(f"/manage/api-tokens/{row.id}/revoke").status_code == 400
    assert (
        client.post("/manage/api-tokens/999/revoke", data={"csrf_token": csrf()}).status_code == 404
    )
    db.session.refresh(row)
    assert not row.revoked and db.session.scalars(select(ApiToken)).all() == [row]


def test_the_cli_is_audited_like_the_page(runner, make_user):
    user = make_user("volunteer")
    made = runner.invoke(args=["api-tokens", "create", user.email, "--name", "Door 3"])
    assert made.exit_code == 0, made.output
    [entry] = _audit("api_token.create")
    assert entry.user_id is None and "CLI" in entry.detail and "Door 3" in entry.detail
    row = db.session.scalar(select(ApiToken))
    assert runner.invoke(args=["api-tokens", "revoke", str(row.id)]).exit_code == 0
    [entry] = _audit("api_token.revoke")
    assert entry.object_id == str(row.id) and "CLI" in entry.detail
