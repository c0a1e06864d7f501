"""Self sign-up on the local Cognito as a newcomer does it (dev/cognito_signup.py): the code comes by email."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt

from dev import signin, signup
from dev.cognito import DEMO_PASSWORD


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def code_sent_to(smtp: Any, email: str) -> str:
    """The newest sign-up code emailed to `email`."""
    sent = [m for m in smtp.messages if m["To"] == email and m["Subject"] == "Your Fleetbridge verification code"]
    assert sent, f"no verification code went to {email}"
    found = re.search(r"verification code is (\d{6})\.", sent[-1].get_content())
    assert found, sent[-1].get_content()
    return found.group(1)


def signed_up(cognito: Any, smtp: Any, email: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """Sign up, confirm with the emailed code, sign in: Cognito's AuthenticationResult."""
    signup.sign_up(cognito, email, password)
    signup.confirm(cognito, email, code_sent_to(smtp, email))
    return signin.sign_in(cognito, email, password)


def call(server: Any, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
    """The dev server, as the web app calls it: an ID token in the Authorization header."""
    return httpx.request(method, f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body,
                         timeout=30)


def organization(kind: str, name: str, admin_name: str, email: str) -> dict[str, Any]:
    """A POST /organizations body."""
    return {"name": name, "kind": kind, "admin_name": admin_name, "contact_email": email,
            "address": {"line1": "1 Harbor St", "city": "Boston", "state": "MA", "zip": "02110"}}
