"""Fuzzing the OSDI API with schemathesis against its own OpenAPI document: every
operation, with generated (valid and invalid) input and an admin's token. No answer is
a 5xx, and every answer matches the document (status, content type, schema)."""

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from petitions.core.extensions import db  # noqa: E402
from petitions.petition.signing import sign_petition  # noqa: E402
from tests.api_helpers import API, token_for  # noqa: E402


@pytest.fixture
def seeded_token(app, make_user, make_petition, make_event):
    admin = make_user("admin")
    petition = make_petition(created_by_id=admin.id)
    for i in range(3):
        sign_petition(petition, given_name="Fuzz", family_name=f"Signer {i}",
                      email=f"fuzz{i}@example.org", postal_code="06106")  # fmt: skip
    make_event(petition)
    db.session.commit()
    return token_for(admin)


def test_the_api_keeps_to_its_document(app, seeded_token):
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    headers = {"OSDI-API-Token": seeded_token}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run: CI fails for a change, not by luck
            suppress_health_check=list(HealthCheck),
        )
        def keeps_to_it(case):
            case.call_and_validate(headers=headers)

        keeps_to_it()
