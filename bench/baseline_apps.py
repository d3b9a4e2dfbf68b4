"""Minimal Flask handlers the benchmarks compare the real app against.

BASELINE_DB is a sqlite file path or a postgresql:// URL.
- POST /sign: one INSERT of the form's fields (the floor for the sign POST).
- POST /checkin: one indexed lookup and one INSERT (the floor for the check-in API).
- GET /page/<name>: the bytes of BASELINE_PAGES/<name>, served from a dict (the floor for
  a public page the app serves from its cache).
Run as a script, it creates its tables.
"""

import os
import sqlite3
import threading
from pathlib import Path

from flask import Flask, Response, abort, jsonify, redirect, request

DB = os.environ.get("BASELINE_DB", "/tmp/baseline.sqlite3")
IS_PG = DB.startswith("postgresql")
app = Flask(__name__)
_local = threading.local()

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS sigs (id {pk}, given_name TEXT, family_name TEXT, "
    "email TEXT, postal_code TEXT, created_at TEXT)",
    "CREATE TABLE IF NOT EXISTS tickets (id {pk}, token_hash TEXT UNIQUE, name TEXT)",
    "CREATE TABLE IF NOT EXISTS scans (id {pk}, ticket_id INTEGER, nonce TEXT UNIQUE, "
    "created_at TEXT)",
]


PAGES = {
    p.name: p.read_bytes()
    for p in Path(os.environ.get("BASELINE_PAGES", "/nonexistent")).glob("*")
    if p.is_file()
}
PAGE_TYPES = {".json": "application/json"}


@app.get("/page/<name>")
def page(name):
    if name not in PAGES:
        abort(404)
    return Response(PAGES[name], content_type=PAGE_TYPES.get(Path(name).suffix, "text/html"))


def connect():
    if IS_PG:
        import psycopg

        return psycopg.connect(DB, autocommit=True)
    conn = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def db():
    if not hasattr(_local, "conn"):
        _local.conn = connect()
    return _local.conn


def ph(sql: str) -> str:
    return sql.replace("?", "%s") if IS_PG else sql


def init_schema():
    conn = connect()
    pk = "SERIAL PRIMARY KEY" if IS_PG else "INTEGER PRIMARY KEY"
    for stmt in SCHEMA:
        conn.execute(stmt.format(pk=pk))
    conn.close()


@app.post("/sign")
def sign():
    f = request.form
    db().execute(
        ph("INSERT INTO sigs (given_name, family_name, email, postal_code, created_at) "
           "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)"),
        (f["given_name"], f["family_name"], f["email"], f["postal_code"]),
    )  # fmt: skip
    return redirect("/thanks", 303)


@app.post("/checkin")
def checkin():
    data = request.get_json()
    row = (
        db().execute(ph("SELECT id FROM tickets WHERE token_hash = ?"), (data["token"],)).fetchone()
    )
    db().execute(
        ph("INSERT INTO scans (ticket_id, nonce, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)"),
        (row[0] if row else None, data["nonce"]),
    )
    return jsonify(result="ok" if row else "unknown")


if __name__ == "__main__":
    init_schema()
