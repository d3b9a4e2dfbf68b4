"""`flask --app wsgi badges SLUG|--event SLUG --stock STOCK -o FILE.pdf`"""

from contextlib import contextmanager

import click
from flask import current_app
from sqlalchemy import select

from petitions.badges import services as svc
from petitions.badges.pdf import render
from petitions.core.content import localized
from petitions.core.extensions import db
from petitions.models import Event, Petition

STOCK_HELP = "\n".join(f"  {key:<16} {stock.name}" for key, stock in svc.STOCKS.items())


@contextmanager
def _public_base_url(base_url: str | None):
    """--base-url stands in for PUBLIC_BASE_URL while the command builds its links."""
    config = current_app.config
    saved = config.get("PUBLIC_BASE_URL")
    if base_url:
        config["PUBLIC_BASE_URL"] = base_url
    try:
        yield
    finally:
        config["PUBLIC_BASE_URL"] = saved


def _stock(_ctx, _param, value):
    if value not in svc.STOCKS:
        raise click.BadParameter(svc.unknown_stock_message(value))
    return svc.STOCKS[value]


@click.command(
    "badges",
    epilog="\b\nStocks:\n" + STOCK_HELP,
    context_settings={"max_content_width": 110},
)
@click.argument("slug", required=False)
@click.option("--event", "event_slug", metavar="SLUG", help="An event's RSVPs/attendees instead.")
@click.option(
    "--stock",
    required=True,
    callback=_stock,
    metavar="STOCK",
    help="Badge stock: " + ", ".join(svc.STOCKS) + " (see the list below).",
)
@click.option("-o", "--output", type=click.File("wb"), required=True, help="The PDF to write.")
@click.option("--sort", type=click.Choice(["number", "name"]), default="number", show_default=True)
@click.option("--only-unprinted", is_flag=True, help="Leave out badges marked as printed.")
@click.option("--numbers", default="", help="Only these waitlist numbers, e.g. 12,40-45.")
@click.option(
    "--blank", default=0, type=click.IntRange(0, svc.MAX_BLANKS), help="Blank badges to add."
)
@click.option("--cut-lines", is_flag=True, help="Print cut lines around each badge.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
@click.option("--mark-printed", is_flag=True, help="Record the badges as printed.")
@click.option(
    "--base-url", default=None, help="Site address for the QR code (default: PUBLIC_BASE_URL)."
)
def badges_cli(
    slug, event_slug, stock, output, sort, only_unprinted, numbers, blank, cut_lines, lang,
    mark_printed, base_url,
):  # fmt: skip
    """Badge sheets for everyone with a waitlist number on petition SLUG (or --event SLUG)."""
    if bool(slug) == bool(event_slug):
        raise click.UsageError("Give a petition SLUG or --event SLUG (one of them).")
    petition = event = None
    if event_slug:
        event = db.session.scalar(select(Event).where(Event.slug == event_slug))
        if event is None:
            raise click.ClickException(f"No event with the slug “{event_slug}”.")
        petition = event.petition
    else:
        petition = db.session.scalar(select(Petition).where(Petition.slug == slug))
        if petition is None:
            raise click.ClickException(f"No petition with the slug “{slug}”.")
    config = current_app.config
    if not (base_url or config.get("PUBLIC_BASE_URL") or config.get("SERVER_NAME")):
        raise click.ClickException(
            "The QR code needs the site's address: pass --base-url https://… "
            "or set PUBLIC_BASE_URL."
        )
    try:
        wanted = svc.parse_numbers(numbers, *svc.waitlist_range(petition)) or None
    except svc.BadgeError as e:
        raise click.BadParameter(str(e), param_hint="--numbers") from e
    people = svc.holders(
        None if event else petition, event, only_unprinted=only_unprinted, numbers=wanted, sort=sort
    )
    if not people and not blank:
        raise click.ClickException("No one matches: nothing to print.")
    title = (
        localized(event, "name", lang) if event is not None else localized(petition, "title", lang)
    )
    with _public_base_url(base_url):
        qr_url = svc.badge_qr_url(petition, event)
    badges = svc.badges_for(
        people, svc.design_for(petition), lang=lang, title=title, qr_url=qr_url, blanks=blank
    )
    pages = render(
        output, badges, stock, offset_mm=svc.offsets_for(petition)[stock.key],
        cut_lines=cut_lines, note=svc.print_note(lang) if stock.kind == "single" else "",
        title=title,
    )  # fmt: skip
    if mark_printed:
        svc.mark_holders_printed(people, stock)
        db.session.commit()
    click.echo(
        f"{len(people)} badges and {blank} blanks on {pages} pages of {stock.key}"
        + (" (marked as printed)" if mark_printed else "")
    )
