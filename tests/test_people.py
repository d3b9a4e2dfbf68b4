"""People (models.person): every way a signature or RSVP is stored links it to the
holder of its email, in the same transaction; households share one person; rows
without an email have none; the migration backfills the rows stored before."""

import sqlite3

from sqlalchemy import func, select

from petitions import create_app
from petitions.core.extensions import db
from petitions.models import Attendee, Person, Signature
from petitions.models.base import utcnow
from petitions.operations.demo import add_fake_attendees, add_fake_signatures
from petitions.paper import imports
from petitions.paper.services import Entry, record_paper_signature
from petitions.rallies.rsvp import rsvp, sign_in
from tests.test_signing_flow import sign_post


def _person(email_key: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email_key == email_key))


def test_the_sign_form_links_its_signer_and_households_share_one_person(client, make_petition):
    petition = make_petition()
    assert sign_post(client, petition, email="Ana@Example.org").status_code == 302
    assert (
        sign_post(client, petition, given_name="Luis", email="ana@example.org").status_code == 302
    )
    db.session.expire_all()
    ana = _person("ana@example.org")
    assert (ana.given_name, ana.family_name, ana.postal_code, ana.locality) == (
        "Ana",
        "Díaz",
        "06106",
        "Hartford",
    )
    assert ana.email == "Ana@Example.org"  # as first given
    links = db.session.scalars(select(Signature.person_id)).all()
    assert links == [ana.id, ana.id]
    assert db.session.scalar(select(func.count(Person.id))) == 1


def test_paper_entries_and_imports_link_those_with_an_email(client, organizer, make_petition):
    petition = make_petition()
    record_paper_signature(
        petition,
        Entry(given_name="Wei", family_name="Chen", email="wei@example.org", postal_code="06107"),
    )
    record_paper_signature(
        petition, Entry(given_name="No", family_name="Email", postal_code="06107")
    )
    data = b"first_name,last_name,email,zip_code\nRosa,Vega,rosa@example.org,06106\nWei,Chen,WEI@example.org,06107\n"
    report = imports.analyse(petition, data)
    imports.import_rows(petition, report)
    db.session.commit()
    rows = {
        s.given_name + " " + s.email: s.person_id
        for s in db.session.scalars(select(Signature).order_by(Signature.id))
    }
    assert rows["No "] is None
    assert rows["Rosa rosa@example.org"] == _person("rosa@example.org").id
    assert db.session.scalar(select(func.count(Person.id))) == 2  # Wei once


def test_rsvps_and_poster_sign_ins_link_their_person(make_event, make_petition):
    event = make_event(make_petition())
    rsvp(event, given_name="Ana", family_name="Rivera", email="ana@example.org",
         postal_code="06106", sign=True)  # fmt: skip
    walk_up = make_event(starts_at=utcnow())  # the poster's sign-in is open
    sign_in(walk_up, given_name="Bo", family_name="Li", email="bo@example.org",
            postal_code="06105")  # fmt: skip
    db.session.commit()
    ana, bo = _person("ana@example.org"), _person("bo@example.org")
    links = dict(db.session.execute(select(Attendee.email_key, Attendee.person_id)).all())
    assert links == {"ana@example.org": ana.id, "bo@example.org": bo.id}
    # The RSVP's signature of the linked petition is the same person.
    assert db.session.scalar(select(Signature.person_id)) == ana.id


def test_demo_bulk_inserts_link_everyone(make_petition, make_event):
    petition = make_petition()
    add_fake_signatures(petition, 300)
    add_fake_attendees(make_event(), 50)
    db.session.commit()
    unlinked = select(func.count(Signature.id)).where(Signature.person_id.is_(None))
    assert db.session.scalar(unlinked) == 0
    assert (
        db.session.scalar(select(func.count(Attendee.id)).where(Attendee.person_id.is_(None))) == 0
    )
    assert db.session.scalar(select(func.count(Person.id))) >= 300


def test_the_migration_backfills_people_from_the_rows_before_it(tmp_path):
    path = tmp_path / "old.sqlite3"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "kiosk_0001"]).exit_code == 0
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO petitions (id, slug, title, summary, body, addressed_to, title_es,"
        " summary_es, body_es, addressed_to_es, goal, status, sponsors, ask_waitlist,"
        " waitlist_label, waitlist_label_es, require_confirmation, created_at, updated_at)"
        " VALUES (1, 'old', 'Old', '', '', '', '', '', '', '', 10, 'published', '', 0, '', '',"
        " 0, '2026-01-01', '2026-01-01')"
    )
    for i, (given, email) in enumerate(
        [
            ("Ana", "ana@example.org"),
            ("Luis", "ana@example.org"),
            ("Wei", ""),
            ("Bo", "bo@example.org"),
        ]
    ):
        conn.execute(
            "INSERT INTO signatures (petition_id, given_name, family_name, email, email_key,"
            " name_key, postal_code, town, role, comment, show_name, opt_in, language, source,"
            " created_at, hidden, flagged, token) VALUES (1, ?, 'X', ?, ?, ?, '06106',"
            " 'Hartford', '', '', 0, 0, 'es', 'online', '2026-01-02', 0, '', ?)",
            (given, email, email or f"@no-email:{i}", given.lower(), f"tok{i}"),
        )
    conn.commit()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    people = conn.execute(
        "SELECT email_key, given_name, locality, language FROM people ORDER BY email_key"
    ).fetchall()
    assert people == [
        ("ana@example.org", "Ana", "Hartford", "es"),
        ("bo@example.org", "Bo", "Hartford", "es"),
    ]
    links = conn.execute(
        "SELECT s.given_name, p.email_key FROM signatures s LEFT JOIN people p"
        " ON p.id = s.person_id ORDER BY s.id"
    ).fetchall()
    assert links == [
        ("Ana", "ana@example.org"),
        ("Luis", "ana@example.org"),
        ("Wei", None),
        ("Bo", "bo@example.org"),
    ]
    conn.close()
