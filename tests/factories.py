"""Build test data through the public API, as a client would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from shared.assets.vin import check_digit
from tests.conftest import call_api

_serial = itertools.count(1)


@dataclass(frozen=True)
class Caller:
    user_id: str
    org_id: str
    role: str
    email: str | None = None


def make_vin(n: int | None = None, wmi: str = "1FU") -> str:
    """A valid VIN (right check digit), distinct for each n."""
    serial = f"{n if n is not None else next(_serial):06d}"
    body = f"{wmi}JGLDR0CL{serial}"  # 3 + 5 + check digit placeholder + 2 + 6 = 17
    return body[:8] + check_digit(body) + body[9:]


def address(**overrides: Any) -> dict[str, Any]:
    return {"line1": "1 Harbor St", "city": "Boston", "state": "MA", "zip": "02110", **overrides}


def sign_up(kind: str = "fleet", name: str = "Acme Freight", user_id: str | None = None) -> Caller:
    user_id = user_id or f"usr_signup{next(_serial)}"
    email = f"{user_id}@example.com"
    r = call_api("POST", "/organizations", as_user={"sub": user_id, "email": email},
                 json_body={"name": name, "kind": kind, "admin_name": "Ann Admin", "address": address(),
                            "contact_email": f"ops-{user_id}@example.com"})
    assert r.status == 201, r.body
    me = r.json()
    return Caller(user_id=user_id, org_id=me["organization"]["org_id"], role=me["user"]["role"], email=email)


def add_user(admin: Caller, role: str) -> Caller:
    n = next(_serial)
    r = call_api("POST", "/users", as_user=admin,
                 json_body={"email": f"user{n}@example.com", "name": f"User {n}", "role": role})
    assert r.status == 201, r.body
    return Caller(user_id=r.json()["user_id"], org_id=admin.org_id, role=role, email=f"user{n}@example.com")


def create_asset(admin: Caller, **fields: Any) -> dict[str, Any]:
    body = {"unit_number": f"U{next(_serial)}", "kind": "truck", "vin": make_vin(), **fields}
    r = call_api("POST", "/assets", as_user=admin, json_body=body)
    assert r.status == 201, r.body
    return r.json()


def create_group(admin: Caller, name: str | None = None, **fields: Any) -> dict[str, Any]:
    r = call_api("POST", "/groups", as_user=admin, json_body={"name": name or f"Group {next(_serial)}", **fields})
    assert r.status == 201, r.body
    return r.json()
