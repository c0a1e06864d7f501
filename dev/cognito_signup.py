"""Self sign-up on the local Cognito as AWS does it: a verification code by email, checked at ConfirmSignUp.

moto's SignUp creates an UNCONFIRMED user and sends nothing; its ConfirmSignUp accepts any code
and leaves `email_verified` unset; it has no ResendConfirmationCode. Cognito, with the pool's
settings (dev/cognito.py `pool_request`, the CDK stack's), emails a 6-digit code with the pool's
VerificationMessageTemplate, refuses a wrong one (CodeMismatchException) or one older than 24 h
(ExpiredCodeException), and a confirmed sign-up has a verified email, which is what gives a token
its tenancy (shared/orgs/tenancy.py). So, in this process (moto's server runs here):

- SignUp is refused while the pool has AdminCreateUserConfig.AllowAdminCreateUserOnly (moto ignores
  it); otherwise moto's user is made and the code is sent through `send_mail` (the dev stack's
  mailer: the SMTP sink, `.dev/mail`), in the pool's words;
- ConfirmSignUp checks the code, then confirms the user and marks its email verified;
- ResendConfirmationCode sends a new code (the old one stops working).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from dev.cognito_trigger import originals

SendMail = Callable[[str, str, str], None]  # (to, subject, body)
CODE_LIFETIME_SECONDS = 24 * 3600  # Cognito's for a sign-up confirmation code

_codes: dict[tuple[str, str], tuple[str, float]] = {}  # (pool id, user's sub) -> (code, sent at)
_send: list[SendMail] = []
_lock = threading.Lock()


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _pool_of(backend: Any, client_id: str) -> Any:
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    if pool is None:
        raise _error("ResourceNotFoundException", f"no client {client_id}")
    return pool


def _send_code(pool: Any, user: Any) -> dict[str, str]:
    """A new code for `user`, emailed in the pool's words; Cognito's CodeDeliveryDetails."""
    code = f"{secrets.randbelow(10**6):06d}"
    with _lock:
        _codes[(pool.id, user.username)] = (code, time.time())
    template = pool.extended_config.get("VerificationMessageTemplate") or {}
    email = user.attribute_lookup.get("email", "")
    subject = template.get("EmailSubject") or "Your verification code"
    body = (template.get("EmailMessage") or "Your verification code is {####}.").replace("{####}", code)
    for send in _send:
        send(email, subject, body)
    masked = email[:1] + "***@" + email.rsplit("@", 1)[-1]
    return {"Destination": masked, "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def _check_code(pool: Any, user: Any, code: str) -> None:
    with _lock:
        sent = _codes.get((pool.id, user.username))
    if sent is None or not secrets.compare_digest(sent[0], code or ""):
        raise _error("CodeMismatchException", "Invalid verification code provided, please try again.")
    if time.time() - sent[1] > CODE_LIFETIME_SECONDS:
        raise _error("ExpiredCodeException", "Invalid code provided, please request a code again.")
    with _lock:
        _codes.pop((pool.id, user.username), None)


def _unconfirmed_user(response: Any, code_when_confirmed: str, message_when_confirmed: str) -> tuple[Any, Any]:
    """The pool and user a ConfirmSignUp/ResendConfirmationCode request names, refused as AWS does when
    the user is unknown or already confirmed (the two calls answer a confirmed user differently)."""
    client_id, username = response._get_param("ClientId"), response._get_param("Username")
    backend = response._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = _pool_of(backend, client_id)
    user = pool._get_user(username)
    if user is None:
        raise _error("UserNotFoundException", "Username/client id combination not found.")
    if str(getattr(user.status, "value", user.status)) != "UNCONFIRMED":
        raise _error(code_when_confirmed, message_when_confirmed)
    return pool, user


def install(send_mail: SendMail) -> None:
    """Wrap moto's SignUp and ConfirmSignUp, add ResendConfirmationCode (idempotent; the latest `send_mail`)."""
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.cognitoidp.responses import CognitoIdpResponse

    _send[:] = [send_mail]
    if "sign_up" in originals:
        return
    sign_up = originals["sign_up"] = CognitoIdpBackend.sign_up
    confirm = originals["confirm_sign_up"] = CognitoIdpResponse.confirm_sign_up

    def sign_up_with_code(self: Any, client_id: str, username: str, password: str,
                          attributes: list[dict[str, str]]) -> Any:
        pool = _pool_of(self, client_id)
        if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
            raise _error("NotAuthorizedException", "SignUp is not permitted for this user pool")
        user, _ = sign_up(self, client_id, username, password, attributes)
        return user, _send_code(pool, user)

    def confirm_with_code(self: Any) -> Any:
        pool, user = _unconfirmed_user(self, "NotAuthorizedException",
                                       "User cannot be confirmed. Current status is CONFIRMED")
        _check_code(pool, user, self._get_param("ConfirmationCode"))
        answer = confirm(self)
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        return answer

    def resend_confirmation_code(self: Any) -> Any:
        from moto.core.responses import ActionResult

        pool, user = _unconfirmed_user(self, "InvalidParameterException", "User is already confirmed.")
        return ActionResult({"CodeDeliveryDetails": _send_code(pool, user)})

    CognitoIdpBackend.sign_up = sign_up_with_code  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_sign_up = confirm_with_code  # type: ignore[method-assign]
    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code  # type: ignore[attr-defined]
