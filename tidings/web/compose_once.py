"""One compose form makes at most one draft, however often it is sent.

Every blank compose page carries a new random token (``form_token``), kept through every page
of that form (previews, refusals). The first save of the form adds a draft, and the token
remembers which; the same form sent again (a double click, Back then Save again, a reload
that resends it) edits that draft instead of adding another, and a request that comes while
the first is still saving waits for it. A token belongs to the user who sent it: another
user's copy of a page adds a draft of its own. The edit page needs none of this: saving the
same content twice changes nothing.

Tokens are kept in memory for the last ``KEPT`` forms, per process, as the login throttle's
counts are (``tidings web`` is one process); a restart forgets them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

KEPT = 4096
MAX_TOKEN = 64  # characters; a longer one is no token of ours


def new_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Sending:
    """One form's sending, under way: the draft its token made (None: none yet); set
    ``draft_id`` once a draft is added."""

    draft_id: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FormTokens:
    """The draft each recent compose form made, by its user and token. Call it from the event
    loop."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._sent: OrderedDict[tuple[int, str], Sending] = OrderedDict()

    @asynccontextmanager
    async def sending(self, user_id: int, token: str) -> AsyncIterator[Sending]:
        """Holds the form's token while one request saves with it (others with the same one
        wait). Without a usable token, nothing is remembered."""
        if not token or len(token) > MAX_TOKEN:
            yield Sending()
            return
        key = (user_id, token)
        sending = self._sent.get(key)
        if sending is None:
            sending = self._sent[key] = Sending()
            self._forget_oldest()
        self._sent.move_to_end(key)
        async with sending.lock:
            yield sending

    def _forget_oldest(self) -> None:
        """Drops the oldest forms past ``kept``, except one being sent."""
        for key in list(self._sent)[: max(0, len(self._sent) - self.kept)]:
            if not self._sent[key].lock.locked():
                del self._sent[key]
