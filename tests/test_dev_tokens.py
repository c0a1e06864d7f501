"""dev/tokens: the local token issuer refuses what Cognito's authorizer would refuse, saying why."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from dev import tokens
from dev.settings import dev_jwt_secret


def test_round_trip_carries_cognito_claim_names(dev_jwt_secret):
    token = tokens.mint("usr_1", org_id="org_1", role="customer_admin", email="a@example.com")
    claims = tokens.verify(token)
    assert claims["sub"] == "usr_1"
    assert claims["custom:org_id"] == "org_1"
    assert claims["custom:role"] == "customer_admin"
    assert claims["email"] == "a@example.com"
    assert claims["iss"] == "fleetbridge-local"
    assert claims["aud"] == "fleetbridge"
    assert claims["exp"] - claims["iat"] == int(tokens.DEFAULT_TTL.total_seconds())


def test_user_without_org_has_no_org_claims(dev_jwt_secret):
    claims = tokens.verify(tokens.mint("usr_new"))
    assert "custom:org_id" not in claims and "custom:role" not in claims


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: None, "missing token"),
        (lambda: "not-a-jwt", "malformed token"),
        (lambda: tokens.mint("u", issue=tokens.Issue(ttl=timedelta(hours=1), now=time.time() - 7200)), "token expired"),
        (lambda: tokens.mint("u", secret="another-key-that-is-long-enough-0123456789"), "bad token signature"),
        (lambda: tokens.mint("u", issue=tokens.Issue(issuer="someone-else")), "wrong token issuer"),
        (lambda: jwt.encode({"sub": "u", "iss": tokens.ISSUER, "aud": "other", "iat": int(time.time()),
                             "exp": int(time.time()) + 60}, dev_jwt_secret(), "HS256"), "wrong token audience"),
        (lambda: jwt.encode({"sub": "u", "iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "iat": int(time.time())},
                            dev_jwt_secret(), "HS256"), "lacks the 'exp' claim"),
        (lambda: jwt.encode({"sub": "u", "iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "iat": 1, "exp": 2**40},
                            "", "none"), "not signed with HS256"),
    ],
)
def test_refused_with_reason(dev_jwt_secret, make_token, reason):
    with pytest.raises(tokens.TokenError, match=reason):
        tokens.verify(make_token())


def test_missing_signing_key_is_explained(monkeypatch):
    monkeypatch.delenv("DEV_JWT_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="DEV_JWT_SECRET is not set"):
        tokens.mint("usr_1")


def test_authorizer_claims_are_strings_as_api_gateway_renders_them():
    claims = tokens.authorizer_claims(
        {"sub": "u", "exp": 1513495692, "iat": 1513492092, "auth_time": 1513492092, "email_verified": True,
         "cognito:groups": ["a", "b"], "custom:role": "vendor"}
    )
    assert claims == {
        "sub": "u",
        "exp": "Sun Dec 17 07:28:12 UTC 2017",
        "iat": "Sun Dec 17 06:28:12 UTC 2017",
        "auth_time": "1513492092",
        "email_verified": "true",
        "cognito:groups": "a,b",
        "custom:role": "vendor",
    }
