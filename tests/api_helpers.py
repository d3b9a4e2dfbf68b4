"""Shared by the OSDI API tests: tokens for users, and JSON requests with the header."""

from petitions.accounts.api_tokens import create_api_token
from petitions.core.extensions import db

API = "/api/osdi/v1"


def token_for(user) -> str:
    _row, clear = create_api_token(user, "test", via="test")
    db.session.commit()
    return clear


def person_body(email, given="Ana", family="Rivera", postal_code="06106", **extra) -> dict:
    return {
        "person": {
            "given_name": given,
            "family_name": family,
            "email_addresses": [{"address": email}],
            "postal_addresses": [{"postal_code": postal_code, "locality": "Hartford"}],
        },
        **extra,
    }
