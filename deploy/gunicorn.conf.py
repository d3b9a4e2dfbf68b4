"""gunicorn settings for deploy/petitions-web.service; the environment file can change them."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: nginx buffers slow phones, so a worker is busy only while the app works.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (keepalive in its upstream block)
# The app writes its own request line (REQUEST_LOG) without query strings, which may
# carry personal data: gunicorn's access log stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = 5000
max_requests_jitter = 500
proc_name = "petitions"
# Nothing here uses gunicorn's control socket (it would go under $HOME, read-only here).
control_socket_disable = True
