"""The local Cognito user pool: moto's Cognito IdP in server mode, in this process, set up as the CDK stack's.

Why moto (PyPI `moto[server]`) and not cognito-local (npm): it installs with the other Python
packages (no second runtime), runs offline, serves InitiateAuth, AdminCreateUser,
AdminDisableUser, AdminUserGlobalSignOut and the pool's JWKS at `/{pool_id}/.well-known/jwks.json`,
and signs RS256 ID tokens with the issuer Cognito uses (`https://cognito-idp.<region>.amazonaws.com/
<pool_id>`). Neither emulator invokes Lambda triggers, and moto runs in our process: so the dev
stack runs the Pre Token Generation trigger itself (dev/cognito_trigger.py: the same
`functions/token_claims` handler, with the event Cognito sends, its answer applied to the ID token
before moto signs it).

The pool is created with the settings of infra/constructs/auth.py (`pool_request`, `WEB_CLIENT`;
tests/test_infra.py fails when they drift from the synthesized template), plus one client the
deployed pool does not have: `dev-signin`, which allows USER_PASSWORD_AUTH so that
`python -m dev.signin` can sign in with a password (the web app uses SRP). moto's signing key is
the one in its package: public, so an emulator token is good for a laptop and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import boto3

from dev import cognito_signup, cognito_trigger

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"  # boto3 sends cognito-idp calls there
POOL_NAME = "fleetbridge-dev"
WEB_CLIENT_NAME = "web"
SIGNIN_CLIENT_NAME = "dev-signin"
TOKEN_CLAIMS_FUNCTION = "fleetbridge-token_claims"  # the trigger's name in the pool's LambdaConfig
TENANCY_ATTRIBUTES = ("org_id", "role")  # as infra/constructs/auth.py: never written by users
DEMO_PASSWORD = "Fleetbridge-demo-1"  # every demo user's (make dev's banner); the pool's policy accepts it

PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
# The sign-up verification email (the CDK stack's user_verification): a code, as the web app asks for one
VERIFICATION_SUBJECT = "Your Fleetbridge verification code"
VERIFICATION_MESSAGE = ("Your Fleetbridge verification code is {####}. Enter it where you signed up to confirm your "
                        "email address; it works for 24 hours. If you did not sign up for Fleetbridge, ignore this "
                        "email: no account opens without the code.")
READ_ATTRIBUTES = ["email", "email_verified", "name", *(f"custom:{a}" for a in TENANCY_ATTRIBUTES)]

# The CDK stack's WebClient (infra/constructs/auth.py), as CreateUserPoolClient takes it
WEB_CLIENT: dict[str, Any] = {
    "ClientName": WEB_CLIENT_NAME,
    "GenerateSecret": False,
    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "PreventUserExistenceErrors": "ENABLED",
    "ReadAttributes": READ_ATTRIBUTES,
    "WriteAttributes": ["email", "name"],
}
# dev only: a password client for dev.signin (moto does not check ExplicitAuthFlows; AWS would)
SIGNIN_CLIENT: dict[str, Any] = {
    **WEB_CLIENT,
    "ClientName": SIGNIN_CLIENT_NAME,
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
}


def trigger_arn(region: str, account: str = "123456789012") -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{TOKEN_CLAIMS_FUNCTION}"


def pool_request(region: str) -> dict[str, Any]:
    """CreateUserPool's arguments: the CDK stack's UserPool (the same names CloudFormation uses)."""
    return {
        "PoolName": POOL_NAME,
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "Schema": [
            {"Name": name, "AttributeDataType": "String", "Mutable": True,
             "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}}
            for name in TENANCY_ATTRIBUTES
        ],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},  # self sign-up, a verified email first
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE", "EmailSubject": VERIFICATION_SUBJECT,
                                        "EmailMessage": VERIFICATION_MESSAGE},
        "MfaConfiguration": "OPTIONAL",
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        "LambdaConfig": {"PreTokenGeneration": trigger_arn(region)},
        "DeletionProtection": "ACTIVE",
    }


def cognito_client(endpoint: str, region: str) -> Any:
    return boto3.client("cognito-idp", endpoint_url=endpoint, region_name=region)


@dataclass(frozen=True)
class LocalPool:
    """Where the local pool is and what it is: enough to sign in and to verify its tokens."""

    endpoint: str  # http://127.0.0.1:<port>
    region: str
    pool_id: str
    web_client_id: str
    signin_client_id: str

    @property
    def issuer(self) -> str:
        """The `iss` of its tokens, as in AWS (where the JWKS is at issuer + /.well-known/jwks.json)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        """The emulator serves the JWKS at its own address, under the pool's id."""
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    @property
    def client_ids(self) -> tuple[str, ...]:
        return (self.web_client_id, self.signin_client_id)

    @cached_property
    def client(self) -> Any:
        return cognito_client(self.endpoint, self.region)

    @classmethod
    def find(cls, endpoint: str | None = None, region: str | None = None) -> LocalPool:
        """The running dev stack's pool, found by name (`make dev` creates it anew each run)."""
        endpoint = endpoint or os.environ.get(ENDPOINT_VARIABLE, "")
        region = region or os.environ.get("AWS_REGION", "us-east-1")
        if not endpoint:
            raise LookupError(f"{ENDPOINT_VARIABLE} is not set: run `make dev` once (it writes .dev/settings.env)")
        client = cognito_client(endpoint, region)
        pools = [p["Id"] for p in client.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == POOL_NAME]
        if not pools:
            raise LookupError(f"no user pool {POOL_NAME!r} at {endpoint}: is `make dev` running?")
        clients = {c["ClientName"]: c["ClientId"]
                   for c in client.list_user_pool_clients(UserPoolId=pools[-1], MaxResults=60)["UserPoolClients"]}
        return cls(endpoint=endpoint, region=region, pool_id=pools[-1], web_client_id=clients[WEB_CLIENT_NAME],
                   signin_client_id=clients[SIGNIN_CLIENT_NAME])


class CognitoEmulator:
    """moto's server on 127.0.0.1:<port> (0: any free port), with our pool, its two clients, and the
    token_claims trigger wired in (dev/cognito_trigger.py)."""

    def __init__(self, port: int = 0, *, region: str = "us-east-1", pool_id: str | None = None) -> None:
        self.port, self.region = port, region
        self.pool_id = pool_id  # the pool's id, as USER_POOL_ID names it (None: moto's random one)
        self._server: Any = None

    def start(self, trigger: cognito_trigger.LambdaHandler | None = None,
              send_mail: cognito_signup.SendMail | None = None) -> LocalPool:
        """Serve, create the pool; `trigger` is the token_claims handler (default: the real one, imported
        at the first sign-in, as Lambda would load it); `send_mail` sends the sign-up codes (default: our
        mailer, the SMTP sink locally, as Cognito would send them through SES)."""
        from moto.server import ThreadedMotoServer

        cognito_trigger.install()
        cognito_signup.install(send_mail or _send_with_our_mailer)
        cognito_trigger.register(TOKEN_CLAIMS_FUNCTION, trigger or cognito_trigger.import_handler("token_claims"))
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = cognito_client(endpoint, self.region)
        pool_id = client.create_user_pool(**pool_request(self.region))["UserPool"]["Id"]
        if self.pool_id:
            pool_id = _rename_pool(self.region, pool_id, self.pool_id)
        ids = [client.create_user_pool_client(UserPoolId=pool_id, **spec)["UserPoolClient"]["ClientId"]
               for spec in (WEB_CLIENT, SIGNIN_CLIENT)]
        return LocalPool(endpoint=endpoint, region=self.region, pool_id=pool_id, web_client_id=ids[0],
                         signin_client_id=ids[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def _send_with_our_mailer(to: str, subject: str, body: str) -> None:
    from shared.ids import new_id
    from shared.mail.mailer import get_mailer

    get_mailer().send(to=to, subject=subject, body=body, message_id=new_id("cognito"))


def _rename_pool(region: str, generated: str, wanted: str) -> str:
    """Give the new pool the id USER_POOL_ID names (moto picks a random one), before it has clients or users."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core.models import DEFAULT_ACCOUNT_ID

    pools = cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools
    pool = pools.pop(generated)
    pool.id, pool.arn = wanted, pool.arn.replace(generated, wanted)
    pools[wanted] = pool
    return wanted


def port_of(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    if port is None:
        raise ValueError(f"{ENDPOINT_VARIABLE} must be http://127.0.0.1:<port>, got {endpoint!r}")
    return port


def add_account(pool: LocalPool, email: str, password: str, *, name: str = "", verified: bool = True) -> str:
    """A confirmed account with a permanent password (what an invitation and a first sign-in make in AWS),
    or that password for the account the address has already; returns its `sub`."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": str(verified).lower()}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    with contextlib.suppress(pool.client.exceptions.UsernameExistsException):  # e.g. the API made it already
        pool.client.admin_create_user(UserPoolId=pool.pool_id, Username=email, UserAttributes=attributes,
                                      MessageAction="SUPPRESS")
    pool.client.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=password, Permanent=True)
    user = pool.client.admin_get_user(UserPoolId=pool.pool_id, Username=email)
    return str(next(a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"))


def wait_for_account(pool: LocalPool, email: str, timeout: float = 30.0) -> None:
    """Until the address has an account (the stream makes an added user's), or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pool.client.admin_get_user(UserPoolId=pool.pool_id, Username=email)
            return
        except pool.client.exceptions.UserNotFoundException:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no Cognito account for {email} after {timeout:.0f} s: is the stream running?") from None
            time.sleep(0.2)
