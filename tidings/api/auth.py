"""Who calls: ``Authorization: Bearer <token>`` names a token (``drafts.api_tokens``); each
route asks for a scope, and for the capability the user's role must have."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from drafts.api_tokens import Caller, Scope, caller, note_use
from drafts.storage import Database
from drafts.users import CAPABILITIES, Capability, Role
from tidings.api.errors import Refused

# Declares the scheme in the OpenAPI document; the dependency below answers a missing token.
BEARER = HTTPBearer(auto_error=False, description="A token from `tidings token create`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
NO_TOKEN = "give a token: Authorization: Bearer <token> (tidings token create)"
BAD_TOKEN = "the token is wrong, revoked or expired"


def calling(database: Database, now: Callable[[], datetime]) -> Callable[..., Caller]:
    """A dependency that finds the caller of a request, or refuses it (401)."""

    def dependency(request: Request, given: Credentials) -> Caller:
        if given is None or not given.credentials.strip():
            raise Refused(401, NO_TOKEN, "Authorization")
        at = now()
        with database.reading() as session:
            found = caller(session, given.credentials.strip(), at)
        if found is None:
            raise Refused(401, BAD_TOKEN, "Authorization")
        if found.note_use:
            with database.writing() as session:
                note_use(session, found.token_id, at)
        request.state.caller = found
        return found

    return dependency


def allow(who: Caller, scope: Scope, capability: Capability | None = None) -> None:
    """Refuse (403) a token without ``scope``, or a user whose role lacks ``capability``."""
    if scope not in who.scopes and Scope.ADMIN not in who.scopes:
        raise Refused(403, f"the token's scopes do not include {scope}", "scopes")
    if capability is not None and capability not in CAPABILITIES[Role(who.user.role)]:
        message = f"{who.user.name} ({who.user.role}) may not {capability.value}"
        raise Refused(403, message)
