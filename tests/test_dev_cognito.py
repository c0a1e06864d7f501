"""The local Cognito (dev/cognito.py) and the dev server's check of its ID tokens, as in AWS.

Each sign-in here is a real InitiateAuth against the emulator, whose ID token went through the
token_claims trigger (dev/cognito_trigger.py) reading DynamoDB Local; the token is then sent over
HTTP to the dev server, which verifies it against the emulator's JWKS as API Gateway's Cognito
authorizer would, and the handlers see its claims.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dev import cognito_trigger, signin
from dev.cognito import DEMO_PASSWORD, ENDPOINT_VARIABLE, TOKEN_CLAIMS_FUNCTION, LocalPool, add_account
from tests.conftest import call_api
from tests.factories import add_user, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")
TENANCY = ("custom:org_id", "custom:role", "custom:user_id")


def claims_of(token: str) -> dict[str, Any]:
    """What a token says, unverified (the dev server is what verifies, in these tests)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def new_email() -> str:
    return f"person-{uuid.uuid4().hex[:10]}@example.com"


def get(server: Any, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_users_sign_in_carries_the_tables_tenancy_and_the_dev_server_accepts_it(cognito, cognito_server):
    admin = sign_up("fleet")
    assert admin.email
    sub = add_account(cognito, admin.email, DEMO_PASSWORD)
    # a stale tenancy attribute in Cognito must not survive the trigger: only the table decides
    cognito.client.admin_update_user_attributes(UserPoolId=cognito.pool_id, Username=admin.email, UserAttributes=[
        {"Name": "custom:org_id", "Value": "org_stale"}, {"Name": "custom:role", "Value": "vendor_admin"}])
    token = signin.sign_in(cognito, admin.email, DEMO_PASSWORD)["IdToken"]
    claims = claims_of(token)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert (claims["iss"], claims["token_use"], claims["sub"]) == (cognito.issuer, "id", sub)
    assert claims["aud"] == cognito.signin_client_id
    assert (claims["custom:org_id"], claims["custom:role"], claims["custom:user_id"]) == (
        admin.org_id, "customer_admin", admin.user_id)
    me = get(cognito_server, "/me", token)
    assert me.status_code == 200, me.text
    assert (me.json()["user"]["user_id"], me.json()["organization"]["org_id"]) == (admin.user_id, admin.org_id)


def test_a_new_person_signs_in_creates_an_organization_and_the_next_token_carries_it(cognito, cognito_server):
    email = new_email()
    add_account(cognito, email, DEMO_PASSWORD)
    first = signin.sign_in(cognito, email, DEMO_PASSWORD)
    assert not any(c in claims_of(first["IdToken"]) for c in TENANCY)
    me = get(cognito_server, "/me", first["IdToken"])
    assert me.status_code == 403 and "no organization" in me.text, me.text
    r = httpx.post(f"{cognito_server.url}/organizations", headers={"Authorization": f"Bearer {first['IdToken']}"},
                   json={"name": "Nia's Fleet", "kind": "fleet", "admin_name": "Nia New", "contact_email": email,
                         "address": {"line1": "1 Harbor St", "city": "Boston", "state": "MA", "zip": "02110"}},
                   timeout=30)
    assert r.status_code == 201, r.text
    after = signin.refresh(cognito, first["RefreshToken"])["IdToken"]
    assert (claims_of(after)["custom:org_id"], claims_of(after)["custom:role"]) == (
        r.json()["organization"]["org_id"], "customer_admin")
    assert get(cognito_server, "/assets", after).status_code == 200


def test_a_removed_user_has_no_tenancy_at_the_next_token_and_a_disabled_one_cannot_refresh(cognito, cognito_server):
    admin = sign_up("vendor", "Shop")
    tech = add_user(admin, "vendor")
    assert tech.email
    add_account(cognito, tech.email, DEMO_PASSWORD)
    tokens = signin.sign_in(cognito, tech.email, DEMO_PASSWORD)
    assert (claims_of(tokens["IdToken"])["custom:user_id"], claims_of(tokens["IdToken"])["custom:role"]) == (
        tech.user_id, "vendor")
    assert call_api("DELETE", f"/users/{tech.user_id}", as_user=admin).status == 204
    refreshed = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    assert not any(c in claims_of(refreshed) for c in TENANCY)
    assert get(cognito_server, "/me", refreshed).status_code == 403
    # what removing does to the Cognito user (issue #20 item 2): disabled and signed out everywhere
    cognito.client.admin_disable_user(UserPoolId=cognito.pool_id, Username=tech.email)
    cognito.client.admin_user_global_sign_out(UserPoolId=cognito.pool_id, Username=tech.email)
    with pytest.raises(signin.SignInError, match="NotAuthorizedException"):
        signin.refresh(cognito, tokens["RefreshToken"])
    with pytest.raises(signin.SignInError, match="disabled"):
        signin.sign_in(cognito, tech.email, DEMO_PASSWORD)


def test_a_role_change_shows_in_the_next_token_from_a_refresh(cognito, cognito_server):
    admin = sign_up("fleet")
    user = add_user(admin, "customer")
    assert user.email
    add_account(cognito, user.email, DEMO_PASSWORD)
    tokens = signin.sign_in(cognito, user.email, DEMO_PASSWORD)
    assert claims_of(tokens["IdToken"])["custom:role"] == "customer"
    assert get(cognito_server, "/audit", tokens["IdToken"]).status_code == 403
    version = call_api("GET", f"/users/{user.user_id}", as_user=admin).json()["version"]
    r = call_api("PATCH", f"/users/{user.user_id}", as_user=admin, json_body={"version": version, "role": "manager"})
    assert r.status == 200, r.body
    refreshed = signin.refresh(cognito, tokens["RefreshToken"])["IdToken"]
    assert claims_of(refreshed)["custom:role"] == "manager"
    assert get(cognito_server, "/audit", refreshed).status_code == 200


def test_an_unverified_address_gets_no_tenancy(cognito, cognito_server):
    admin = sign_up("fleet")
    other = add_user(admin, "manager")
    assert other.email
    add_account(cognito, other.email, DEMO_PASSWORD, verified=False)
    token = signin.sign_in(cognito, other.email, DEMO_PASSWORD)["IdToken"]
    assert not any(c in claims_of(token) for c in TENANCY)
    assert get(cognito_server, "/assets", token).status_code == 403


def test_a_failing_trigger_fails_the_sign_in_as_in_aws(cognito, monkeypatch):
    email = new_email()
    add_account(cognito, email, DEMO_PASSWORD)

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise TimeoutError("the table did not answer")

    monkeypatch.setitem(cognito_trigger._functions, TOKEN_CLAIMS_FUNCTION, broken)
    with pytest.raises(signin.SignInError, match=r"UserLambdaValidationException.*TimeoutError"):
        signin.sign_in(cognito, email, DEMO_PASSWORD)

    def greedy(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"sub": "someone-else"}}
        return event

    monkeypatch.setitem(cognito_trigger._functions, TOKEN_CLAIMS_FUNCTION, greedy)
    with pytest.raises(signin.SignInError, match="reserved claims"):
        signin.sign_in(cognito, email, DEMO_PASSWORD)


def test_the_trigger_gets_the_event_cognito_sends(cognito, monkeypatch):
    email = new_email()
    sub = add_account(cognito, email, DEMO_PASSWORD, name="Pat")
    seen: list[dict[str, Any]] = []

    def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(json.loads(json.dumps(event)))
        return event

    monkeypatch.setitem(cognito_trigger._functions, TOKEN_CLAIMS_FUNCTION, record)
    tokens = signin.sign_in(cognito, email, DEMO_PASSWORD)
    signin.refresh(cognito, tokens["RefreshToken"])
    assert [e["triggerSource"] for e in seen] == ["TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"]
    event = seen[0]
    assert (event["version"], event["userPoolId"], event["callerContext"]["clientId"]) == (
        "1", cognito.pool_id, cognito.signin_client_id)
    assert event["request"]["userAttributes"] == {
        "sub": sub, "email": email, "email_verified": "true", "name": "Pat", "cognito:user_status": "CONFIRMED"}


def test_a_pool_closed_to_self_sign_up_refuses_it_as_aws_does(cognito):
    """AllowAdminCreateUserOnly, which moto ignores, holds locally (ours is open: #20 item 1; tests/test_sign_up.py)."""
    closed = cognito.client.create_user_pool(PoolName="closed", UsernameAttributes=["email"],
                                             AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["UserPool"]
    client_id = cognito.client.create_user_pool_client(UserPoolId=closed["Id"], ClientName="c")["UserPoolClient"][
        "ClientId"]
    with pytest.raises(cognito.client.exceptions.NotAuthorizedException, match="SignUp is not permitted"):
        cognito.client.sign_up(ClientId=client_id, Username=new_email(), Password=DEMO_PASSWORD)
    cognito.client.delete_user_pool(UserPoolId=closed["Id"])


# -- the dev server refuses what API Gateway's Cognito authorizer refuses --

def _moto_key() -> Any:
    """The emulator's signing key: it ships in moto's package, so anyone can sign as the local pool."""
    from moto.utilities.utils import load_resource

    return jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json")).key


def _forged(pool: LocalPool, key: Any = None, kid: str = "dummy", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": pool.issuer, "aud": pool.web_client_id, "sub": str(uuid.uuid4()), "token_use": "id",
              "iat": now, "exp": now + 600, **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key or _moto_key(), algorithm="RS256",
                      headers={"kid": kid})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda pool: _forged(pool, exp=int(time.time()) - 60), "token expired"),
        (lambda pool: _forged(pool, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
         "wrong token issuer"),
        (lambda pool: _forged(pool, aud="another-app-client"), "wrong token audience"),
        (lambda pool: _forged(pool, token_use="access"), "send the ID token"),
        (lambda pool: _forged(pool, token_use=None), "lacks the 'token_use' claim"),
        (lambda pool: _forged(pool, aud=None), "lacks the 'aud' claim"),
        (lambda pool: _forged(pool, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
         "bad token signature"),
        (lambda pool: _forged(pool, kid="unknown-kid"), "no key of the local Cognito pool"),
    ],
)
def test_the_dev_server_refuses_a_bad_cognito_token_saying_why(cognito, cognito_server, make, reason):
    assert get(cognito_server, "/me", _forged(cognito)).status_code == 403, "the unchanged token passes (no org)"
    r = get(cognito_server, "/me", make(cognito))
    assert r.status_code == 401, r.text
    assert reason in r.json()["error"]["message"]


def test_a_real_access_token_is_refused(cognito, cognito_server):
    email = new_email()
    add_account(cognito, email, DEMO_PASSWORD)
    r = get(cognito_server, "/me", signin.sign_in(cognito, email, DEMO_PASSWORD)["AccessToken"])
    assert r.status_code == 401 and "send the ID token" in r.json()["error"]["message"], r.text


def test_locally_minted_tokens_still_work_beside_cognitos(cognito_server):
    from dev import tokens

    token = tokens.mint("usr_x", org_id="org_x", role="customer_admin")
    assert get(cognito_server, "/audit", token).status_code == 200


# -- python -m dev.signin --

@pytest.fixture
def dev_env_restored(monkeypatch):
    """dev.signin loads a settings file into os.environ: every variable it may set is put back after the test."""
    import os

    from dev.settings import default_settings

    for key in default_settings():
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:
            monkeypatch.setenv(key, "placeholder")  # records that it was unset
            monkeypatch.delenv(key)


def test_signin_cli_prints_an_id_token_and_explains_refusals(cognito, tmp_path, monkeypatch, capsys,
                                                             dev_env_restored):
    monkeypatch.setenv(ENDPOINT_VARIABLE, cognito.endpoint)
    admin = sign_up("fleet")
    assert admin.email
    add_account(cognito, admin.email, DEMO_PASSWORD)
    assert signin.main(["--email", admin.email, "--password", DEMO_PASSWORD, "--dev-dir", str(tmp_path)]) == 0
    assert claims_of(capsys.readouterr().out.strip())["custom:user_id"] == admin.user_id
    assert signin.main(["--email", admin.email, "--password", "Wrong-password-1", "--dev-dir", str(tmp_path)]) == 1
    assert "NotAuthorizedException" in capsys.readouterr().err

    invited = new_email()  # AdminCreateUser with a temporary password: a new one is chosen at the first sign-in
    cognito.client.admin_create_user(UserPoolId=cognito.pool_id, Username=invited, TemporaryPassword="Temporary-pw-1",
                                     UserAttributes=[{"Name": "email", "Value": invited},
                                                     {"Name": "email_verified", "Value": "true"}],
                                     MessageAction="SUPPRESS")
    assert signin.main(["--email", invited, "--password", "Temporary-pw-1", "--dev-dir", str(tmp_path)]) == 1
    assert "--new-password" in capsys.readouterr().err
    assert signin.main(["--email", invited, "--password", "Temporary-pw-1", "--new-password", "Chosen-password-2",
                        "--dev-dir", str(tmp_path)]) == 0
    assert claims_of(capsys.readouterr().out.strip())["token_use"] == "id"


def test_signin_cli_without_a_running_stack_says_so(tmp_path, monkeypatch, capsys, dev_env_restored):
    from dev.dynamodb_local import free_port

    monkeypatch.setenv(ENDPOINT_VARIABLE, f"http://127.0.0.1:{free_port()}")
    assert signin.main(["--email", "a@example.com", "--password", DEMO_PASSWORD, "--dev-dir", str(tmp_path)]) == 1
    assert "sign-in failed" in capsys.readouterr().err
