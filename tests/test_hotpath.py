"""petitions.hotpath: statements on the DB-API connection store what the ORM reads."""

import re
from datetime import datetime

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from petitions import hotpath
from petitions.extensions import db
from petitions.models import Petition
from petitions.services import signing


def test_named_parameters_become_psycopg_style_and_literals_survive():
    stmt = hotpath.Statement(
        "SELECT id FROM t WHERE a = :a AND b LIKE '%x%' AND c = :c::text AND d = 'e:f'"
    )
    sql, _, _ = stmt.prepared(postgresql.psycopg.dialect())
    assert sql == (
        "SELECT id FROM t WHERE a = %(a)s AND b LIKE '%%x%%' AND c = %(c)s::text AND d = 'e:f'"
    )
    assert stmt.prepared(sqlite.pysqlite.dialect())[0] == stmt.sql


def test_datetimes_round_trip_exactly_through_the_orm(app, make_petition):
    """Written by a hotpath statement, read by the ORM (and back), to the microsecond."""
    petition = make_petition()
    db.session.commit()
    when = datetime(2026, 11, 27, 12, 4, 5, 123456)
    write = hotpath.Statement("UPDATE petitions SET deadline = :at WHERE id = :id", ["at"])
    read = hotpath.Statement(
        "SELECT deadline FROM petitions WHERE id = :id",
        columns=("deadline",),
        datetime_columns=["deadline"],
    )
    with hotpath.write_transaction(db) as tx:
        tx.execute(write, {"at": when, "id": petition.id})
    db.session.rollback()  # a fresh look, as the next request would have
    assert db.session.get(Petition, petition.id).deadline == when
    with hotpath.write_transaction(db) as tx:
        assert tx.first(read, {"id": petition.id}) == {"deadline": when}


def test_autocommit_commits_as_it_goes_and_gives_back_a_transactional_connection(
    app, make_petition
):
    """The sign POST's autocommit: its statement stays even if the block fails after it,
    and its pooled connection comes back as it was: a later write transaction on it (a
    check-in's statements) is all or nothing again."""
    petition = make_petition(title="Before")
    db.session.commit()
    rename = hotpath.Statement("UPDATE petitions SET title = :title WHERE id = :id")
    with pytest.raises(RuntimeError):
        with hotpath.write_transaction(db, autocommit=True) as tx:
            tx.execute(rename, {"title": "Kept", "id": petition.id})
            raise RuntimeError
    for _ in range(db.engine.pool.size() + 1):  # every pooled connection, in turn
        with pytest.raises(RuntimeError):
            with hotpath.write_transaction(db) as tx:
                tx.execute(rename, {"title": "Lost", "id": petition.id})
                raise RuntimeError
    db.session.rollback()
    assert db.session.get(Petition, petition.id).title == "Kept"


def test_the_household_check_walks_the_unique_index_on_a_new_table(app, make_petition):
    """A new table has no statistics (and PostgreSQL keeps a prepared statement's first
    plan): the household count must still walk the (petition, email, name) index, not
    every signature of the petition, or each signature gets slower than the last."""
    petition = make_petition()
    db.session.commit()
    stmt = signing._INSERT_IF_HOUSEHOLD_ROOM
    sql, _, _ = stmt.prepared(db.engine.dialect)
    params = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", stmt.sql)) | {
        "household_petition": petition.id,
        "household_email": "ana@example.org",
        "household_max": 6,
    }
    if db.engine.dialect.name == "sqlite":
        explain = "EXPLAIN QUERY PLAN "
        walks_the_index = "INDEX sqlite_autoindex_signatures_1 (petition_id=? AND email_key=?)"
    else:
        explain = "EXPLAIN "
        walks_the_index = "using uq_signatures_petition_id_email_key_name_key"
    plan = " ".join(
        str(row) for row in db.session.connection().exec_driver_sql(explain + sql, params)
    )
    assert walks_the_index in plan, plan
    assert "ix_signatures_petition_created" not in plan, plan
