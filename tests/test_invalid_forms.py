"""Every organizer form answers an invalid POST the same way: 400, the form shown again
with its errors (DESIGN.md, "Blueprints alike")."""

import pytest

from petitions.core.extensions import db
from petitions.models.official import Official
from tests.conftest import csrf_from

# (page, what is sent besides the CSRF token, a text the errors must show)
FORMS = [
    ("/manage/p/new", {"title": "", "slug": "Bad Slug!"}, "Give the petition a title."),
    ("/manage/p/{petition}/edit", {"title": "", "goal": "x"}, "Give the petition a title."),
    ("/manage/users", {"email": "not-an-email", "role": "organizer"}, "Invalid email address."),
    ("/manage/e/new", {"name": "", "slug": "rally"}, "This field is required."),
    ("/manage/e/{event}/edit", {"name": "Rally", "timezone": "Mars/Base"}, "Use a time zone"),
    ("/manage/officials/new", {"name": "", "email": "nope"}, "This field is required."),
    ("/manage/officials/{official}/edit", {"name": "", "email": "nope"}, "This field is required."),
    (
        "/manage/p/{petition}/packets/settings",
        {"cover_letter": "x" * 20001, "sort_order": "town"},
        "Field cannot be longer than 20000 characters.",
    ),
    ("/manage/badges/p/{petition}/design", {"line_above": "x" * 121}, "Field cannot be longer"),
    ("/manage/badges/p/{petition}/", {"stock": "no-such-stock"}, "Not a valid choice"),
    ("/manage/p/{petition}/paper", {"given_name": ""}, "Given name is missing."),
]


def _post_invalid(client, url, data):
    got = client.get(url)
    assert got.status_code == 200, url
    return client.post(url, data={"csrf_token": csrf_from(got.get_data(as_text=True)), **data})


@pytest.fixture
def targets(app, make_user, login, make_petition, make_event):
    petition = make_petition(ask_waitlist=True)
    official = Official(name="Rep. Ana Rivera", title="State Representative")
    db.session.add(official)
    db.session.commit()
    ids = {"petition": petition.slug, "event": make_event().slug, "official": official.id}
    login(make_user("admin"))
    return ids


@pytest.mark.parametrize(("page", "data", "error"), FORMS, ids=[f[0] for f in FORMS])
def test_an_invalid_form_is_shown_again_with_400(client, targets, page, data, error):
    url = page.format(**targets)
    response = _post_invalid(client, url, data)
    assert response.status_code == 400, url
    html = response.get_data(as_text=True)
    assert error in html, url
    assert 'name="csrf_token"' in html  # the form itself, not an error page


def test_the_login_form_too(client):
    response = _post_invalid(client, "/auth/login", {"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
