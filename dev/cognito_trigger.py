"""The Pre Token Generation trigger, run at each ID token the local Cognito (moto) issues, as AWS runs it.

moto stores a pool's LambdaConfig but invokes no trigger. Its server runs in our process
(dev/cognito.py), so we wrap the one method every ID token goes through (`create_jwt` with
token_use "id": sign-in, new-password challenge, refresh): when the pool names a Pre Token
Generation function, we build the event Cognito sends (version 1: the user's attributes, the
trigger source, the pool, the client), invoke the registered handler (`functions/token_claims` in
the dev stack) and apply its `claimsOverrideDetails` to the claims moto is about to sign:
`claimsToSuppress` removed, `claimsToAddOrOverride` set. As in AWS, a trigger that fails (or names
a function nobody registered) fails the sign-in with UserLambdaValidationException, and claims
Cognito reserves cannot be touched (here: the sign-in fails, so the mistake shows).

Self sign-up (its emailed code, the pool's AllowAdminCreateUserOnly) is dev/cognito_signup.py.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dev.apigw import LocalContext

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Cognito's reserved claims: a trigger may neither add, override nor suppress them
RESERVED_CLAIMS = frozenset({
    "acr", "amr", "at_hash", "auth_time", "aud", "azp", "cognito:username", "exp", "iat", "identities", "iss",
    "jti", "nbf", "nonce", "origin_jti", "sub", "token_use",
})
AUTHENTICATION, REFRESH = "TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"

_functions: dict[str, LambdaHandler] = {}
_source = threading.local()
_installed = threading.Lock()
originals: dict[str, Any] = {}  # moto's methods as they were before we wrapped them, by name


def import_handler(name: str) -> LambdaHandler:
    """`functions.<name>.handler.lambda_handler`, imported at its first invocation (its cold start)."""
    loaded: list[LambdaHandler] = []

    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not loaded:
            loaded.append(importlib.import_module(f"functions.{name}.handler").lambda_handler)
        return loaded[0](event, context)

    return invoke


def register(function_name: str, handler: LambdaHandler) -> None:
    """What a LambdaConfig ARN ending in `function:<function_name>` invokes."""
    _functions[function_name] = handler


def _failure(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("UserLambdaValidationException", f"PreTokenGeneration failed with error {message}.")


def trigger_event(pool: Any, client_id: str, user: Any, source: str) -> dict[str, Any]:
    """The event Cognito sends a version 1 Pre Token Generation trigger (events/token_claims_sign_in.json)."""
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    attributes["sub"] = user.id
    attributes["cognito:user_status"] = str(getattr(user.status, "value", user.status))
    return {
        "version": "1",
        "triggerSource": source,
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {"groupsToOverride": [g.group_name for g in user.groups],
                                   "iamRolesToOverride": [], "preferredRole": None},
        },
        "response": {"claimsOverrideDetails": None},
    }


def _apply(answer: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    details = (answer.get("response") or {}).get("claimsOverrideDetails") or {}
    suppress = list(details.get("claimsToSuppress") or [])
    override = dict(details.get("claimsToAddOrOverride") or {})
    touched = RESERVED_CLAIMS.intersection([*suppress, *override])
    if touched:
        raise _failure(f"reserved claims cannot be changed: {sorted(touched)}")
    out = {k: v for k, v in claims.items() if k not in suppress}
    out.update({k: str(v) for k, v in override.items()})
    return out


def run_trigger(pool: Any, client_id: str, username: str, claims: dict[str, Any]) -> dict[str, Any]:
    """The ID token's extra claims after the pool's Pre Token Generation trigger, if it has one."""
    arn = ((pool.extended_config.get("LambdaConfig") or {}).get("PreTokenGeneration")) or ""
    if not arn:
        return claims
    handler = _functions.get(arn.rsplit(":", 1)[-1])
    if handler is None:
        raise _failure(f"no function {arn} (dev/cognito_trigger.register)")
    event = trigger_event(pool, client_id, pool._get_user(username), getattr(_source, "value", AUTHENTICATION))
    try:
        answer = handler(event, LocalContext(function_name=arn.rsplit(":", 1)[-1]))
    except Exception as exc:  # as Cognito: the sign-in fails, saying why
        raise _failure(f"{type(exc).__name__}: {exc}") from exc
    return _apply(answer, claims)


@contextmanager
def _as(source: str) -> Iterator[None]:
    previous = getattr(_source, "value", AUTHENTICATION)
    _source.value = source
    try:
        yield
    finally:
        _source.value = previous


def install() -> None:
    """Wrap moto's user pool once per process (idempotent)."""
    from moto.cognitoidp.models import CognitoIdpUserPool

    with _installed:
        if "create_jwt" in originals:
            return
        originals["create_jwt"] = create_jwt = CognitoIdpUserPool.create_jwt
        originals["refresh"] = refresh = CognitoIdpUserPool.create_tokens_from_refresh_token

        def create_jwt_with_trigger(self: Any, client_id: str, username: str, token_use: str,
                                    expires_in: int = 60 * 60, extra_data: dict[str, Any] | None = None) -> Any:
            if token_use == "id":
                extra_data = run_trigger(self, client_id, username, dict(extra_data or {}))
            return create_jwt(self, client_id, username, token_use, expires_in, extra_data)

        def refresh_as_refresh(self: Any, refresh_token: str) -> Any:
            with _as(REFRESH):
                return refresh(self, refresh_token)

        CognitoIdpUserPool.create_jwt = create_jwt_with_trigger  # type: ignore[method-assign]
        CognitoIdpUserPool.create_tokens_from_refresh_token = refresh_as_refresh  # type: ignore[method-assign]
