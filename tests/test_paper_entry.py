"""Keyboard-only entry of paper signatures: /manage/p/<slug>/paper."""

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import PetitionStatus, Signature
from tests.conftest import csrf_from


def signatures(petition):
    return db.session.scalars(
        select(Signature).where(Signature.petition_id == petition.id).order_by(Signature.id)
    ).all()


def count(petition):
    return db.session.scalar(
        select(func.count(Signature.id)).where(Signature.petition_id == petition.id)
    )


def row(**fields):
    values = dict(
        sheet_number="12",
        given_name="Ana",
        family_name="Rivera",
        email="",
        postal_code="06106",
        town="Hartford",
        role="parent",
    )
    values.update(fields)
    return values


def post_row(client, petition, **fields):
    url = f"/manage/p/{petition.slug}/paper"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data=dict(row(**fields), csrf_token=token))


def test_form_is_keyboard_ready(client, organizer, make_petition):
    p = make_petition(ask_waitlist=True)
    html = client.get(f"/manage/p/{p.slug}/paper").get_data(as_text=True)
    # First visit: the sheet number first; fields in the sheet's column order.
    assert 'id="sheet_number"' in html and html.index("autofocus") < html.index('id="given_name"')
    order = [html.index(f'id="{f}"') for f in (
        "sheet_number", "given_name", "family_name", "email", "postal_code", "town", "role",
        "waitlist_number", "opt_in")]  # fmt: skip
    assert order == sorted(order)
    assert "tabindex" not in html  # the document order is the tab order
    # Each role starts with the letter printed on the sheet, so typing it picks the role.
    assert '<option value="parent">P · Parent or guardian</option>' in html
    assert '<option value="community">C · Community member</option>' in html
    html = client.get(f"/manage/p/{p.slug}/paper?sheet=7").get_data(as_text=True)
    assert 'value="7"' in html
    assert 'autofocus id="given_name"' in html or 'id="given_name" autofocus' in html.replace(
        ' name="given_name"', ""
    )


def test_entry_saves_a_counted_paper_signature_and_keeps_the_sheet(
    client, organizer, make_petition
):
    p = make_petition(require_confirmation=True)
    r = post_row(client, p, email="Ana@Example.org", opt_in="y")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/manage/p/{p.slug}/paper?sheet=12")
    (s,) = signatures(p)
    assert (s.given_name, s.family_name, s.email, s.postal_code, s.town, s.role) == (
        "Ana", "Rivera", "Ana@example.org", "06106", "Hartford", "parent")  # fmt: skip
    assert s.source == "paper" and s.sheet_number == "12" and s.opt_in
    assert s.confirmed_at is not None and not s.show_name  # paper: counted at once
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Saved on sheet 12: Ana Rivera, 06106 Hartford." in page
    assert 'value="12"' in page and "1 entered from this sheet so far." in page
    assert "<td>Ana Rivera</td>" in page


def test_entry_without_email(client, organizer, make_petition):
    p = make_petition()
    assert post_row(client, p, given_name="Luis", email="").status_code == 302
    (s,) = signatures(p)
    assert s.email == "" and s.email_key.endswith("06106")


def test_same_person_again_is_shown_and_not_inserted(client, organizer, make_petition):
    p = make_petition()
    assert post_row(client, p, email="ana@example.org").status_code == 302
    r = post_row(client, p, email="ANA@example.org", sheet_number="13")
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "Already signed?" in html and "same name and email" in html and "sheet 12" in html
    assert "signed already" in html and 'name="different_person"' not in html
    assert count(p) == 1


def test_namesake_warning_then_confirmed_different_person(client, organizer, make_petition):
    p = make_petition()
    assert post_row(client, p, email="").status_code == 302
    # Same name, same ZIP, no email: shown, not saved...
    r = post_row(client, p, email="", town="Hartford", role="")
    assert r.status_code == 409 and count(p) == 1
    html = r.get_data(as_text=True)
    assert 'name="different_person"' in html and "Ana Rivera" in html
    # ...the form keeps what was typed...
    assert 'value="Ana"' in html and 'value="06106"' in html
    # ...and is saved once the volunteer confirms it is someone else.
    assert post_row(client, p, email="", different_person="y").status_code == 302
    assert count(p) == 2
    keys = {s.email_key for s in signatures(p)}
    assert len(keys) == 2
    # A same-named signer with a different email: warned too.
    r = post_row(client, p, email="other.ana@example.org")
    assert r.status_code == 409 and count(p) == 2
    assert (
        post_row(client, p, email="other.ana@example.org", different_person="y").status_code == 302
    )
    assert count(p) == 3


def test_online_signer_is_found_by_name_and_zip(client, organizer, make_petition):
    p = make_petition()
    db.session.add(
        Signature(petition_id=p.id, given_name="José", family_name="Colón", email="jc@example.org",
                  email_key="jc@example.org", name_key="josé colón", postal_code="06106",
                  town="Hartford", source="online", token="T" * 26)
    )  # fmt: skip
    db.session.commit()
    r = post_row(client, p, given_name="JOSÉ", family_name="colón", email="")
    assert r.status_code == 409 and "online" in r.get_data(as_text=True)
    assert count(p) == 1


def test_bad_input_is_a_clear_400(client, organizer, make_petition):
    p = make_petition(ask_waitlist=True, waitlist_min=1, waitlist_max=5000)
    r = post_row(client, p, given_name="", email="nope@", postal_code="61", waitlist_number="9999")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    for message in ("Given name is missing.", "is not an email address", "is not a ZIP code",
                    "Waitlist number: Please enter a number from 1 to 5000."):  # fmt: skip
        assert message in html
    r = post_row(client, p, given_name="x" * 101, role="wizard")
    assert r.status_code == 400 and "longer than 100" in r.get_data(as_text=True)
    assert count(p) == 0


def test_markup_in_names_is_escaped(client, organizer, make_petition):
    p = make_petition()
    assert post_row(client, p, given_name="<script>alert(1)</script>").status_code == 302
    page = client.get(f"/manage/p/{p.slug}/paper?sheet=12").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_volunteer_may_enter_and_sees_no_emails(client, make_user, login, make_petition):
    p = make_petition()
    login(make_user("volunteer"))
    assert post_row(client, p, email="ana@example.org").status_code == 302
    page = client.get(f"/manage/p/{p.slug}/paper?sheet=12").get_data(as_text=True)
    assert "Ana Rivera" in page and "ana@example.org" not in page
    assert client.get("/manage/paper").status_code == 200


def test_anonymous_is_sent_to_login(client, make_petition):
    p = make_petition()
    r = client.get(f"/manage/p/{p.slug}/paper")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    r = client.post(f"/manage/p/{p.slug}/paper", data=row())
    assert r.status_code in (302, 400) and count(p) == 0


def test_csrf_is_required(client, organizer, make_petition):
    p = make_petition()
    r = client.post(f"/manage/p/{p.slug}/paper", data=row())
    assert r.status_code == 400 and count(p) == 0


def test_draft_takes_no_paper_signatures(client, organizer, make_petition):
    p = make_petition(status=PetitionStatus.DRAFT)
    r = post_row(client, p)
    assert r.status_code == 409 and "draft" in r.get_data(as_text=True)
    assert count(p) == 0
    # Past its deadline or closed: late sheets are still typed in.
    p2 = make_petition(status=PetitionStatus.CLOSED)
    assert post_row(client, p2).status_code == 302 and count(p2) == 1


def test_unknown_petition_is_404(client, organizer):
    assert client.get("/manage/p/nope/paper").status_code == 404
