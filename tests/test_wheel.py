"""The built package: `pip wheel .` carries the templates, static files, catalogs and
migrations, and the wheel, installed in a fresh virtualenv away from the checkout,
migrates, makes the demo and serves /es/p/demo with its stylesheet under gunicorn.

Building needs setuptools and installing needs the dependencies, from a package index or
pip's cache. When pip can get neither the test skips, except under CI (`CI` set, or
REQUIRE_WHEEL=1 as .ci/run sets), where that is a failure."""

import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.deploy_helpers import ROOT
from tests.processes import Processes, free_port, wait_for

REQUIRED = bool(os.environ.get("CI")) or os.environ.get("REQUIRE_WHEEL") == "1"
SHARED = ("templates", "static")
# What pip says when it cannot get a distribution at all (no index, no cache).
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "instance", "__pycache__", ".*_cache"
)
UNREACHABLE = ("No matching distribution found", "Could not find a version that satisfies")


def _pip_env() -> dict:
    # Without PYTHONPATH: the checkout on it would stand in for the installed package.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _pip(args: list[str], cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        cwd=cwd, env=_pip_env(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if result.returncode == 0:
        return
    output = f"pip {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    if any(message in output for message in UNREACHABLE) and not REQUIRED:
        pytest.skip(f"pip could not get a distribution (no index or cache?):\n{output[-2000:]}")
    pytest.fail(output)


def _tree_files(folder: Path) -> set[str]:
    """Files under folder as paths relative to the checkout, hidden files left out as
    setup.py leaves them out."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` in a copy of the checkout, so that the checkout's own build/ (left by
    an earlier build) can neither help nor be touched. The copy's build/ holds files the
    tree does not have, as one left from before a move would: they must not ship."""
    top = tmp_path_factory.mktemp("wheel")
    source, dist = top / "source", top / "dist"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORED)
    stale = source / "build" / "lib" / "petitions"
    for name in ("templates/stale.html", "static/stale.css", "stale.py"):
        (stale / name).parent.mkdir(parents=True, exist_ok=True)
        (stale / name).write_text("left from an earlier build\n")
    _pip(["wheel", "--no-deps", "-q", "-w", str(dist), "."], cwd=source)
    (built,) = dist.glob("petitions-*.whl")
    return built


def test_wheel_carries_templates_static_catalogs_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {name for name in names if name.startswith("petitions/")}
    assert not {name for name in names - packaged if ".dist-info/" not in name}

    for name in (
        "petitions/templates/errors.html",
        "petitions/static/css/app.css",
        "petitions/static/vendor/jsqr/LICENSE",
        "petitions/static/fonts/DejaVuSans.ttf",
        "petitions/static/scanner/icon-192.png",
        "petitions/migrations/alembic.ini",
        "petitions/migrations/env.py",
        "petitions/migrations/script.py.mako",
        "petitions/accounts/common_passwords.txt",
    ):
        assert name in names
    assert any(re.fullmatch(r"petitions/(.+/)?translations/.+\.mo", n) for n in names)
    assert any(re.fullmatch(r"petitions/migrations/versions/[^/]+\.py", n) for n in names)

    # Every file of the top-level folders, every catalog and every migration of the tree...
    tree = _tree_files(ROOT / "petitions")
    expected = {f"petitions/{name}" for folder in SHARED for name in _tree_files(ROOT / folder)}
    expected |= {n for n in tree if n.endswith(".mo") or n.startswith("petitions/migrations/")}
    assert expected - packaged == set()
    # ...and nothing the tree no longer has (a stale build/ would ship moved modules).
    in_tree = tree | {
        f"petitions/{name}" for folder in SHARED for name in _tree_files(ROOT / folder)
    }
    assert packaged - in_tree == set()


def test_installed_wheel_migrates_and_serves_the_spanish_petition_page(wheel, tmp_path):
    venv, work, logs = tmp_path / "venv", tmp_path / "work", tmp_path / "logs"
    work.mkdir()
    logs.mkdir()
    # A venv without pip of its own: the running pip installs into it (--python).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(["--python", str(python), "install", "-q", "--no-compile", str(wheel)], cwd=work)

    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_hex(32),
    }

    def run(*argv: str) -> str:
        result = subprocess.run(
            argv, cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    site = Path(run(str(python), "-c", "import petitions; print(petitions.__file__)").strip())
    site = site.parent.parent
    assert site.name == "site-packages" and site.is_relative_to(venv)
    # The PDF fonts come from the package's copy of static/.
    run(str(python), "-c", "from petitions.core.pdf.fonts import register_fonts; register_fonts()")

    run("flask", "--app", "petitions", "db", "upgrade")
    assert "/p/demo" in run("flask", "--app", "petitions", "demo")
    # Without PETITIONS_INSTANCE an installed package keeps its files in <venv>/var/.
    assert (venv / "var" / "petitions-instance" / "petitions.sqlite3").is_file()
    assert not list(site.glob("**/instance"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs = Processes(logs)
    try:
        gunicorn = procs.start(
            "gunicorn",
            ["gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "petitions:create_app()"],
            env,
            cwd=work,
        )

        def page():
            if gunicorn.poll() is not None:
                pytest.fail(f"gunicorn exited with {gunicorn.returncode}:\n{procs.log('gunicorn')}")
            try:
                with urllib.request.urlopen(f"{base}/es/p/demo", timeout=10) as r:
                    return r.status, r.read().decode()
            except OSError:
                return None

        status, html = wait_for("gunicorn to serve /es/p/demo", page)
        assert status == 200
        assert '<html lang="es">' in html
        assert "Firmar la petición" in html
        (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        with urllib.request.urlopen(base + href, timeout=10) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/css")
            assert r.read() == (ROOT / "static" / "css" / "app.css").read_bytes()
    finally:
        procs.stop_all()
    assert gunicorn.returncode is not None


def test_a_checkout_reads_its_top_level_folders(monkeypatch):
    from petitions import create_app

    monkeypatch.delenv("PETITIONS_INSTANCE", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.template_folder == str(ROOT / "templates")
    assert app.static_folder == str(ROOT / "static")
    assert app.instance_path == str(ROOT / "instance")
