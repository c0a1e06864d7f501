"""Each user's Cognito account, brought in step with the table through the outbox and the stream.

Adding a user (logic.add_user) and removing one (logic.delete_user) write, in their own
transaction, an outbox message `cognito_account` naming the email address. The stream processor
delivers it here (shared/streams/router.py), and this makes the Cognito account match what the
table says *now*, so two messages for one address (removed, then added again) converge whatever
their order, and a retry repeats nothing (only the message written for the address's current
user creates the account or sends an invitation; an older one only opens or closes it):

- the address belongs to a user and has no account: the account is created with a temporary
  password (AdminCreateUser, Cognito's own message suppressed) and *we* send the invitation:
  who added them, to which organization, as what, the sign-in link and that password, which they
  change at the first sign-in (Cognito's NEW_PASSWORD_REQUIRED). Ours, not Cognito's: it names
  the organization and the role, goes through our mailer (the SMTP sink locally, where the
  emulator sends nothing) and the password never rests in the table (the email is sent here,
  not queued). An account still waiting for its first sign-in (a retry after the email failed,
  or a person added again) gets a new temporary password and a new invitation.
- it has an account already (the person signed up, or was removed before): enabled, and we
  email the person that they were added; their password stays theirs. Unless that sign-up was never
  confirmed: anyone can sign up with an address they cannot read, so that password is replaced by a
  temporary one and the invitation goes out as for a new account.
- it belongs to no user: the account, if any, is disabled and signed out everywhere
  (AdminDisableUser, AdminUserGlobalSignOut: refresh tokens revoked; an ID token lives out its
  hour, and carries no tenancy at the next refresh anyway: shared/orgs/tenancy.py).

Cognito's answers that mean "try later" (throttling, an internal error, a timeout) raise: the outbox
releases the message and the stream retries it, then the sweep (shared/outbox/sweep.py).
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.mail.mailer import get_mailer
from shared.observability import logger, metrics
from shared.orgs import dal
from shared.orgs.models import UserItem
from shared.outbox.public import put_email_once
from shared.settings import get_settings

EXISTS, NOT_FOUND = "UsernameExistsException", "UserNotFoundException"
WAITING = "FORCE_CHANGE_PASSWORD"  # invited, never signed in
UNCONFIRMED = "UNCONFIRMED"  # signed up, the emailed code never entered


def temporary_password() -> str:
    """Meets the pool's policy (12+ characters, upper, lower, digit, symbol): 16 random URL-safe ones and 4 more."""
    return secrets.token_urlsafe(12) + "Fb7!"


@cache
def _cognito() -> Any:
    """Built once per process, at the first account to sync (boto3 honours AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER
    locally: the dev stack's emulator)."""
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("cognito-idp", region_name=get_settings().aws_region, config=config)


def _pool_id() -> str:
    pool_id = get_settings().user_pool_id
    if not pool_id:
        raise RuntimeError("USER_POOL_ID is not set: Cognito accounts cannot be kept in step")
    return pool_id


def current_user(email: str) -> UserItem | None:
    """The user holding this address now (consistent reads), if any."""
    claim = dal.get_email_claim(email)
    return dal.get_user_item(claim.org_id, claim.owner_id, consistent=True) if claim is not None else None


def sync_account(message_id: str, payload: dict[str, Any]) -> None:
    """The outbox sender of `cognito_account` messages (see the module docstring)."""
    email = str(payload["email"]).lower()
    user = current_user(email)
    if user is None:
        _close(email)
    elif payload.get("user_id") == user.user_id:
        _open(message_id, email, user, payload)
    else:  # a message about an earlier user of the address (removed, added again): the newer one invites
        _enable(email)


def _enable(email: str) -> None:
    client, pool_id = _cognito(), _pool_id()
    try:
        client.admin_enable_user(UserPoolId=pool_id, Username=email)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != NOT_FOUND:
            raise


def _open(message_id: str, email: str, user: UserItem, payload: dict[str, Any]) -> None:
    client, pool_id = _cognito(), _pool_id()
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                  {"Name": "name", "Value": user.name}]
    password = temporary_password()
    try:
        client.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                 TemporaryPassword=password, MessageAction="SUPPRESS")
        metrics.add_metric(name="CognitoAccountsCreated", unit="Count", value=1)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != EXISTS:
            raise  # throttled, or Cognito failed: the message is retried
        account = client.admin_get_user(UserPoolId=pool_id, Username=email)
        if not account.get("Enabled", True):
            client.admin_enable_user(UserPoolId=pool_id, Username=email)
        status = account.get("UserStatus")
        if status == UNCONFIRMED:
            # signed up and never confirmed: perhaps not by the owner of the address (anyone can type it), so
            # the password set there is replaced by ours, which only the mailbox sees; whoever uses it proves
            # the address, as a code would
            client.admin_update_user_attributes(UserPoolId=pool_id, Username=email,
                                                UserAttributes=[{"Name": "email_verified", "Value": "true"}])
        elif status != WAITING:
            # their own password stays; we say they were added (once per message)
            put_email_once(f"{message_id}-added", to=email, subject=_subject(payload),
                           body=_added(user, payload, password=None))
            logger.info("cognito account exists: enabled", extra={"user_id": user.user_id})
            return
        client.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=False)
    get_mailer().send(to=email, subject=_subject(payload), body=_added(user, payload, password=password),
                      message_id=f"{message_id}-invitation")
    logger.info("cognito account invited", extra={"user_id": user.user_id})


def _subject(payload: dict[str, Any]) -> str:
    return f"You have been added to {payload.get('org_name') or 'an organization'} on Fleetbridge"


def _added(user: UserItem, payload: dict[str, Any], *, password: str | None) -> str:
    by = payload.get("invited_by") or "An administrator"
    lines = [f"Hello {user.name},", "",
             f"{by} added you to {payload.get('org_name') or 'an organization'} on Fleetbridge as {user.role}.", ""]
    link = f"{get_settings().app_base_url}/sign-in"
    if password is None:
        lines.append(f"Sign in at {link} with this email address and your password.")
    else:
        lines += [f"Sign in at {link} with this email address and this temporary password:", "", f"    {password}",
                  "", "You will choose your own password then. The temporary one works for 3 days."]
    return "\n".join(lines) + "\n"


def _close(email: str) -> None:
    client, pool_id = _cognito(), _pool_id()
    try:
        client.admin_disable_user(UserPoolId=pool_id, Username=email)
        client.admin_user_global_sign_out(UserPoolId=pool_id, Username=email)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != NOT_FOUND:
            raise
        logger.info("no cognito account to disable")
        return
    metrics.add_metric(name="CognitoAccountsDisabled", unit="Count", value=1)
    logger.info("cognito account disabled and signed out")
