"""`flask --app wsgi retention run [--days N] [--dry-run]`: personal data goes, counts stay."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.core.timezones import utc_to_local, zone
from petitions.models import Attendee, PacketRecord, PetitionStatus, Signature
from petitions.models.base import utcnow
from petitions.packets.settings import set_delivered
from petitions.petition import dashboard
from tests.packets_helpers import add_official, pdf_text_pages

LONG_AGO = timedelta(days=200)


def closed_petition(make_petition, ago=LONG_AGO, **fields):
    when = utcnow() - ago
    return make_petition(status=PetitionStatus.CLOSED, closed_at=when, published_at=when, **fields)


def sign_many(make_signature, petition):
    """Signers from two towns and three roles over several days, with everything personal."""
    rows = []
    for i in range(9):
        rows.append(
            make_signature(
                petition,
                f"Given{i}",
                f"Family{i}",
                commit=False,
                town=("Hartford", "West Hartford", "")[i % 3],
                role=("parent", "educator", "student")[i % 3],
                postal_code=f"0610{i % 3}",
                waitlist_number=400 + i,
                comment=f"Story number {i}",
                show_name=True,
                opt_in=True,
                created_at=utcnow() - LONG_AGO - timedelta(days=i % 4),
            )
        )
    rows.append(make_signature(petition, "Hidden", "Spam", commit=False, hidden=True))
    rows.append(make_signature(petition, "Pend", "Ing", commit=False, confirmed=False))
    db.session.commit()
    return rows


def summary_page(runner, tmp_path, petition) -> str:
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", petition.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = next(p for p in pdf_text_pages(out) if "Signatures per day" in p)
    # The one summary line made of the removed data itself, and the page count: the
    # stories (comments) pages are gone with the comments.
    page = re.sub(r"waitlist number\s+\d+ \(\d+%\)", "", page)
    return re.sub(r"Page \d+ of \d+", "", page)


def snapshot(client, runner, tmp_path, petition):
    """Everything the public and organizers see in numbers."""
    numbers = dashboard.overview(petition)
    page = client.get(f"/p/{petition.slug}").get_data(as_text=True)
    return {
        "json": client.get(f"/p/{petition.slug}.json").get_json(),
        "count_on_page": re.findall(r'class="count[^"]*"[^>]*>([^<]+)', page),
        "stats": numbers.stats,
        "towns": numbers.towns,
        "roles": numbers.roles,
        "per_day": dashboard.per_day(petition, zone()),
        "packet": summary_page(runner, tmp_path, petition),
    }


def test_removes_personal_data_and_keeps_every_count(
    app, client, runner, tmp_path, make_petition, make_signature
):
    petition = closed_petition(make_petition)
    signatures = sign_many(make_signature, petition)
    tokens = [s.token for s in signatures]
    before = snapshot(client, runner, tmp_path, petition)
    assert before["json"]["signature_count"] == 9

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "11 signatures" in result.output and petition.slug in result.output

    db.session.expire_all()
    assert snapshot(client, runner, tmp_path, petition) == before
    for s in db.session.scalars(select(Signature).where(Signature.petition_id == petition.id)):
        assert (s.given_name, s.family_name, s.email, s.postal_code, s.comment) == ("",) * 5
        assert s.waitlist_number is None and not s.show_name and not s.opt_in
        assert s.email_key == s.token == f"removed:{s.id}"
    # The signer's own links are gone with the data.
    for token in tokens:
        assert client.get(f"/s/{token}/remove").status_code == 404
    assert petition.personal_data_removed_at is not None
    # Nothing personal on the public page (the recent supporters list held first names).
    assert "Given" not in client.get(f"/p/{petition.slug}").get_data(as_text=True)


def test_runs_again_without_changing_anything(app, runner, make_petition, make_signature):
    petition = closed_petition(make_petition)
    sign_many(make_signature, petition)
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    removed_at = db.session.get(type(petition), petition.id).personal_data_removed_at
    again = runner.invoke(args=["retention", "run"])
    assert again.exit_code == 0, again.output
    assert "of 0 signatures and 0 attendees" in again.output
    db.session.expire_all()
    assert petition.personal_data_removed_at == removed_at


def test_dry_run_changes_nothing(app, runner, make_petition, make_signature):
    petition = closed_petition(make_petition)
    sign_many(make_signature, petition)
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would remove the personal data of 11 signatures" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Signature.email).limit(1)).endswith("@example.org")
    assert petition.personal_data_removed_at is None


def test_negative_days_are_refused(app, runner, make_petition, make_signature):
    petition = closed_petition(make_petition)
    make_signature(petition)
    result = runner.invoke(args=["retention", "run", "--days", "-1"])
    assert result.exit_code == 2
    assert "0 or more" in result.output
    result = runner.invoke(args=["retention", "run", "--days", "many"])
    assert result.exit_code == 2
    assert db.session.scalar(select(Signature.email)).endswith("@example.org")


def test_open_and_recent_petitions_keep_their_data_and_remove_links(
    app, client, runner, make_petition, make_signature
):
    open_one = make_petition()
    recent = closed_petition(make_petition, ago=timedelta(days=30))
    old_but_own_year = closed_petition(make_petition, retention_days=365)
    kept = [make_signature(p) for p in (open_one, recent, old_but_own_year)]
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "of 0 signatures" in result.output
    db.session.expire_all()
    assert all(s.email.endswith("@example.org") for s in kept)
    # Until its data is removed, a signer of a closed petition can still take their name off.
    page = client.get(f"/s/{kept[1].token}/remove")
    assert page.status_code == 200
    assert client.post(f"/s/{kept[1].token}/remove").status_code == 200
    assert db.session.get(Signature, kept[1].id) is None


def test_days_option_overrides_every_setting(app, runner, make_petition, make_signature):
    recent = closed_petition(make_petition, ago=timedelta(days=3), retention_days=365)
    s = make_signature(recent)
    assert "of 0 signatures" in runner.invoke(args=["retention", "run", "--days", "5"]).output
    result = runner.invoke(args=["retention", "run", "--days", "2"])
    assert "of 1 signatures" in result.output, result.output
    db.session.expire_all()
    assert s.email == ""


def test_deadline_and_delivery_start_the_clock(
    app, runner, make_petition, make_signature, make_user
):
    long_ago = utcnow() - LONG_AGO
    past_deadline = make_petition(deadline=long_ago, published_at=long_ago - timedelta(days=9))
    delivered_late = closed_petition(make_petition)
    set_delivered(delivered_late, True, make_user())
    db.session.commit()
    a, b = make_signature(past_deadline), make_signature(delivered_late)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert a.email == ""  # ended at its deadline, 200 days ago
    assert b.email.endswith("@example.org")  # delivered today: 180 days from now


def test_attendees_of_past_events_lose_their_data(app, client, runner, make_event, make_attendee):
    start = utcnow() - LONG_AGO
    old = make_event(starts_at=start, ends_at=start + timedelta(hours=2))
    coming = make_event()
    gone, gone_token = make_attendee(old, phone="860-555-0100", number=1234, ticket_sealed="x")
    gone.checked_in_at = start + timedelta(minutes=5)
    walkup, _ = make_attendee(old, walk_up=True)
    stays, stays_token = make_attendee(coming)
    db.session.commit()
    assert client.get(f"/t/{gone_token}").status_code == 200

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "2 attendees" in result.output

    db.session.expire_all()
    for a in (gone, walkup):
        assert (a.name, a.email, a.phone, a.postal_code, a.waitlist_number) == (
            "",
            "",
            "",
            "",
            None,
        )
        assert a.token_hash == f"removed:{a.id}" and a.ticket_sealed == ""
    assert gone.checked_in_at is not None and walkup.walk_up  # attendance numbers stay
    assert db.session.scalar(select(Attendee.name).where(Attendee.id == stays.id)) == "Ana Rivera"
    assert client.get(f"/t/{gone_token}").status_code == 404
    assert client.get(f"/t/{stays_token}").status_code == 200


def test_stored_packet_files_are_deleted_and_their_record_kept(
    app, client, runner, make_petition, make_signature, organizer, tmp_path
):
    from petitions.packets.build import PacketRequest
    from petitions.packets.storage import make_and_store

    petition = closed_petition(make_petition)
    make_signature(petition)
    add_official("Ana Rivera", towns=["Hartford"])
    record = make_and_store(petition, PacketRequest(), user=organizer)
    db.session.commit()
    from petitions.packets.storage import stored_file

    path = stored_file(record)
    assert path is not None and path.is_file()

    result = runner.invoke(args=["retention", "run"])
    assert "1 packet files" in result.output, result.output
    assert not path.exists()
    db.session.expire_all()
    kept = db.session.get(PacketRecord, record.id)
    assert kept.signature_count == 1 and kept.sha256 == record.sha256 and not kept.downloadable


def test_dashboard_shows_when_the_data_will_be_removed(
    app, client, organizer, make_petition, make_signature
):
    petition = closed_petition(make_petition, ago=timedelta(days=10))
    page = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    removal = utc_to_local(petition.closed_at + timedelta(days=180), zone()).strftime("%b %-d, %Y")
    assert "Personal data will be removed on" in page and removal in page

    open_one = make_petition()
    page = client.get(f"/manage/p/{open_one.slug}").get_data(as_text=True)
    assert "180 days after the petition closes" in page


def test_organizers_set_a_petition_s_own_retention(client, organizer, csrf, make_petition):
    from tests.test_manage_petitions import form_data

    petition = make_petition(slug="own-days")
    token = csrf("/manage/p/own-days/edit")
    r = client.post(
        "/manage/p/own-days/edit", data=form_data(token, slug="own-days", retention_days="-5")
    )
    assert r.status_code == 400 and "Use 0 to 3,650 days." in r.get_data(as_text=True)
    r = client.post(
        "/manage/p/own-days/edit", data=form_data(token, slug="own-days", retention_days="30")
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert petition.retention_days == 30
    assert "30 days after the petition closes" in client.get("/manage/p/own-days").get_data(
        as_text=True
    )
    edit = client.get("/manage/p/own-days/edit").get_data(as_text=True)
    assert 'name="retention_days"' in edit and 'value="30"' in edit


def test_organizers_set_an_event_s_own_retention(client, organizer, csrf, make_event):
    from tests.test_events_manage import event_form

    event = make_event(slug="spring-march")
    url = "/manage/e/spring-march/edit"
    bad = client.post(
        url, data=dict(event_form(slug="spring-march", retention_days="-1"), csrf_token=csrf())
    )
    assert bad.status_code == 400 and "Use 0 to 3,650 days." in bad.get_data(as_text=True)
    r = client.post(
        url, data=dict(event_form(slug="spring-march", retention_days="14"), csrf_token=csrf())
    )
    assert r.status_code == 302
    db.session.refresh(event)
    assert event.retention_days == 14
    assert "14 days after the event" in client.get("/manage/e/spring-march").get_data(as_text=True)
    # Once it is over, the dashboard gives the date.
    event.starts_at, event.ends_at = utcnow() - timedelta(days=3), utcnow() - timedelta(days=2)
    db.session.commit()
    removal = utc_to_local(event.ends_at + timedelta(days=14), event.timezone).strftime(
        "%b %-d, %Y"
    )
    page = client.get("/manage/e/spring-march").get_data(as_text=True)
    assert f"will be removed on {removal}" in page


def test_a_reopened_petition_keeps_its_new_signers_data(
    client, organizer, csrf, runner, make_petition, make_signature
):
    petition = closed_petition(make_petition, slug="again")
    old = make_signature(petition)
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    r = client.post("/manage/p/again/reopen", data={"csrf_token": csrf("/manage/")})
    assert r.status_code == 302
    db.session.expire_all()
    assert petition.personal_data_removed_at is None and old.email == ""
    new = make_signature(petition)
    assert "of 0 signatures" in runner.invoke(args=["retention", "run"]).output
    db.session.expire_all()
    assert new.email.endswith("@example.org")
    page = client.get("/manage/p/again").get_data(as_text=True)
    assert "kept until 180 days after the petition closes" in page


def test_zero_days_means_at_once(client, organizer, runner, make_petition, make_signature):
    petition = closed_petition(make_petition, ago=timedelta(hours=1), retention_days=0)
    s = make_signature(petition)
    page = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    assert "(0 days after the petition ended)" in page
    assert "of 1 signatures" in runner.invoke(args=["retention", "run"]).output
    db.session.expire_all()
    assert s.email == ""


def test_people_go_with_their_last_personal_data(
    app, runner, make_petition, make_signature, make_event, make_attendee
):
    """A person (the holder of an email, for the OSDI API) is deleted when retention
    removes the last signature or RSVP holding their data; one who still signed an open
    petition, or RSVPed an upcoming event, stays."""
    from petitions.core import people
    from petitions.models import Person

    old = closed_petition(make_petition)
    open_one = make_petition()
    make_signature(old, "Only", "Old", email="only-old@example.org")
    make_signature(old, "Both", "Ways", email="both@example.org")
    make_signature(open_one, "Both", "Ways", email="both@example.org")
    make_signature(old, "Goes", "ToRally", email="rally@example.org")
    upcoming = make_event()
    make_attendee(upcoming, name="Goes ToRally", email="rally@example.org")
    people.link_unlinked()
    db.session.commit()
    assert db.session.scalar(select(func.count(Person.id))) == 3

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    left = sorted(db.session.scalars(select(Person.email_key)))
    assert left == ["both@example.org", "rally@example.org"]
    linked = select(Signature.email_key).where(Signature.person_id.is_not(None))
    assert db.session.scalars(linked).all() == ["both@example.org"]  # the open petition's
    assert db.session.scalar(select(Attendee.person_id)) is not None
