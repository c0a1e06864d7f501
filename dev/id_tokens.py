"""The dev server's check of an ID token from the local Cognito, as API Gateway's Cognito authorizer checks one.

An RS256 signature by a key of the pool's JWKS (fetched from the emulator, by the token's `kid`;
fetched again once when the `kid` is unknown), the pool's issuer, an audience that is one of the
pool's app clients, not expired, `token_use` "id" (no OAuth scopes on our methods: the authorizer
takes the ID token, whose claims the handlers read). Like API Gateway, nothing here asks Cognito
whether the token was revoked: a removed user's ID token works until it expires (an hour), and
the next one, at refresh, carries no tenancy (or the refresh is refused after a global sign-out).
"""

from __future__ import annotations

from typing import Any

import jwt

from dev.cognito import LocalPool
from dev.tokens import TokenError

ALGORITHM = "RS256"


class CognitoVerifier:
    """Verifies the ID tokens of one local pool."""

    def __init__(self, pool: LocalPool) -> None:
        self.pool = pool
        self._jwks = jwt.PyJWKClient(pool.jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def _key(self, token: str) -> Any:
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise TokenError(f"cannot read the local Cognito's JWKS at {self.pool.jwks_url}: {exc}") from None
        except jwt.PyJWKClientError:
            raise TokenError("bad token signature (no key of the local Cognito pool has this kid)") from None

    def verify(self, token: str) -> dict[str, Any]:
        key = self._key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.pool.issuer,
                # the audience after token_use: an access token has none (it names its client in client_id)
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenError(_refusal(exc, self.pool)) from None
        if claims["token_use"] != "id":
            raise TokenError(f"an {claims['token_use']} token: send the ID token (token_use 'id')")
        if "aud" not in claims:
            raise TokenError("token lacks the 'aud' claim")
        if claims["aud"] not in self.pool.client_ids:
            raise TokenError("wrong token audience: not an app client of the local Cognito pool")
        return claims


def _refusal(exc: jwt.InvalidTokenError, pool: LocalPool) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the {exc.claim!r} claim"
    reasons: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
        (jwt.ExpiredSignatureError, "token expired"),
        (jwt.InvalidSignatureError, "bad token signature (not signed by the local Cognito pool)"),
        (jwt.InvalidIssuerError, f"wrong token issuer: expected {pool.issuer!r}"),
        (jwt.InvalidAlgorithmError, f"token not signed with {ALGORITHM}"),
        (jwt.ImmatureSignatureError, "token not valid yet (issued in the future)"),
    )
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return f"malformed token: {exc}"
