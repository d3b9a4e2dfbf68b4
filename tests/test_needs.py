"""Needs (interpretation, childcare, accessibility) and household RSVPs, through HTTP:
the RSVP form and the poster sign-in ask, the places a party holds count everywhere
(capacity, the FULL state, the dashboard, the CSV), the check-in answer carries them,
and retention removes them."""

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Attendee, EventState
from petitions.models.base import utcnow
from petitions.rallies import stats as rally_stats
from petitions.rallies.needs import NeedsError, needs_from_mapping, parse_needs
from tests.conftest import csrf_from
from tests.events_helpers import person

OFFERED = dict(interpretation_languages="es,asl", max_party_size=4)


def rsvp(client, event, lang=None, **data):
    url = f"/{lang}/e/{event.slug}" if lang else f"/e/{event.slug}"
    assert client.get(url).status_code == 200
    return client.post(url, data={**person(), **data})


def stored(event) -> list[Attendee]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id)
        )
    )


def fresh(event):
    db.session.rollback()
    return db.session.get(type(event), event.id)


# --- the forms ----------------------------------------------------------------------------


def test_the_rsvp_form_offers_the_event_s_needs_and_party_sizes(client, make_event):
    event = make_event(interpretation_languages="es", max_party_size=3)
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert 'name="needs" type="checkbox" value="interpretation"' in html
    assert "Spanish interpretation" in html  # the only language names the need
    assert 'value="childcare"' in html and 'value="accessibility"' in html
    assert 'name="interpretation_language"' not in html  # one language: nothing to choose
    assert 'name="needs_note"' in html
    assert '<option selected value="1">Just me</option>' in html
    assert '<option value="3">3 people (me and 2 more)</option>' in html
    assert 'value="4"' not in html

    es = client.get(f"/es/e/{event.slug}").get_data(as_text=True)
    assert "Interpretación al español" in es and "Cuidado de niños" in es
    assert "Solo yo" in es


def test_no_interpretation_is_offered_when_the_event_offers_no_language(client, make_event):
    event = make_event()
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert 'value="interpretation"' not in html and 'value="childcare"' in html
    r = rsvp(client, event, needs="interpretation")
    assert r.status_code == 400
    assert "This event does not offer interpretation." in r.get_data(as_text=True)
    assert stored(event) == []


def test_an_rsvp_with_needs_and_a_party_is_stored_and_counted(client, make_event):
    event = make_event(**OFFERED)
    r = rsvp(
        client,
        event,
        needs=["interpretation", "childcare"],
        interpretation_language="es",
        needs_note="  Two children, 4 and 7  ",
        party_size="3",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    (a,) = stored(event)
    assert (a.needs, a.interpretation_language, a.needs_note, a.party_size) == (
        "interpretation,childcare",
        "es",
        "Two children, 4 and 7",
        3,
    )
    assert a.need_labels() == ["Spanish interpretation", "Childcare"]
    assert a.places == 3
    assert fresh(event).rsvp_count == 3
    ticket = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "One ticket for your party of 3." in ticket


def test_bad_needs_come_back_with_400_the_typed_values_and_messages(client, make_event):
    event = make_event(**OFFERED)
    r = rsvp(
        client,
        event,
        needs=["interpretation", "childcare"],
        needs_note="n" * 201,
        party_size="9",
        given_name="Rosa",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Please choose the language you need interpretation in." in html
    assert "Please keep this under 200 characters." in html
    assert "Please choose a party of 1 to 4 people." in html
    assert 'value="Rosa"' in html
    assert 'checked id="needs-1" name="needs" type="checkbox" value="childcare"' in html
    assert stored(event) == []
    for bad in ({"needs": "jetpack"}, {"interpretation_language": "fr"}, {"party_size": "x"},
                {"party_size": "0"}, {"party_size": "-2"}):  # fmt: skip
        assert rsvp(client, event, **bad).status_code == 400, bad
    assert stored(event) == []


def test_the_needs_note_alone_is_kept_and_the_spanish_page_answers_in_spanish(client, make_event):
    event = make_event(**OFFERED)
    r = rsvp(client, event, lang="es", party_size="7")
    assert r.status_code == 400
    assert "Elija un grupo de 1 a 4 personas." in r.get_data(as_text=True)
    assert rsvp(client, event, needs_note="Wheelchair user").status_code == 302
    (a,) = stored(event)
    assert a.needs == "" and a.needs_note == "Wheelchair user" and a.party_size == 1


def test_the_poster_sign_in_asks_needs_but_not_a_party(client, make_event):
    event = make_event(
        starts_at=utcnow() + timedelta(minutes=10), ends_at=utcnow() + timedelta(hours=2), **OFFERED
    )
    url = f"/e/{event.slug}/here/{event.signin_key}"
    html = client.get(url).get_data(as_text=True)
    assert 'value="accessibility"' in html and 'name="interpretation_language"' in html
    assert 'name="party_size"' not in html
    r = client.post(url, data={**person(), "needs": ["accessibility", "interpretation"],
                               "interpretation_language": "asl"})  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)
    (a,) = stored(event)
    assert a.walk_up and a.needs == "interpretation,accessibility"
    assert a.need_labels() == ["ASL interpretation", "Accessibility (step-free route, seating)"]
    assert a.places == 0  # a walk-up holds no RSVP place


def test_the_shared_event_page_stays_shared(client, make_event):
    event = make_event(**OFFERED)
    r = client.get(f"/e/{event.slug}")
    assert "public" in r.headers["Cache-Control"]
    assert "Set-Cookie" not in r.headers


# --- households and capacity --------------------------------------------------------------


def test_a_household_of_3_holds_3_places_and_fills_the_event(client, make_event):
    event = make_event(capacity=4, **OFFERED)
    assert rsvp(client, event, party_size="3").status_code == 302
    event = fresh(event)
    assert event.rsvp_count == 3 and event.places_left() == 1
    assert event.rsvp_state() == EventState.OPEN

    r = rsvp(client, event, email="luis@example.org", party_size="2")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Only 1 place is left. Please choose a smaller party" in html
    assert '<option selected value="2">' in html  # the typed value is kept
    assert len(stored(event)) == 1

    assert rsvp(client, event, email="luis@example.org", party_size="1").status_code == 302
    event = fresh(event)
    assert event.rsvp_count == 4 and event.rsvp_state() == EventState.FULL
    r = rsvp(client, event, email="mia@example.org")
    assert r.status_code == 409
    assert len(stored(event)) == 2


def test_the_spanish_no_room_message(client, make_event):
    event = make_event(capacity=3, **OFFERED)
    assert rsvp(client, event, party_size="1").status_code == 302
    r = rsvp(client, event, lang="es", email="luis@example.org", party_size="4")
    assert r.status_code == 400
    assert "Solo quedan 2 lugares." in r.get_data(as_text=True)


def test_a_revoked_household_frees_its_places(app, make_event, make_attendee):
    event = make_event(capacity=5)
    a, _ = make_attendee(event, party_size=3)
    make_attendee(event, party_size=2)
    assert fresh(event).rsvp_state() == EventState.FULL
    a = db.session.get(Attendee, a.id)
    a.revoked = True
    db.session.commit()
    assert fresh(event).rsvp_count == 2


def test_the_dashboard_counts_people_and_needs(client, organizer, make_event, make_attendee):
    event = make_event(**OFFERED)
    make_attendee(event, party_size=3, needs="interpretation,childcare",
                  interpretation_language="es")  # fmt: skip
    make_attendee(event, needs="interpretation", interpretation_language="asl")
    make_attendee(event, needs="accessibility", needs_note="Step-free route")
    make_attendee(event, walk_up=True, needs="childcare")
    make_attendee(event, party_size=2, revoked=True, needs="childcare")

    s = rally_stats.stats(fresh(event))
    assert (s.rsvps, s.people, s.walk_ups) == (3, 5, 1)
    assert s.needs == {"interpretation": 2, "childcare": 2, "accessibility": 1}
    assert s.interpretation == {"es": 1, "asl": 1}

    data = client.get(f"/manage/e/{event.slug}/stats.json").get_json()
    assert data["people"] == 5 and data["rsvps"] == 3
    assert data["need_childcare"] == 2 and data["interpretation_es"] == 1

    html = client.get(f"/manage/e/{event.slug}").get_data(as_text=True)
    assert '<span class="count" data-stat="people">5</span> people coming' in html
    assert '<span class="count" data-stat="rsvps">3</span> RSVPs' in html
    assert '<span class="count" data-stat="need_childcare">2</span> Childcare' in html
    assert '<span class="count" data-stat="interpretation_asl">1</span> ASL interpretation' in html
    assert "Step-free route" in html


def test_the_attendee_csv_carries_needs_and_party(client, organizer, make_event, make_attendee):
    event = make_event(**OFFERED)
    make_attendee(event, name="Rosa Díaz", party_size=3, needs="interpretation,childcare",
                  interpretation_language="es", needs_note="=cmd|calc")  # fmt: skip
    make_attendee(event, name="Walk Up", walk_up=True)
    r = client.get(f"/manage/e/{event.slug}/attendees.csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [
        (r["name"], r["party_size"], r["places"], r["needs"], r["interpretation_language"])
        for r in rows
    ] == [
        ("Rosa Díaz", "3", "3", "interpretation; childcare", "es"),
        ("Walk Up", "1", "0", "", ""),
    ]
    assert rows[0]["needs_note"] == "'=cmd|calc"  # no formula in a spreadsheet


def test_the_manage_form_sets_languages_and_the_party_cap(client, organizer, make_event):
    event = make_event()
    url = f"/manage/e/{event.slug}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="interpretation_languages"' in html and 'name="max_party_size"' in html
    data = {
        "csrf_token": csrf_from(html),
        "name": event.name,
        "slug": event.slug,
        "timezone": event.timezone,
        "starts_at": "2030-07-04T10:00",
        "ends_at": "2030-07-04T12:00",
        "interpretation_languages": ["es", "asl"],
        "max_party_size": "6",
        "reminder_hours": "24",
    }
    r = client.post(url, data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    event = fresh(event)
    assert (event.interpretation_languages, event.max_party_size) == ("es,asl", 6)
    r = client.post(url, data={**data, "max_party_size": "99"})
    assert r.status_code == 400
    assert "Please enter a number from 1 to 20." in r.get_data(as_text=True)


# --- the check-in answer ------------------------------------------------------------------


@pytest.fixture
def scan(client, make_user, login, csrf):
    login(make_user("volunteer"))
    token = csrf("/manage/")

    def do(ticket, nonce=None):
        return client.post(
            "/api/v1/checkins",
            json={"token": ticket, "nonce": nonce or uuid.uuid4().hex},
            headers={"X-CSRFToken": token},
        )

    return do


def test_the_check_in_answer_carries_needs_and_party(client, scan, make_event):
    event = make_event(**OFFERED)
    r = rsvp(client, event, needs=["interpretation", "childcare"], interpretation_language="es",
              party_size="3")  # fmt: skip
    ticket = r.headers["Location"].rsplit("/", 1)[1]

    first = scan(ticket, nonce="first-scan-1")
    body = first.get_json()
    assert first.status_code == 200 and body["result"] == "ok"
    assert body["needs"] == ["interpretation", "childcare"]
    assert body["needs_display"] == "Spanish interpretation, Childcare"
    assert body["interpretation_language"] == "es" and body["party_size"] == 3

    again = scan(ticket).get_json()  # the slow path (already checked in) agrees
    assert again["result"] == "already"
    assert {k: again[k] for k in ("needs", "needs_display", "party_size")} == {
        k: body[k] for k in ("needs", "needs_display", "party_size")
    }
    replay = scan(ticket, nonce="first-scan-1").get_json()  # a replayed nonce too
    assert replay["replayed"] and replay["needs_display"] == body["needs_display"]
    assert replay["party_size"] == 3


def test_a_ticket_without_needs_answers_an_empty_list(scan, make_event, make_attendee):
    event = make_event()
    _, ticket = make_attendee(event)
    body = scan(ticket).get_json()
    assert body["needs"] == [] and body["needs_display"] == "" and body["party_size"] == 1
    unknown = scan("0" * 26).get_json()
    assert unknown["result"] == "unknown" and "needs" not in unknown


# --- retention ----------------------------------------------------------------------------


def test_retention_removes_needs_with_the_rest(runner, make_event, make_attendee):
    event = make_event(starts_at=utcnow() - timedelta(days=200),
                       ends_at=utcnow() - timedelta(days=200, hours=-2), retention_days=30,
                       **OFFERED)  # fmt: skip
    make_attendee(event, party_size=2, needs="interpretation,childcare",
                  interpretation_language="es", needs_note="Son uses a wheelchair")  # fmt: skip
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    (a,) = stored(event)
    assert (a.needs, a.needs_note, a.interpretation_language, a.name) == ("", "", "", "")
    assert a.party_size == 2  # a number, kept with the counts


# --- the service the kiosk calls ----------------------------------------------------------


def test_needs_from_a_synced_entry(app, make_event):
    event = make_event(interpretation_languages="asl", max_party_size=2)
    with app.test_request_context():
        choice = needs_from_mapping(event, {"needs": "childcare,interpretation", "party_size": 2})
        assert choice.columns() == {
            "needs": "interpretation,childcare",
            "interpretation_language": "asl",  # the only language offered
            "needs_note": "",
            "party_size": 2,
        }
        assert parse_needs(event, [], "asl").needs == ("interpretation",)  # language alone
        for bad in ({"needs": ["x"]}, {"party_size": 3}, {"party_size": True},
                    {"interpretation_language": "es"}, {"needs_note": "n" * 201}):  # fmt: skip
            with pytest.raises(NeedsError) as e:
                needs_from_mapping(event, bad)
            assert set(e.value.errors) <= {"needs", "party_size", "interpretation_language",
                                           "needs_note"}  # fmt: skip


# --- the badge sheet ----------------------------------------------------------------------


def test_the_badge_sheet_marks_people_needing_interpretation(
    client, organizer, csrf, make_petition, make_event, make_attendee
):
    petition = make_petition(slug="seats", ask_waitlist=True, waitlist_min=1, waitlist_max=9999)
    event = make_event(petition, ask_waitlist=True, **OFFERED)
    make_attendee(event, "Rosa Díaz", number=11, needs="interpretation,childcare",
                  interpretation_language="es")  # fmt: skip
    make_attendee(event, "Sam Lee", number=12, needs="interpretation",
                  interpretation_language="asl")  # fmt: skip
    make_attendee(event, "Omar Torres", number=13, needs="childcare")
    url = f"/manage/badges/e/{event.slug}/"
    r = client.post(url, data={"csrf_token": csrf(url), "source": "all", "stock": "avery-5392",
                               "sort": "number", "lang": "en", "blanks": "0"})  # fmt: skip
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    # Each badge reads: its mark (if any), the line above, the number.
    marks = dict(
        (number, mark)
        for mark, number in re.findall(r"(ES|ASL)?I'm on the waitlist\s*(#1\d)", text)
    )
    assert marks == {"#11": "ES", "#12": "ASL", "#13": ""}, text
