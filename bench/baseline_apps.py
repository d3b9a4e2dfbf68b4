"""Minimal Flask handlers the benchmarks compare the real app against.

BASELINE_DB is a sqlite file path or a postgresql:// URL.
- POST /sign: one INSERT of the form's fields (the floor for the sign POST).
- POST /checkin: one indexed lookup and one INSERT (the floor for the check-in API).
- GET /form, POST /form/sign: the same INSERT behind a Flask-WTF form with the sign form's
  fields and validators and its session-based CSRF check: the least any sign POST built on
  this project's stack (Flask sessions, Flask-WTF, WTForms) can cost.
"""

import os
import sqlite3
import threading

from flask import Flask, jsonify, redirect, render_template_string, request
from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

DB = os.environ.get("BASELINE_DB", "/tmp/baseline.sqlite3")
IS_PG = DB.startswith("postgresql")
app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bench-secret")
_local = threading.local()

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS sigs (id {pk}, given_name TEXT, family_name TEXT, "
    "email TEXT, postal_code TEXT, created_at TEXT)",
    "CREATE TABLE IF NOT EXISTS tickets (id {pk}, token_hash TEXT UNIQUE, name TEXT)",
    "CREATE TABLE IF NOT EXISTS scans (id {pk}, ticket_id INTEGER, nonce TEXT UNIQUE, "
    "created_at TEXT)",
]


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
           "VALUES (?, ?, ?, ?, datetime('now'))").replace("datetime('now')", "CURRENT_TIMESTAMP"),
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


class _LazyCSRF(FlaskForm.Meta.csrf_class):
    # As in the app: a fresh token is signed only when the form is shown.
    def generate_csrf_token(self, field):
        return LazyString(super().generate_csrf_token, field)


def _text(required=True, max=100):
    return StringField(validators=[InputRequired() if required else Optional(), Length(max=max)])


class SignForm(FlaskForm):
    class Meta:
        csrf_class = _LazyCSRF

    given_name = _text()
    family_name = _text()
    email = EmailField(validators=[InputRequired(), Length(max=254), Email()])
    postal_code = _text(max=10)
    town = _text(required=False)
    role = SelectField(choices=["", "parent", "student"], validate_choice=False)
    comment = TextAreaField(validators=[Optional(), Length(max=2000)])
    show_name = BooleanField()
    opt_in = BooleanField()
    website = StringField()


@app.get("/form")
def form_page():
    return render_template_string("<form>{{ form.csrf_token() }}</form>", form=SignForm())


@app.post("/form/sign")
def form_sign():
    form = SignForm()
    if not form.validate_on_submit():
        return str(form.errors), 400
    db().execute(
        ph("INSERT INTO sigs (given_name, family_name, email, postal_code, created_at) "
           "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)"),
        (form.given_name.data, form.family_name.data, form.email.data, form.postal_code.data),
    )  # fmt: skip
    return redirect("/thanks", 303)


if __name__ == "__main__":
    init_schema()
