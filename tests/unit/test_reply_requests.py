"""The requests that publish a part after the first (issue 11 point 2, PLATFORMS.md §10.2): each
names the part it replies to as its platform takes it, and a first part names none."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from drafts.channels import MastodonChannel, ThreadsChannel
from scheduler.outcomes import Published, Unknown
from scheduler.platforms.base import PostJob, PublishedPart, ReplyTo
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.threads import ThreadsAdapter, find_in_listing
from tests.fakes import answer, job

ROOT = PublishedPart("110001")
PART_2 = PublishedPart("110002")
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
THREADS = ThreadsChannel(
    id="th", platform="threads", languages=("ko",), user_id="1784", token_env="T", base_url=None
)
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


def test_threads_reply_container_names_the_part_before() -> None:
    adapter = ThreadsAdapter()
    first = adapter.build(job("하나 1/2", language="ko"), THREADS, "token")
    second = adapter.build(part("둘 2/2", "k2", ROOT), THREADS, "token")
    assert first.url == second.url == "https://graph.threads.net/v1.0/1784/threads"
    assert "reply_to_id" not in first.json()
    assert second.json() == {
        "media_type": "TEXT",
        "text": "둘 2/2",
        "reply_to_id": "110001",
        "access_token": "token",
    }


def test_threads_finds_a_lost_reply_only_under_the_part_it_answers() -> None:
    later = replace(part("같은 말", "k3", PART_2), first_attempt_at=NOW - timedelta(minutes=1))
    made = (NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    listing = {
        "data": [
            {"id": "9", "text": "같은 말", "timestamp": made, "replied_to": {"id": "110001"}},
            {"id": "8", "text": "같은 말", "timestamp": made, "replied_to": {"id": "110002"},
             "permalink": "https://www.threads.net/@a/post/8"},
        ]
    }  # fmt: skip
    found = find_in_listing(answer(200, listing), later, THREADS, "c1", NOW)
    assert found == Published("8", "https://www.threads.net/@a/post/8", 200)
    elsewhere = {"data": listing["data"][:1]}
    missing = find_in_listing(answer(200, elsewhere), later, THREADS, "c1", NOW)
    assert isinstance(missing, Unknown)
    assert "no reply to 110002 with this text" in missing.reason
    assert "newest replies" in missing.reason
