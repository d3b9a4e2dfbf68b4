"""Sealed ticket tokens: what lets a reminder carry the attendee's own QR code.

A ticket is looked up by the hash of its token (Attendee.token_hash), so the table alone
never lets anyone check in. To mail the QR code again, the token is also kept sealed
(Fernet, from the cryptography package) under a key derived from SECRET_KEY: a copy of
the database without the key opens no ticket. A changed SECRET_KEY, or a ticket made
before sealing, gives None, and the reminder says how to get the ticket instead."""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    return _fernet_for(secret.encode() if isinstance(secret, str) else secret)


@lru_cache(maxsize=4)
def _fernet_for(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ticket seal").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def unseal(sealed: str) -> str | None:
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
