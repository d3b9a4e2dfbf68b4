"""Packet files kept on the server (instance/packets/) and the record of each packet:
who, when, what and the SHA-256."""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Petition
from petitions.models.base import utcnow
from petitions.models.packet import PacketRecord
from petitions.packets.build import GeneratedPacket, PacketError, PacketRequest, generate_packet

# Writes that fail because of where the file goes, not because of the packet.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})
DISK_FULL = (
    "The packet could not be saved: the server's disk is full (or refuses writes). "
    "Nothing was kept. Free some space, or ask the site's administrator, then try again."
)


def packets_dir() -> Path:
    path = Path(current_app.instance_path) / "packets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_packet_path(petition: Petition) -> tuple[Path, str]:
    """(absolute path, name relative to instance/packets/) for a packet file kept on the server."""
    name = f"{petition.slug}-{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.pdf"
    return packets_dir() / name, name


def stored_file(record: PacketRecord) -> Path | None:
    if not record.downloadable:
        return None
    path = (packets_dir() / record.file_path).resolve()
    if path.parent != packets_dir().resolve() or not path.is_file():
        return None
    return path


def record_packet(petition: Petition, gen: GeneratedPacket, file_path: str, source: str,
                  user=None) -> PacketRecord:  # fmt: skip
    record = PacketRecord(
        petition_id=petition.id,
        official_id=gen.official_id,
        addressed_to=gen.addressed_to,
        scope=gen.scope,
        filter_text=gen.filter_text,
        sort_order=gen.sort_order,
        paper=gen.paper,
        show_waitlist_numbers=gen.show_waitlist_numbers,
        signature_count=gen.result.rows,
        page_count=gen.result.pages,
        sha256=gen.sha256,
        size_bytes=gen.size,
        file_path=file_path,
        source=source,
        user_id=user.id if user is not None else None,
    )
    db.session.add(record)
    return record


@contextmanager
def written_whole(final: Path) -> Iterator:
    """A file to write that appears under `final` only once complete: it is written
    beside it and renamed at the end, so a full disk or a killed process never leaves a
    half-written packet under its final name. A write the disk refuses is a PacketError
    with a message that says so."""
    fd, tmp = tempfile.mkstemp(prefix=".packet-", suffix=".part", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, final)
    except OSError as e:
        if e.errno in DISK_ERRORS:
            raise PacketError(DISK_FULL) from e
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def make_and_store(petition: Petition, req: PacketRequest, user=None, source="web",
                   progress=None, total_cb=None) -> PacketRecord:  # fmt: skip
    """Render into instance/packets/ and record it (the caller commits). On a PacketError
    (a full disk included) no file is left behind."""
    path, name = new_packet_path(petition)
    author = (user.name or user.email) if user is not None else ""
    with written_whole(path) as f:
        gen = generate_packet(petition, req, f, progress, total_cb, author=author)
    return record_packet(petition, gen, name, source, user)


def history(petition: Petition, limit: int = 50) -> list[PacketRecord]:
    return list(
        db.session.scalars(
            select(PacketRecord)
            .where(PacketRecord.petition_id == petition.id)
            .order_by(PacketRecord.created_at.desc(), PacketRecord.id.desc())
            .limit(limit)
        )
    )
