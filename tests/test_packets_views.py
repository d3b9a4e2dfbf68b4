"""Packets from the organizer pages: panel, targets, generation, history, delivery,
stories, background jobs (in-process and on RQ with a real Redis)."""

import hashlib
import re
import time

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models.packet import PacketJob, PacketRecord
from petitions.packets import officials as officials_service
from tests.conftest import csrf_from
from tests.packets_helpers import add_official, add_signer, pdf_text_pages


@pytest.fixture
def setup(make_petition):
    petition = make_petition(title="Magnet seats now")
    rivera = add_official("Ana Rivera", towns=["Hartford"], title="Rep.")
    chen = add_official("Wei Chen", zips=["06002"], title="Sen.")
    for i in range(12):
        add_signer(petition, f"H{i}", f"Hfam{i}", "06106", "Hartford")
    for i in range(5):
        add_signer(petition, f"B{i}", f"Bfam{i}", "06002", "Bloomfield")
    for i in range(3):
        add_signer(petition, f"M{i}", f"Mfam{i}", "06040", "Manchester")
    add_signer(petition, "Kind", "Storyteller", "06106", "Hartford",
               comment="My son waited three years for a seat.", show_name=True)  # fmt: skip
    add_signer(petition, "Shy", "Anonymous", "06106", "Hartford",
               comment="Private words, not to be printed.", show_name=False)  # fmt: skip
    db.session.commit()
    return petition, rivera, chen


def _page(client, petition):
    return client.get(f"/manage/p/{petition.slug}/packets")


def _generate(client, petition, **fields):
    token = csrf_from(_page(client, petition).get_data(as_text=True))
    data = {"csrf_token": token, "official": "", "scope": "constituents", "paper": "letter",
            "sort_order": ""}  # fmt: skip
    data.update(fields)
    return client.post(f"/manage/p/{petition.slug}/packets/generate", data=data)


def _set_targets(client, petition, ids):
    token = csrf_from(_page(client, petition).get_data(as_text=True))
    return client.post(f"/manage/p/{petition.slug}/packets/targets",
                       data={"csrf_token": token, "officials": [str(i) for i in ids],
                             "next": f"/manage/p/{petition.slug}/packets"})  # fmt: skip


def _pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / f"{hashlib.sha256(data).hexdigest()[:8]}.pdf"
    path.write_bytes(data)
    return "\n".join(pdf_text_pages(path))


def test_targets_and_counts_per_official_on_the_panel(client, organizer, setup):
    petition, rivera, chen = setup
    html = _page(client, petition).get_data(as_text=True)
    assert "No officials chosen yet" in html
    response = _set_targets(client, petition, [rivera.id, chen.id])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/p/{petition.slug}/packets")
    html = _page(client, petition).get_data(as_text=True)
    rows = dict(
        re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td><td class=\"num\">([\d,]+)</td></tr>", html)
    )
    assert rows == {"Rep. Ana Rivera": "14", "Sen. Wei Chen": "5"}
    assert re.search(r"outside all of these areas</td><td class=\"num\">3<", html)
    assert officials_service.counts_by_official(petition.id) == {rivera.id: 14, chen.id: 5}
    # An unknown official id is refused, not a 500.
    assert _set_targets(client, petition, [99999]).status_code == 400


def test_generate_download_record_and_history(client, organizer, setup, tmp_path):
    petition, rivera, chen = setup
    _set_targets(client, petition, [rivera.id, chen.id])
    response = _generate(client, petition, official=str(rivera.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    text = _pdf_text(tmp_path, data)
    for i in range(12):
        assert text.count(f"Hfam{i}, H{i}") == 1
    assert "Bfam0" not in text and "Mfam0" not in text
    assert "My son waited three years" in text  # consented story
    assert "Private words" not in text  # no consent to show the name: no story

    record = db.session.scalar(select(PacketRecord))
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.signature_count == 14 and record.user_id == organizer.id
    assert record.official_id == rivera.id and record.source == "web"
    html = _page(client, petition).get_data(as_text=True)
    assert record.sha256 in html and "Constituents of Rep. Ana Rivera" in html
    again = client.get(f"/manage/p/{petition.slug}/packets/{record.id}.pdf")
    assert again.status_code == 200 and again.get_data() == data

    # Combined (default choice with targets) and everyone, on A4.
    response = _generate(client, petition, paper="a4")
    assert response.status_code == 200
    text = _pdf_text(tmp_path, response.get_data())
    assert "Hfam0, H0" in text and "Bfam0, B0" in text and "Mfam0" not in text
    response = _generate(client, petition, official=str(chen.id), scope="everyone")
    assert "Mfam0, M0" in _pdf_text(tmp_path, response.get_data())
    assert db.session.scalar(select(func.count(PacketRecord.id))) == 3


def test_packet_from_a_spanish_session_is_in_english(client, organizer, make_petition, tmp_path):
    petition = make_petition(title="Magnet seats now")
    for i in range(3):
        add_signer(petition, f"P{i}", f"Pfam{i}", role="parent")
    add_signer(petition, "S", "Sfam", role="student")
    db.session.commit()
    client.get(f"/manage/p/{petition.slug}/packets?lang=es")  # the language cookie is set
    response = _generate(client, petition, scope="everyone")
    assert response.status_code == 200
    text = _pdf_text(tmp_path, response.get_data())
    assert re.search(r"Parent or guardian\s+3", text) and re.search(r"Student\s+1", text)
    assert "Madre" not in text and "Estudiante" not in text


def test_no_signers_and_bad_choices_are_4xx_with_a_message(client, organizer, setup, make_petition):
    petition, rivera, _ = setup
    lonely = add_official("Empty Seat", towns=["Nowhere"])
    _set_targets(client, petition, [rivera.id, lonely.id])
    response = _generate(client, petition, official=str(lonely.id))
    assert response.status_code == 422
    assert "No counted signatures match" in response.get_data(as_text=True)
    # An official that is not one of the petition's targets is not a choice.
    assert _generate(client, petition, official="99999").status_code == 400
    assert _generate(client, petition, paper="legal").status_code == 400
    empty = make_petition()
    response = _generate(client, empty)
    assert response.status_code == 422 and "no counted signatures" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(PacketRecord.id))) == 0
    assert client.get(f"/manage/p/{petition.slug}/packets/999.pdf").status_code == 404
    assert client.get("/manage/p/nope/packets").status_code == 404


def test_settings_cover_letter_and_story_exclusion(client, organizer, setup, tmp_path):
    petition, rivera, _ = setup
    _set_targets(client, petition, [rivera.id])
    url = f"/manage/p/{petition.slug}/packets/settings"
    token = csrf_from(client.get(url).get_data(as_text=True))
    letter = "Dear {official},\n\n{signers} ask you to act on “{title}”. {unknown} stays.\n\nSigned, {sponsors}"
    response = client.post(
        url, data={"csrf_token": token, "cover_letter": letter, "sort_order": "date"}
    )
    assert response.status_code == 302
    stories = client.get(f"/manage/p/{petition.slug}/packets/stories").get_data(as_text=True)
    assert "My son waited three years" in stories and "Private words" not in stories
    sig_id = re.search(r'id="s(\d+)"', stories).group(1)
    token = csrf_from(stories)
    response = client.post(f"/manage/p/{petition.slug}/packets/stories/{sig_id}",
                           data={"csrf_token": token, "excluded": "1"})  # fmt: skip
    assert response.status_code == 302
    assert "Left out of packets" in client.get(
        f"/manage/p/{petition.slug}/packets/stories"
    ).get_data(as_text=True)
    text = _pdf_text(tmp_path, _generate(client, petition, official=str(rivera.id)).get_data())
    assert "Dear Rep. Ana Rivera," in text
    assert "14 of your constituents ask you to act on “Magnet seats now”. {unknown} stays." in text
    assert "My son waited three years" not in text
    assert "by date signed" in text
    assert client.post(f"/manage/p/{petition.slug}/packets/stories/999999",
                       data={"csrf_token": token, "excluded": "1"}).status_code == 404  # fmt: skip


def test_mark_delivered_and_undo(client, organizer, setup):
    petition, *_ = setup
    token = csrf_from(_page(client, petition).get_data(as_text=True))
    response = client.post(f"/manage/p/{petition.slug}/packets/delivered",
                           data={"csrf_token": token, "delivered": "1", "note": "Handed to the clerk"})  # fmt: skip
    assert response.status_code == 302
    html = _page(client, petition).get_data(as_text=True)
    assert "Delivered " in html and "Handed to the clerk" in html
    client.post(f"/manage/p/{petition.slug}/packets/delivered",
                data={"csrf_token": token, "delivered": "0"})  # fmt: skip
    assert "Handed to the clerk" not in _page(client, petition).get_data(as_text=True)
    too_long = client.post(f"/manage/p/{petition.slug}/packets/delivered",
                           data={"csrf_token": token, "delivered": "1", "note": "x" * 400})  # fmt: skip
    assert too_long.status_code == 400


def test_packet_pages_need_an_organizer_and_csrf(client, csrf, make_user, login, setup):
    petition, rivera, _ = setup
    base = f"/manage/p/{petition.slug}/packets"
    gets = [base, f"{base}/settings", f"{base}/stories", f"{base}/1.pdf", f"{base}/jobs/1",
            f"{base}/jobs/1.json"]  # fmt: skip
    posts = [f"{base}/generate", f"{base}/targets", f"{base}/delivered", f"{base}/settings",
             f"{base}/stories/1"]  # fmt: skip
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    for url in posts:
        response = client.post(url, data={"csrf_token": csrf(), "official": str(rivera.id)})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    login(make_user("volunteer"))
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, data={"csrf_token": csrf()}).status_code == 403, url
    login(make_user("organizer"))
    for url in posts:
        assert client.post(url, data={"official": ""}).status_code == 400, url
    assert db.session.scalar(select(func.count(PacketRecord.id))) == 0


def _status(client, petition, job_id):
    # The app fixture's context makes test requests share one session; a real request gets
    # a fresh one. End its read transaction so the poll sees what the worker committed.
    db.session.rollback()
    return client.get(f"/manage/p/{petition.slug}/packets/jobs/{job_id}.json").get_json()


def _wait_for_job(client, petition, job_id, limit=120):
    deadline = time.monotonic() + limit  # a safety net for a hung job, not a timing assertion
    while True:
        status = _status(client, petition, job_id)
        if status["status"] in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_large_packet_runs_as_a_background_job_in_process(client, organizer, setup, app, tmp_path):
    petition, rivera, _ = setup
    app.config["PACKET_BACKGROUND_THRESHOLD"] = 5
    _set_targets(client, petition, [rivera.id])
    response = _generate(client, petition, official=str(rivera.id))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(re.search(r"/jobs/(\d+)$", job_url).group(1))
    page = client.get(job_url).get_data(as_text=True)
    assert "<progress" in page and "packet-job.js" in page
    status = _wait_for_job(client, petition, job_id)
    assert status["status"] == "done", status
    assert status["percent"] == 100 and status["total"] == 14 and status["done"] == 14
    job = db.session.get(PacketJob, job_id)
    assert job.backend == "thread"
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.get_data()).hexdigest() == job.record.sha256
    assert job.record.source == "job" and job.record.user_id == organizer.id
    assert "Hfam3, H3" in _pdf_text(tmp_path, download.get_data())
    # Without JavaScript the finished page offers the download link itself.
    page = client.get(job_url).get_data(as_text=True)
    assert status["download_url"] in page and "http-equiv" not in page

    # A job that cannot be made ends as failed with the reason.
    lonely = add_official("Nobody Here", towns=["Nowhere"])
    _set_targets(client, petition, [rivera.id, lonely.id])
    app.config["PACKET_BACKGROUND_THRESHOLD"] = 0
    response = _generate(client, petition, official=str(lonely.id), scope="everyone")
    status = _wait_for_job(client, petition, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert status["status"] == "done"  # everyone who signed, addressed to them
    app.config["PACKET_BACKGROUND_THRESHOLD"] = -1  # even an empty packet goes to a job
    response = _generate(client, petition, official=str(lonely.id))
    status = _wait_for_job(client, petition, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert status["status"] == "failed" and "No counted signatures match" in status["message"]
    assert "download_url" not in status


@pytest.fixture
def redis_conn(redis_url):
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def test_large_packet_runs_on_an_rq_worker(
    client, organizer, setup, app, redis_conn, redis_url, tmp_path
):
    from rq import Queue, SimpleWorker

    petition, rivera, _ = setup
    app.config.update(PACKET_BACKGROUND_THRESHOLD=5, REDIS_URL=redis_url)
    _set_targets(client, petition, [rivera.id])
    response = _generate(client, petition, official=str(rivera.id))
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    status = _status(client, petition, job_id)
    assert status["status"] == "queued"  # nothing runs it until a worker does
    assert db.session.get(PacketJob, job_id).backend == "rq"
    queue = Queue("packets", connection=redis_conn)
    assert queue.count == 1
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    status = _status(client, petition, job_id)
    assert status["status"] == "done", status
    download = client.get(status["download_url"])
    text = _pdf_text(tmp_path, download.get_data())
    for i in range(12):
        assert text.count(f"Hfam{i}, H{i}") == 1


def test_dashboard_shows_the_panel_and_counts_take_one_query(client, organizer, setup, app):
    from sqlalchemy import event

    petition, rivera, chen = setup
    extra = [add_official(f"Board Member {i}", towns=["Hartford"]) for i in range(3)]
    _set_targets(client, petition, [rivera.id, chen.id] + [o.id for o in extra])
    html = client.get(f"/manage/p/{petition.slug}").get_data(as_text=True)
    assert "Delivery to officials" in html and "Rep. Ana Rivera" in html
    assert "Make packet (PDF)" in html
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = officials_service.counts_by_official(petition.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert counts[extra[0].id] == 14 and counts[chen.id] == 5
    index = client.get("/manage/").get_data(as_text=True)
    assert "/manage/officials" in index
