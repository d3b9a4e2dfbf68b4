"""The sign statement: how signing.sign_petition stores a new signature.

This departs from plain ORM code (`session.add(Signature(...))` and a flush) on purpose,
because the sign POST is the request a crowd sends at once and its answer waits on this
write:

- One statement decides everything the write must decide: `INSERT … SELECT <the row>
  WHERE <fewer than household_max names share this email> ON CONFLICT (petition_id,
  email_key, name_key) DO NOTHING RETURNING id`. A separate count would let two signers
  read the same free place; an ORM flush would meet a duplicate (a double tap an instant
  earlier included) as an IntegrityError that spoils the caller's transaction. Here a
  refused row is simply no id.
- The statements are built once per dialect (`insert()` of PostgreSQL or SQLite) and
  reused: a sign only binds its values.
- The new row is not read back. The caller keeps its columns; `attach` makes them the
  session's object only when something asks for it (a confirmation mail), while the
  redirect needs only the id and token.
- `alone`: when the caller writes nothing else, on PostgreSQL the statement runs as its
  own transaction in autocommit, on a connection of its own, so no BEGIN and COMMIT
  round trips; the caller's session and transaction are left as they were. SQLite has no
  round trips to save, and its driver's IMMEDIATE mode (core.database) stays as it is.

The rules themselves (who may sign, the household limit's value, what "duplicate" means
to the signer) stay in signing.py; engine tuning stays in core.database.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import make_transient_to_detached

from petitions.core import people
from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.models import Signature

# The statements of a new signature, built once: a sign POST only binds its values.
_table = Signature.__table__
_members = (
    select(Signature.id)
    .where(
        Signature.petition_id == bindparam("petition_id"),
        Signature.email_key == bindparam("email_key"),
    )
    .order_by(Signature.name_key)
    .limit(bindparam("household_max", type_=Integer))
    .subquery()
)
HOUSEHOLD_COUNT = select(func.count()).select_from(_members)
# The row's own values, kept only while fewer than household_max names share its email.
_if_room = select(*(bindparam(c.key, type_=c.type) for c in _table.columns if c.key != "id"))
_if_room = _if_room.where(HOUSEHOLD_COUNT.scalar_subquery() < bindparam("household_max"))


@cache
def _insert(dialect_name: str, household: bool, person: bool = False):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the unique index (petition_id,
    email_key, name_key) turns away the same person, also a double tap an instant earlier,
    without an error that would spoil the transaction. With `household`, the limit is
    checked in the same statement, so on SQLite, whose writers take turns, two signers at
    once cannot both take the last place. (On PostgreSQL, under READ COMMITTED, two
    signers at the very same instant may both see it free.)

    With `person` (PostgreSQL, a row with an email), the statement also upserts the
    holder of the email (core.people.upsert) in a data-modifying WITH and takes its id:
    still one statement, so `alone` stays one autocommit round trip. SQLite runs the
    upsert as a statement of its own first (it has no INSERT inside WITH)."""
    columns = [c for c in _table.columns if c.key != "id"]
    statement = dialect_insert(_table, dialect_name)
    if person:
        holder = people.upsert(dialect_name).cte("holder")
        values = select(
            *(
                holder.c.id if c.key == "person_id" else bindparam(c.key, type_=c.type)
                for c in columns
            )
        ).select_from(holder)
        if household:
            values = values.where(HOUSEHOLD_COUNT.scalar_subquery() < bindparam("household_max"))
        statement = statement.from_select(columns, values).add_cte(holder)
    elif household:
        statement = statement.from_select(columns, _if_room)
    return statement.on_conflict_do_nothing(
        index_elements=["petition_id", "email_key", "name_key"]
    ).returning(_table.c.id, _table.c.person_id)


def household_count(petition_id: int, email_key: str, limit: int) -> Select:
    """The query counting the names signed with this email, up to `limit`. Counting in
    the unique index's order keeps it on that index, even on a new table PostgreSQL has
    no statistics for (it would otherwise read every signature of the petition)."""
    return HOUSEHOLD_COUNT.params(petition_id=petition_id, email_key=email_key, household_max=limit)


def insert_signature(row: dict, household_max: int | None, alone: bool = False) -> int | None:
    """Store `row` (signing.signature_row's columns) and link it to the holder of its
    email (core.people; `row["person_id"]` is set); the new id, or None when the same
    person signed already or, with `household_max`, that many names share the email.

    Runs on the session's connection, in the caller's transaction (not committed); or,
    with `alone` on PostgreSQL, as a transaction of its own in autocommit (SQLAlchemy
    resets the connection when it goes back to the pool)."""
    dialect_name = db.session.get_bind().dialect.name
    with_person = bool(row["email"]) and dialect_name == "postgresql"
    statement = _insert(dialect_name, household_max is not None, with_person)
    params = row if household_max is None else dict(row, household_max=household_max)
    if alone and dialect_name == "postgresql":
        # The option is set on one connection: engine.execution_options() would build a
        # new engine for each call.
        with db.engine.connect() as conn:
            stored = conn.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params)
            stored = stored.first()
    else:
        if not with_person:
            row["person_id"] = params["person_id"] = _link(row) if row["email"] else None
        stored = db.session.connection().execute(statement, params).first()
    if stored is None:
        return None
    row["person_id"] = stored.person_id
    return stored.id


def _link(row: dict) -> int | None:
    return people.link(
        email=row["email"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        postal_code=row["postal_code"],
        town=row["town"],
        language=row["language"],
        now=row["created_at"],
    )


def attach(row: dict) -> Signature:
    """The stored row as the session's own object, made from the columns in hand (with
    its id) instead of read back from the database."""
    signature = Signature(**row)
    make_transient_to_detached(signature)
    db.session.add(signature)
    return signature
