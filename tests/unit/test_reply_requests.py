"""The requests that publish a part after the first (issue 11 point 2, PLATFORMS.md §10.2): each
names the part it replies to as its platform takes it, and a first part names none."""

from __future__ import annotations

from dataclasses import replace

from drafts.channels import MastodonChannel
from scheduler.platforms.base import PostJob, PublishedPart, ReplyTo
from scheduler.platforms.mastodon import MastodonAdapter
from tests.fakes import job

ROOT = PublishedPart("110001")
PART_2 = PublishedPart("110002")
MASTODON = MastodonChannel(
    id="m", platform="mastodon", languages=("ko",), base_url="http://127.0.0.1:9/", token_env="T"
)


def part(text: str, key: str, parent: PublishedPart, *, comment: bool = False) -> PostJob:
    later = job(text, language="ko-KR")
    return replace(later, idempotency_key=key, reply_to=ReplyTo(parent, ROOT, comment))


def test_mastodon_part_replies_to_the_part_before_in_its_language_under_its_own_key() -> None:
    adapter = MastodonAdapter()
    first = adapter.build(
        replace(job("하나 1/3", language="ko-KR"), idempotency_key="k1"), MASTODON, "t"
    )
    third = adapter.build(part("셋 3/3", "k3", PART_2), MASTODON, "t")
    comment = adapter.build(
        part("신청은 누리집에서", "k4", PublishedPart("110003"), comment=True), MASTODON, "t"
    )
    assert "in_reply_to_id" not in first.json()
    assert third.json() == {
        "status": "셋 3/3",
        "visibility": "public",
        "language": "ko",
        "in_reply_to_id": "110002",
    }
    assert comment.json()["in_reply_to_id"] == "110003"
    assert [r.json()["language"] for r in (first, third, comment)] == ["ko"] * 3
    assert [r.headers["Idempotency-Key"] for r in (first, third, comment)] == ["k1", "k3", "k4"]
