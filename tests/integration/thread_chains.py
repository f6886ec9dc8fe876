"""What the X and Bluesky thread tests share: a text cut into numbered parts, what each next
part replies to (as ``scheduler.claiming`` builds it), the parts rejoined, and a Bluesky channel
on the sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from drafts.channels import BlueskyChannel
from drafts.text_rules.thread_split import number_parts, split_thread
from scheduler.platforms.base import PublishedPart, ReplyTo
from scheduler.sandbox import RunningSandbox

_NUMBER = re.compile(r" \d+/\d+$")


def numbered(text: str, fits: Callable[[str], bool], count: int) -> tuple[str, ...]:
    """``text`` cut into parts that fit, numbered " n/N" as composing numbers them; there must
    be ``count`` of them."""
    parts = number_parts(split_thread(text, fits))
    assert len(parts) == count, parts
    return parts


def rejoined(texts: Iterable[str]) -> str:
    """Numbered parts joined back into the text they were cut from."""
    return " ".join(_NUMBER.sub("", text) for text in texts)


def replying(published: list[PublishedPart], *, comment: bool = False) -> ReplyTo | None:
    """What the part after ``published`` replies to: the last of them, in the thread the first
    began (None for a first part)."""
    if not published:
        return None
    return ReplyTo(parent=published[-1], root=published[0], comment=comment)


def bluesky_channel(
    sandbox: RunningSandbox, languages: tuple[str, ...] = ("en", "ko")
) -> BlueskyChannel:
    """The Bluesky channel the adapter tests publish to: tidings.test on the sandbox."""
    return BlueskyChannel(
        id="bsky",
        platform="bluesky",
        languages=languages,
        handle="tidings.test",
        password_env="TIDINGS_T_BSKY",
        base_url=sandbox.base_url,
    )
