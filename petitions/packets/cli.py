"""`flask --app wsgi packet SLUG [--official ID] [--paper letter|a4] -o FILE.pdf`"""

from pathlib import Path

import click
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Petition
from petitions.models.packet import SCOPE_CONSTITUENTS, SCOPE_EVERYONE
from petitions.packets.build import PacketError, PacketRequest, generate_packet
from petitions.packets.storage import record_packet, written_whole


@click.command("packet")
@click.argument("slug")
@click.option("--official", "official_id", type=int, default=None,
              help="Official id (see /manage/officials). Left out: a combined packet with a "
                   "section per target official, or everyone when the petition has none.")  # fmt: skip
@click.option("--everyone", is_flag=True,
              help="With --official: every signer, not only the official's constituents.")  # fmt: skip
@click.option("--paper", type=click.Choice(["letter", "a4"]), default="letter", show_default=True)
@click.option("--sort", "sort_order", type=click.Choice(["town", "date"]), default=None,
              help="Signature list order (default: the petition's packet setting, else town).")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def packet_command(slug, official_id, everyone, paper, sort_order, output):
    """Write a delivery packet PDF for petition SLUG and record it."""
    petition = db.session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        raise click.ClickException(f"No petition with slug {slug!r}.")
    scope = SCOPE_EVERYONE if everyone else SCOPE_CONSTITUENTS
    req = PacketRequest(official_id=official_id, scope=scope, paper=paper, sort_order=sort_order)
    output = output.expanduser().resolve()
    if not output.parent.is_dir():
        raise click.ClickException(f"Folder {output.parent} does not exist.")
    try:
        with written_whole(output) as f:
            gen = generate_packet(petition, req, f)
    except PacketError as e:
        raise click.ClickException(str(e)) from e
    record_packet(petition, gen, str(output), "cli")
    db.session.commit()
    click.echo(
        f"Wrote {output}: {gen.result.rows:,} signatures, {gen.result.pages:,} pages "
        f"({gen.filter_text}).\nSHA-256 {gen.sha256}"
    )
    for label in gen.skipped:
        click.echo(f"Left out (no signers from their towns or ZIP codes): {label}")
