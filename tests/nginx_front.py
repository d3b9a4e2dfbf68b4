"""deploy/nginx/petitions.conf, run for real on a free local port in front of an app
address: for the tests (tests/test_nginx.py) and the surge benchmark (bench/surge.py)."""

import getpass
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "petitions.conf"

# Workers run as whoever runs the test (as root, nginx would otherwise switch to nobody,
# who cannot write the test's own cache folder); a non-root nginx ignores the line.
MAIN = """daemon off;
user {user};
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {extra}
    include {tmp}/site.conf;
}}
"""


def nginx_path() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp: Path, app_address: str, port: int, workers: int = 1, extra: str = "") -> Path:
    """The deployed site with only what differs on this machine swapped in: the app's
    address, the port, the static folder and the cache folder."""
    site = SITE.read_text()
    for deployed, here in (
        ("server 127.0.0.1:8000;", f"server {app_address};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("listen [::]:80;", ""),
        ("/srv/petitions/app/static/", f"{ROOT}/static/"),
        ("/var/cache/nginx/petitions", f"{tmp}/cache"),
    ):
        assert deployed in site, deployed
        site = site.replace(deployed, here)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(MAIN.format(tmp=tmp, workers=workers, extra=extra, user=getpass.getuser()))
    return main


def check(nginx: str, tmp: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp), "-c", str(config)], capture_output=True, text=True
    )


@contextmanager
def nginx_front(tmp: Path, app_address: str, workers: int = 1, extra: str = ""):
    """Yields the front's base URL; nginx stops afterwards, whatever happened."""
    nginx = nginx_path()
    assert nginx, "nginx is not installed (Debian package nginx)"
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(tmp, app_address, port, workers, extra)
    tested = check(nginx, tmp, config)
    assert tested.returncode == 0, tested.stderr
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
