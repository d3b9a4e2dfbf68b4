"""A full disk while a packet is written: a clear error on the job page, the web page and
the CLI, and no file left under its final name (nor a part of one).

The disk is a real small tmpfs, filled up, mounted where the packets go (this needs the
right to mount: as root, as in CI's container; elsewhere the tests are skipped)."""

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models.packet import PacketRecord
from petitions.packets.storage import DISK_FULL
from tests import test_packets_views
from tests.test_packets_views import _generate, _set_targets, _wait_for_job

setup = test_packets_views.setup  # the petition, its signers and officials, as a fixture

MESSAGE = "the server&#39;s disk is full"


@pytest.fixture
def full_disk(tmp_path):
    """A mount point with a 64 KiB tmpfs on it, all but a few KiB taken by a filler."""
    where = tmp_path / "full"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (where / "filler").write_bytes(b"x" * 56 * 1024)
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.fixture
def packets_on_full_disk(app, full_disk):
    packets = full_disk / "packets"
    packets.mkdir()
    (Path(app.instance_path) / "packets").symlink_to(packets)  # where the app keeps packets
    return packets


def test_packet_job_on_a_full_disk_fails_clearly(
    client, organizer, setup, app, packets_on_full_disk
):
    petition, rivera, _ = setup
    _set_targets(client, petition, [rivera.id])
    app.config["PACKET_BACKGROUND_THRESHOLD"] = 0  # a background job
    response = _generate(client, petition, official=str(rivera.id))
    job_url = response.headers["Location"]
    status = _wait_for_job(client, petition, int(job_url.rsplit("/", 1)[1]))
    assert status["status"] == "failed"
    assert status["message"] == DISK_FULL
    assert MESSAGE in client.get(job_url).get_data(as_text=True)
    assert list(packets_on_full_disk.iterdir()) == []
    assert db.session.scalar(select(func.count(PacketRecord.id))) == 0


def test_packet_on_the_page_on_a_full_disk_is_a_clear_422(
    client, organizer, setup, app, packets_on_full_disk
):
    petition, rivera, _ = setup
    _set_targets(client, petition, [rivera.id])
    response = _generate(client, petition, official=str(rivera.id))
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    assert list(packets_on_full_disk.iterdir()) == []


def test_packet_cli_on_a_full_disk(runner, setup, full_disk):
    petition, rivera, _ = setup
    output = full_disk / "packet.pdf"
    result = runner.invoke(
        args=["packet", petition.slug, "--official", str(rivera.id), "-o", str(output)]
    )
    assert result.exit_code == 1
    assert DISK_FULL in result.output
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]
