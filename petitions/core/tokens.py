"""Random tokens for URLs and QR codes: ≥128 bits from an unambiguous alphabet."""

import base64
import hashlib
import secrets

# Crockford base32: no I, L, O, U, so a token read aloud or typed from paper survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_LENGTH = 26  # 26 × 5 bits = 130 bits


# RFC 4648 base32 letters → Crockford's, so random bytes map straight onto ALPHABET.
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)


def new_token(length: int = TOKEN_LENGTH) -> str:
    """`length` characters of 5 random bits each (a hot path: one per signature)."""
    raw = base64.b32encode(secrets.token_bytes(-(-length * 5 // 8)))
    return raw.decode().translate(_FROM_RFC4648)[:length]


def normalize_token(text: str) -> str:
    """Accept lower case and the look-alikes people type (O→0, I/L→1)."""
    t = (text or "").strip().upper().translate(str.maketrans("OIL", "011"))
    return t.replace("-", "").replace(" ", "")


def is_well_formed(token: str, length: int = TOKEN_LENGTH) -> bool:
    return len(token) == length and all(c in ALPHABET for c in token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
