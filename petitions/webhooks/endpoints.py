"""Where a webhook may post, and the HTTP POST itself.

An endpoint is refused when its host resolves to a private, loopback, link-local,
multicast or reserved address (a webhook must not become a way to reach the server's own
network), unless WEBHOOKS_ALLOW_PRIVATE is on (tests, a two-host setup on one network).
The rule is checked when a webhook is added and again on every delivery, and the POST
goes to the very address that was checked, so a name that resolves elsewhere the second
time (DNS rebinding) reaches nothing it was not allowed to.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

TIMEOUT_SECONDS = 10.0
MAX_URL = 500


class UnsafeEndpoint(ValueError):
    """A URL no webhook may post to; the message says why in plain words."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the IP address checked, the one connected to


def allow_private() -> bool:
    value = current_app.config.get("WEBHOOKS_ALLOW_PRIVATE")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> str:
    """The URL, trimmed, if its form is one a webhook may have (http or https, a host);
    raises UnsafeEndpoint otherwise. Does not resolve the host."""
    url = (url or "").strip()
    if len(url) > MAX_URL:
        raise UnsafeEndpoint(f"The URL is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is no number)
    except ValueError:
        raise UnsafeEndpoint("That is not a URL.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeEndpoint("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeEndpoint("The URL has no host name.")
    if parts.username or parts.password:
        raise UnsafeEndpoint("Put no user name or password in the URL.")
    return url


def resolve(url: str) -> Target:
    """Where a POST to `url` goes: checked (check_url), resolved, and refused when the
    address is not public (unless WEBHOOKS_ALLOW_PRIVATE)."""
    parts = urlsplit(check_url(url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeEndpoint(f"The host name {parts.hostname} could not be found.") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeEndpoint(f"The host name {parts.hostname} could not be found.")
    if not allow_private():
        # Every address the name has must be public: one private one could be picked.
        for address in addresses:
            if not _public(address):
                raise UnsafeEndpoint(
                    f"{parts.hostname} is a private, loopback or reserved address "
                    f"({address}): webhooks only go to public addresses."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked for the host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout,
                         context=ssl.create_default_context())  # fmt: skip
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body`; the answer's status code. Raises OSError (refused, timed out, TLS)
    or http.client.HTTPException (a broken answer). Redirects are not followed."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # a little of the answer, so the connection ends cleanly
        return response.status
    finally:
        conn.close()


def plain_error(exc: BaseException) -> str:
    """An attempt's failure in words an admin can act on."""
    if isinstance(exc, UnsafeEndpoint):
        return str(exc)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "The endpoint did not answer in time."
    if isinstance(exc, ConnectionRefusedError):
        return "The endpoint refused the connection (nothing listens there)."
    if isinstance(exc, ssl.SSLError):
        return f"The secure connection failed: {exc.reason or exc}."
    if isinstance(exc, http.client.HTTPException):
        return "The endpoint's answer was not valid HTTP."
    if isinstance(exc, OSError):
        return f"Could not connect: {exc.strerror or exc}."
    return f"Could not deliver: {exc}."
