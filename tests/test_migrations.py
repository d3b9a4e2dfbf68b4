from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from petitions.core.extensions import db


def test_migrations_match_models(app):
    """The schema the migrations build is the one the models describe."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_on_an_empty_sqlite_file(tmp_path):
    from petitions import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fresh.sqlite3").stat().st_size > 0
