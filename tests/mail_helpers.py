"""Reading received mail (the smtp_server fixture's messages, or outbox .eml files)."""

import email
import email.policy
from pathlib import Path


def addressee(msg) -> str:
    """The bare address of the one recipient in To (which also names them)."""
    (address,) = msg["To"].addresses
    return address.addr_spec


def outbox(folder) -> list:
    """The messages filed in an outbox folder (no MAIL_SERVER), oldest first."""
    files = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


class MailServer:
    """A real SMTP server (aiosmtpd) on a port of its own that can be stopped and started
    again on the same port, as a mail relay restarting would be.

    `received` counts messages per recipient address (RCPT TO). With `stop_after=n`, the
    server takes n messages, then dies with the next one in flight: that message is never
    acknowledged, its connection is dropped, and the port refuses connections until
    `start()` is called again."""

    def __init__(self, stop_after: int | None = None, on_message=None, refuse=None):
        import socket
        from collections import Counter

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received = Counter()
        self.stop_after = stop_after
        self.on_message = on_message  # called (in the server's thread) after each one taken
        self.refuse = dict(refuse or {})  # address -> the reply to its RCPT TO ("450 ...")
        self._controller = None
        self._dying = None

    @property
    def total(self) -> int:
        return sum(self.received.values())

    def start(self) -> "MailServer":
        import asyncio
        import threading

        from aiosmtpd.controller import Controller

        server = self
        self._dying = threading.Event()

        class Handler:
            async def handle_RCPT(self, _smtp, _session, envelope, address, _options):
                if reply := server.refuse.get(address.lower()):
                    return reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, _smtp, _session, envelope):
                if server.stop_after is not None and server.total >= server.stop_after:
                    server._dying.set()
                    await asyncio.sleep(3600)  # cancelled when the server stops
                for address in envelope.rcpt_tos:
                    server.received[address.lower()] += 1
                if server.on_message is not None:
                    server.on_message(server)
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        self._killer = threading.Thread(target=self._die_when_told, daemon=True)
        self._killer.start()
        return self

    def _die_when_told(self) -> None:
        dying, controller = self._dying, self._controller
        dying.wait()
        if controller is self._controller and controller is not None:
            self.stop()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
        if self._dying is not None:
            self._dying.set()  # lets the watcher of this run end
