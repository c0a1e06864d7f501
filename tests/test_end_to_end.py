"""Through the whole local stack: HTTP request -> handler -> table -> stream -> processor -> SMTP."""

from __future__ import annotations

import httpx

from dev.stream_poller import StreamPoller
from dev.tokens import mint
from tests.conftest import TEST_ENV
from tests.factories import address


def test_sign_up_add_user_and_the_welcome_email_arrives_once(dev_server, smtp):
    poller = StreamPoller(table_name=TEST_ENV["TABLE_NAME"], endpoint_url=TEST_ENV["AWS_ENDPOINT_URL_DYNAMODB"],
                          region=TEST_ENV["AWS_REGION"], start_position="LATEST")
    poller.poll_once()  # start reading from now on: earlier tests' records are not ours
    with httpx.Client(base_url=dev_server.url, timeout=10) as http:
        first_token = mint(sub="usr_e2e", email="eve@e2e.example")  # signed up, email verified, no org yet
        signup = http.post("/organizations", headers={"Authorization": f"Bearer {first_token}"},
                           json={"name": "E2E Fleet", "kind": "fleet", "admin_name": "Eve", "address": address(),
                                 "contact_email": "ops@e2e.example"})
        assert signup.status_code == 201, signup.text
        org_id = signup.json()["organization"]["org_id"]
        token = mint(sub="usr_e2e", org_id=org_id, role="customer_admin", email="eve@e2e.example")
        added = http.post("/users", headers={"Authorization": f"Bearer {token}"},
                          json={"email": "dispatch@e2e.example", "name": "Dan", "role": "customer"})
        assert added.status_code == 201, added.text
    poller.drain()
    poller.drain()  # nothing new: no second email
    [message] = smtp.wait_for(1)
    assert message["To"] == "dispatch@e2e.example" and "E2E Fleet" in message["Subject"]
    assert len(smtp.messages) == 1
    assert poller.dead_letters == []
