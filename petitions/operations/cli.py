"""Operations commands: `bootstrap`, `demo`, `retention run`, `backup -o FILE`,
`restore FILE`."""

import click
from flask.cli import AppGroup

from petitions.accounts.services import create_user, user_count
from petitions.core import audit
from petitions.core.extensions import db
from petitions.models import AuditAction
from petitions.operations import backups, retention
from petitions.operations.demo import load_demo, load_first_look

retention_cli = AppGroup("retention", help="Removing personal data after petitions and events end.")


@retention_cli.command("run")
@click.option(
    "--days",
    type=int,
    help="Remove data of everything that ended more than this many days ago "
    "(default: each petition's and event's own setting, else RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
def retention_run(days, dry_run):
    """Remove signers' and attendees' personal data that is due (run it daily from cron)."""
    try:
        summary = retention.run(days=days, dry_run=dry_run)
    except retention.RetentionError as e:
        raise click.BadParameter(str(e), param_hint="--days") from e
    if dry_run:
        db.session.rollback()
    else:
        audit.record(AuditAction.RETENTION_RUN, detail=summary.describe())
        db.session.commit()
    for item in summary.items:
        click.echo(f"{item.kind} {item.slug}: ended {item.ended_at:%Y-%m-%d}, {item.rows} rows")
    click.echo(summary.describe())


@click.command("backup")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False))
def backup_command(out):
    """A consistent copy of the database, taken while the app serves."""
    try:
        summary = backups.backup(out)
    except backups.BackupError as e:
        raise click.ClickException(str(e)) from e
    audit.record(AuditAction.BACKUP, detail=summary.describe())
    db.session.commit()
    click.echo(summary.describe())


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that has data.")
def restore_command(file, force):
    """Restore a backup into an empty database (stop the app first)."""
    try:
        summary = backups.restore(file, force=force)
    except backups.BackupError as e:
        raise click.ClickException(str(e)) from e
    click.echo(summary.describe())
    if summary.revision:
        click.echo(
            f"Schema revision {summary.revision}: run `flask --app wsgi db upgrade` "
            "when this code is newer than the backup."
        )


@click.command("bootstrap")
def bootstrap():
    """On an empty database: an admin with a random password (printed once) and the demo,
    with a few hundred signatures, RSVPs and check-ins to look at."""
    if user_count():
        click.echo("Accounts exist already; nothing to do.")
        return
    user, password = create_user("admin@example.org", "admin", name="Admin")
    db.session.commit()
    click.echo("=" * 60)
    click.echo("Created the first admin account. This password is shown only once:")
    click.echo(f"  email:    {user.email}")
    click.echo(f"  password: {password}")
    click.echo("=" * 60)
    click.echo(load_first_look(by=user))


@click.command("demo")
@click.option("--signatures", default=0, show_default=True, help="Fake signatures to add.")
@click.option("--attendees", default=0, show_default=True, help="Fake rally RSVPs to add.")
def demo(signatures, attendees):
    """Demo data (idempotent): petition `demo`, rally `demo-rally`."""
    click.echo(load_demo(signatures=signatures, attendees=attendees))
