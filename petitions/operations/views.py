"""GET /healthz for load balancers, systemd watchdogs and uptime monitors."""

from flask import Blueprint, jsonify

from petitions.core.extensions import limiter
from petitions.core.responses import no_store
from petitions.operations import health

bp = Blueprint("health", __name__)
bp.after_request(no_store)  # a cached "ok" would hide an outage


@bp.get("/healthz")
@limiter.exempt  # probes come often, from the proxy's own address
def healthz():
    healthy, checks = health.run_checks()
    response = jsonify(status="ok" if healthy else "failed", checks=checks)
    response.status_code = 200 if healthy else 503
    return response
