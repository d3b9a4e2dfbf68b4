"""A hostile visitor's inputs: each gets a clear message and a 4xx, nothing half-stored, no 500."""

import pytest

from tests.test_signing_flow import GOOD, row_count, rows, sign_post


@pytest.fixture(autouse=True)
def _exact_counts(app):
    app.config["COUNT_CACHE_SECONDS"] = 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_name", "", "Please enter your first name."),
        ("given_name", "\u200b\u200e \t", "Please enter your first name."),  # invisible only
        ("family_name", None, "Please enter your last name."),  # missing altogether
        ("given_name", "A" * 101, "Please keep this under 100 characters."),
        ("family_name", "<script>alert(1)</script>", "Please leave out the &lt; and &gt;"),
        ("town", "<b>Hartford</b>", "Please leave out the &lt; and &gt;"),
        ("email", "not-an-email", "Please check your email address"),
        ("email", "a@b@example.org", "Please check your email address"),
        ("email", "x" * 250 + "@example.org", "Please keep this under 254 characters."),
        ("postal_code", "0610", "Please enter a 5-digit ZIP code"),
        ("postal_code", "06106<", "Please enter a 5-digit ZIP code"),
        ("postal_code", "０６１０６", "Please enter a 5-digit ZIP code"),  # full-width digits
        ("role", "admin", "Please choose one of the options."),
        ("comment", "x" * 2001, "Please keep this under 2000 characters."),
    ],
)
def test_bad_field_gives_message_and_400_and_keeps_the_rest(
    client, make_petition, field, value, message
):
    petition = make_petition()
    r = sign_post(
        client, petition, **{field: value, "town": "Hartford" if field != "town" else value}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert message in html
    assert "Please correct the marked fields below." in html
    # What the visitor typed in the other fields is still there.
    if field != "email":
        assert 'value="ana@example.org"' in html
    assert row_count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Please use digits only"),
        ("12.5", "Please use digits only"),
        ("-3", "Please use digits only"),
        ("١٢٣", "Please use digits only"),  # Arabic-Indic digits
        ("99999999999999999999", "Please use digits only"),
        ("0", "Please enter a number from 1 to 5000."),
        ("5001", "Please enter a number from 1 to 5000."),
    ],
)
def test_waitlist_number_is_checked(client, make_petition, value, message):
    petition = make_petition(ask_waitlist=True, waitlist_min=1, waitlist_max=5000)
    r = sign_post(client, petition, waitlist_number=value)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert row_count() == 0


def test_waitlist_field_only_when_asked_and_stored(client, make_petition):
    plain = make_petition()
    assert 'name="waitlist_number"' not in client.get(f"/p/{plain.slug}").get_data(as_text=True)
    # Sent anyway to a petition that does not ask: ignored.
    assert sign_post(client, plain, waitlist_number="77").status_code == 302
    assert rows(plain)[0].waitlist_number is None

    asks = make_petition(
        ask_waitlist=True, waitlist_label="Your child's magnet school waitlist number"
    )
    html = client.get(f"/p/{asks.slug}").get_data(as_text=True)
    assert (
        "Your child&#39;s magnet school waitlist number" in html and 'inputmode="numeric"' in html
    )
    assert sign_post(client, asks, waitlist_number="1234").status_code == 302
    assert rows(asks)[0].waitlist_number == 1234
    assert sign_post(client, asks, given_name="Luis", waitlist_number="").status_code == 302


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("محمد", "العلي"),  # Arabic, right to left
        ("יעל", "כהן"),  # Hebrew
        ("美玲", "王"),  # CJK
        ("Nguyễn", "Thị Minh Khai"),  # combining marks, NFC
        ("José 🌻", "O'Brien-Smith"),  # emoji, apostrophe, hyphen
        ('Ana & "Lu"', "D'Angelo"),  # characters HTML escapes
    ],
)
def test_names_in_any_script_are_stored_and_shown_exactly(client, make_petition, given, family):
    petition = make_petition()
    r = sign_post(client, petition, given_name=given, family_name=family, show_name="y")
    assert r.status_code == 302
    [sig] = rows(petition)
    assert (sig.given_name, sig.family_name) == (given, family)
    thanks = client.get(r.headers["Location"]).get_data(as_text=True)
    from markupsafe import escape

    assert str(escape(given)) in thanks
    assert str(escape(given)) in client.get(f"/p/{petition.slug}").get_data(as_text=True)


def test_decomposed_accents_are_stored_composed(client, make_petition):
    petition = make_petition()
    sign_post(client, petition, given_name="Jose\u0301", family_name="Nu\u0301n\u0303ez")
    assert (rows(petition)[0].given_name, rows(petition)[0].family_name) == ("José", "Núñez")
    # ...and the composed spelling is the same person.
    r = sign_post(client, petition, given_name="José", family_name="NÚÑEZ")
    assert r.headers["Location"].endswith("/already")


def test_markup_in_comment_is_kept_as_text_and_control_characters_dropped(client, make_petition):
    petition = make_petition()
    comment = "<script>alert('x')</script>\x00 <b>bold</b>\r\nline two"
    assert sign_post(client, petition, comment=comment).status_code == 302
    stored = rows(petition)[0].comment
    assert stored == "<script>alert('x')</script> <b>bold</b>\nline two"


def test_form_values_are_escaped_when_shown_back(client, make_petition):
    petition = make_petition()
    r = sign_post(client, petition, given_name='"><script>alert(1)</script>', email="bad")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "<script>alert(1)</script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


def test_a_sign_post_from_another_site_stores_nothing(client, make_petition):
    petition = make_petition()
    url = f"/p/{petition.slug}/sign"
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        r = client.post(url, data=GOOD, headers=headers)
        assert r.status_code == 403 and "sent from another website" in r.get_data(as_text=True)
        assert row_count() == 0
    # An old cached page without a token (or with a stale one) still signs from this site.
    r = client.post(
        url, data={**GOOD, "csrf_token": "stale"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert r.status_code == 302 and len(rows(petition)) == 1


def test_wrong_types_and_odd_bodies(client, make_petition):
    petition = make_petition()
    url = f"/p/{petition.slug}/sign"
    # JSON instead of a form is not read (only the form body is); a repeated field; raw
    # bytes that are not UTF-8.
    assert client.post(url, json=GOOD).status_code == 400
    assert client.post(url, json={**GOOD, "given_name": 5}).status_code == 400
    from werkzeug.datastructures import MultiDict

    repeated = MultiDict([*GOOD.items(), ("given_name", "Second")])
    r = client.post(url, data=repeated)
    assert r.status_code in (302, 400)
    r = client.post(
        url,
        data=b"given_name=%FF%FE&family_name=x&email=a%40example.org&postal_code=06106",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code in (302, 400)
    assert client.get(url).status_code == 405
    assert client.put(url, data=GOOD).status_code == 405


def test_multi_megabyte_body_is_413_with_a_clear_page(app, client, make_petition):
    petition = make_petition()
    r = client.post(f"/p/{petition.slug}/sign", data={**GOOD, "comment": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413
    assert "too large" in r.get_data(as_text=True)
    assert row_count() == 0
    with app.app_context():  # its own g, so the language is chosen afresh
        es = client.post(
            f"/p/{petition.slug}/sign?lang=es", data={**GOOD, "comment": "x" * (3 * 1024 * 1024)}
        )
    assert es.status_code == 413 and "demasiado" in es.get_data(as_text=True)
