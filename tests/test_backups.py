"""`flask --app wsgi backup -o FILE` and `restore FILE [--force]`, on SQLite and PostgreSQL."""

import os
import shutil
import threading
import time
import uuid
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from petitions import create_app
from petitions.core.config import normalize_database_url
from petitions.core.extensions import db
from petitions.models import Petition, Signature
from tests.conftest import USE_POSTGRES, _test_config
from tests.test_signing_flow import GOOD

if USE_POSTGRES and not shutil.which("pg_dump"):
    pytest.skip("pg_dump is not installed", allow_module_level=True)


@pytest.fixture
def target(app, tmp_path):
    """A second, empty database (no tables) on the same server, and an app on it."""
    if USE_POSTGRES:
        import psycopg

        server = os.environ["TEST_DATABASE_URL"]
        name = f"petitions_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = normalize_database_url(server).rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    other = create_app(_test_config(url, tmp_path / "other"))
    yield other
    with other.app_context():
        db.engine.dispose()
    if USE_POSTGRES:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ids_in(app_) -> list[int]:
    with app_.app_context():
        try:
            return list(db.session.scalars(select(Signature.id).order_by(Signature.id)))
        finally:
            db.session.remove()


def restore_into(app_, path):
    # The CLI runs in the current app context when there is one: push the target's.
    with app_.app_context():
        result = app_.test_cli_runner().invoke(args=["restore", str(path)])
        db.session.remove()
    return result


def sign_stream(base: str, slug: str, stop: threading.Event, done: list, errors: list):
    """One signer after another over HTTP, as phones would, until told to stop."""
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    i = 0
    while not stop.is_set() and i < 5000:
        try:
            opener.open(f"{base}/p/{slug}").read()
            form = {**GOOD, "email": f"stream{i}@example.org"}
            request = Request(
                f"{base}/p/{slug}/sign",
                data=urlencode(form).encode(),
                headers={"Sec-Fetch-Site": "same-origin"},
            )
            opener.open(request).read()
        except (HTTPError, OSError, AssertionError) as e:
            errors.append(repr(e))
            return
        done.append(i)
        i += 1


def wait_for(condition, what: str, limit: float = 120):
    """Poll until `condition()`; a bound on the wait, not a timing assertion."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_backup_while_signing_restores_a_consistent_copy(
    app, live_server, runner, target, tmp_path, make_petition
):
    make_petition(slug="stream", goal=10000)
    db.session.remove()
    stop, done, errors = threading.Event(), [], []
    signer = threading.Thread(target=sign_stream, args=(live_server, "stream", stop, done, errors))
    signer.start()
    try:
        wait_for(lambda: len(done) >= 20 or errors, "the first signatures")
        before = len(done)
        result = runner.invoke(args=["backup", "-o", str(tmp_path / "during.backup")])
        after = len(done)
        wait_for(lambda: len(done) >= after + 10 or errors, "signatures after the backup")
    finally:
        stop.set()
        signer.join(60)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert not (tmp_path / "during.backup.part").exists()

    restored = restore_into(target, tmp_path / "during.backup")
    assert restored.exit_code == 0, restored.output

    source_ids, copy_ids = ids_in(app), ids_in(target)
    # Every signature answered before the backup began is in it, none answered after it
    # ended (one in flight may have been committed), and the copy is a consistent prefix.
    assert before <= len(copy_ids) <= after + 1
    assert len(source_ids) >= after + 10 > len(copy_ids)
    assert copy_ids == [i for i in source_ids if i <= copy_ids[-1]]
    with target.app_context():
        count = target.test_client().get("/p/stream.json").get_json()["signature_count"]
        assert count == len(copy_ids)
        db.session.remove()


def make_backup(runner, tmp_path, name="site.backup"):
    path = tmp_path / name
    result = runner.invoke(args=["backup", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def petition_slugs() -> list[str]:
    db.session.remove()
    return sorted(db.session.scalars(select(Petition.slug)))


def test_restore_refuses_a_database_with_data_unless_forced(
    app, runner, tmp_path, make_petition, make_signature
):
    make_signature(make_petition(slug="kept"))
    path = make_backup(runner, tmp_path)
    make_petition(slug="after-the-backup")

    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    assert petition_slugs() == ["after-the-backup", "kept"]

    forced = runner.invoke(args=["restore", "--force", str(path)])
    assert forced.exit_code == 0, forced.output
    assert petition_slugs() == ["kept"]
    assert db.session.scalar(select(func.count(Signature.id))) == 1


def test_restore_into_a_migrated_empty_database(app, runner, target, tmp_path, make_petition):
    make_petition(slug="one")
    path = make_backup(runner, tmp_path)
    with target.app_context():
        upgrade()  # tables, no rows: empty
        db.engine.dispose()
    result = restore_into(target, path)
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert petition_slugs() == ["one"]
        db.session.remove()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "scribbled", "scribbled-data"])
def test_a_damaged_file_fails_cleanly_and_changes_nothing(
    app, runner, tmp_path, make_petition, make_signature, damage
):
    petition = make_petition(slug="kept")
    for _ in range(200):
        # Stories that do not compress: most of the file is rows, not its table of contents.
        make_signature(petition, commit=False, comment=os.urandom(200).hex())
    db.session.commit()
    good = make_backup(runner, tmp_path).read_bytes()
    bad = tmp_path / f"{damage}.backup"
    if damage == "garbage":
        bad.write_bytes(os.urandom(len(good)))
    elif damage == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    elif damage == "scribbled":  # the right first bytes, then noise in the middle
        middle = len(good) // 3
        bad.write_bytes(good[:middle] + os.urandom(middle) + good[2 * middle :])
    else:  # noise near the end, in the rows: the file's table of contents reads well
        at, n = len(good) * 8 // 10, len(good) // 10
        bad.write_bytes(good[:at] + os.urandom(n) + good[at + n :])
    make_petition(slug="after-the-backup")

    result = runner.invoke(args=["restore", "--force", str(bad)])
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "Traceback" not in result.output
    assert petition_slugs() == ["after-the-backup", "kept"]
    assert db.session.scalar(select(func.count(Signature.id))) == 200


def test_bad_arguments_are_clear(app, runner, tmp_path):
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.backup")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    no_dir = runner.invoke(args=["backup", "-o", str(tmp_path / "no" / "such" / "dir.backup")])
    assert no_dir.exit_code == 1 and "Error:" in no_dir.output
    assert runner.invoke(args=["backup"]).exit_code == 2
