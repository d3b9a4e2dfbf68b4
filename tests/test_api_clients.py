"""The real clients against a live gunicorn: Parsons' ActionNetwork connector and the
`osdi` client (both from PyPI), pointed at this server by their base URL only. Runs on
SQLite and, in the PostgreSQL pass, on PostgreSQL (the suite's own database)."""

import logging
import os
import sys
import urllib.request

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, Person, Signature
from petitions.petition.signing import sign_petition
from petitions.rallies.rsvp import rsvp
from tests.api_helpers import person_body, token_for
from tests.deploy_helpers import ROOT
from tests.processes import Processes, free_port, wait_for

parsons = pytest.importorskip("parsons")
osdi_service = pytest.importorskip("osdi.action_network.service")

SIGNERS = 60  # three pages of 25


@pytest.fixture
def live_api(app, database_url, tmp_path):
    """gunicorn (2 sync workers) on the test database; yields the API's base URL."""
    db.session.remove()
    db.engine.dispose()
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "live-api-secret",
        "DATABASE_URL": database_url,
        "PETITIONS_INSTANCE": str(tmp_path / "live"),
        "FLASK_API_PAGE_CACHE_SECONDS": "0",  # each test writes, then reads at once
        "FLASK_COUNT_CACHE_SECONDS": "0",
        "FLASK_SESSION_COOKIE_SECURE": "false",
    }
    procs = Processes(tmp_path)
    argv = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
            "petitions:create_app()"]  # fmt: skip
    procs.start("gunicorn", argv, env)
    base = f"http://127.0.0.1:{port}"

    def up():
        if procs.started[0].poll() is not None:
            pytest.fail(procs.log("gunicorn"))
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_for("gunicorn", up)
        yield f"{base}/api/osdi/v1"
    finally:
        procs.stop_all()


@pytest.fixture
def seeded(app, make_user, make_petition, make_event):
    admin = make_user("admin")
    petition = make_petition(created_by_id=admin.id)
    for i in range(SIGNERS):
        sign_petition(
            petition,
            given_name="Signer",
            family_name=f"Number {i}",
            email=f"signer{i}@example.org",
            postal_code="06106",
        )
    event = make_event(petition)
    rsvp(event, given_name="Ana", family_name="Rivera", email="ana@example.org",
         postal_code="06106")  # fmt: skip
    db.session.commit()
    return {"token": token_for(admin), "petition": petition.id, "event": event.id}


def _parsons(base: str, token: str):
    from parsons import ActionNetwork
    from parsons.utilities.api_connector import APIConnector

    an = ActionNetwork(api_token=token)
    an.api_url = base  # what the connector builds its own URLs from
    an.api = APIConnector(base, headers=an.headers)
    return an


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_parsons_reads_every_collection_and_writes(live_api, seeded, caplog):
    an = _parsons(live_api, seeded["token"])
    petitions = an.get_petitions()
    assert petitions.num_rows == 1
    assert petitions[0]["total_signatures"] == SIGNERS
    signatures = an.get_petition_signatures(seeded["petition"])  # every page, until empty
    assert signatures.num_rows == SIGNERS
    assert len({tuple(s["identifiers"]) for s in signatures}) == SIGNERS
    people = an.get_people()
    assert people.num_rows == SIGNERS + 1  # and the RSVP
    assert an.get_events().num_rows == 1
    attendances = an.get_event_attendances(seeded["event"])
    assert attendances.num_rows == 1 and attendances[0]["status"] == "accepted"

    # Upsert twice by email: one person, the name updated.
    with caplog.at_level(logging.ERROR):  # Parsons looks for an action_network: id
        first = an.upsert_person(email_address="new@example.org", given_name="Rosa",
                                 family_name="Vega", tags=["coalition"])  # fmt: skip
        second = an.upsert_person(email_address="New@Example.org", given_name="Rosalía",
                                  family_name="Vega")  # fmt: skip
    assert second["identifiers"] == first["identifiers"]
    assert second["given_name"] == "Rosalía"
    found = an.get_people(filter="email_address eq 'new@example.org'")
    assert found.num_rows == 1 and found[0]["given_name"] == "Rosalía"
    assert [t["name"] for t in an.get_tags()] == ["coalition"]

    # A signature, sent twice, is counted once (Parsons' create_signature sends its
    # payload as query parameters, so a data team posts the JSON itself).
    payload = person_body("rosa@example.org", given="Rosa", comments="For my daughter.")
    path = f"petitions/{seeded['petition']}/signatures"
    one = an.api.post_request(path, json=payload)
    two = an.api.post_request(path, json=payload)
    assert one["identifiers"] == two["identifiers"]
    assert an.get_petition(seeded["petition"])["total_signatures"] == SIGNERS + 1
    assert _count(Signature) == SIGNERS + 1

    # An attendance: an RSVP with a ticket.
    answer = an.api.post_request(
        f"events/{seeded['event']}/attendances", json=person_body("rosa@example.org")
    )
    assert answer["status"] == "accepted"
    with urllib.request.urlopen(answer["ticket_url"]) as ticket:
        assert ticket.status == 200
    assert an.get_event_attendances(seeded["event"]).num_rows == 2
    person_id = found[0]["_links"]["self"]["href"].rsplit("/", 1)[1]
    assert an.get_person(person_id)["email_addresses"][0]["address"] == "new@example.org"


def test_the_osdi_client_reads_people_follows_next_and_finds_by_email(live_api, seeded):
    from osdi.action_network.person import ANPerson
    from osdi.action_network.service import ActionNetworkService

    # It reads the tags first, with GETs carrying a null JSON body.
    service = ActionNetworkService(live_api, seeded["token"])
    service.model = ANPerson
    everyone = service.get_model_raw("people", "osdi:people")  # follows _links.next
    assert len(everyone) == SIGNERS + 1
    assert len({p["identifiers"][0] for p in everyone}) == SIGNERS + 1
    signatures = service.get_model_raw(
        f"petitions/{seeded['petition']}/signatures", "osdi:signatures"
    )
    assert len(signatures) == SIGNERS
    assert len(service.get_model_raw("petitions", "osdi:petitions")) == 1
    assert len(service.get_model_raw("events", "osdi:events")) == 1
    attendances = service.get_model_raw(f"events/{seeded['event']}/attendances", "osdi:attendances")
    assert len(attendances) == 1

    person = service.find_person(email="signer7@example.org")
    assert person is not None and person.email == "signer7@example.org"
    assert service.find_person(email="nobody@example.org") is None

    made = service.create_person("Luz", "Ortiz", "luz@example.org")
    again = service.create_person("Luz María", "Ortiz", "LUZ@example.org")
    assert made["identifiers"] == again["identifiers"]
    assert _count(Person) == SIGNERS + 2
    assert _count(Attendee) == 1
