"""The reply a thread's later part (and its first comment) sends on X and Bluesky: the exact
request bodies (PLATFORMS.md §10.2), a preview's placeholders, and how each adapter reads what
the platform says about a reply."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from drafts.channels import BlueskyChannel, XChannel
from scheduler.outcomes import Failed, Published, RetryLater
from scheduler.platforms.base import HttpResponse, JobImage, PostJob, PublishedPart, ReplyTo
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.bluesky_replies import (
    PLACEHOLDER_CID,
    RecordKey,
    completed,
    record_key,
)
from scheduler.platforms.x import XAdapter, read_create
from scheduler.platforms.x_timeline import NotFound, read_timeline, replied_id
from tests.fakes import answer, tweet

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
X = XChannel(id="x-en", platform="x", languages=("en",), token_env="X_TOKEN")
BSKY = BlueskyChannel(
    id="bsky", platform="bluesky", languages=("en",), handle="tidings.test", password_env="PW"
)
DID = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"
ROOT_URI = f"at://{DID}/app.bsky.feed.post/3lbxzxbmhy22c"
PARENT_URI = f"at://{DID}/app.bsky.feed.post/3lbxzxbmhy33d"
ROOT_CID = "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm"
PARENT_CID = "bafyreih4vtmxu4bfq4rccwbdxqxlptuvmrfhq7fr4sq2vdnw5hnlzr3ziq"
UNSEEN = {
    "detail": "You attempted to reply to a Tweet that is deleted or not visible to you.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


def part(text: str, reply_to: ReplyTo | None, *, images: tuple[JobImage, ...] = ()) -> PostJob:
    return PostJob(
        post_id=2, text=text, language="en", idempotency_key="k", images=images, reply_to=reply_to
    )


# -- X ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", [False, True])
def test_x_a_later_part_replies_to_the_part_before_it(comment: bool) -> None:
    reply_to = ReplyTo(PublishedPart("1002"), PublishedPart("1001"), comment=comment)

    body = XAdapter().build(part("second 2/3", reply_to), X, "token").json()

    assert body == {"text": "second 2/3", "reply": {"in_reply_to_tweet_id": "1002"}}


def test_x_the_first_part_replies_to_nothing() -> None:
    assert XAdapter().build(part("first 1/3", None), X, "token").json() == {"text": "first 1/3"}


@pytest.mark.parametrize(
    ("remote_id", "expected"),
    [
        ("1002", "1002"),
        ("https://x.com/tidings_demo/status/1002", "1002"),  # marked published by its link
        ("https://twitter.com/tidings_demo/status/1002?s=20", "1002"),
        ("https://x.com/i/web/status/1002", "1002"),
    ],
)
def test_x_replies_to_the_id_in_a_part_marked_published_by_its_link(
    remote_id: str, expected: str
) -> None:
    assert replied_id(remote_id) == expected
    body = XAdapter().build(
        part("two", ReplyTo(PublishedPart(remote_id), PublishedPart("1"))), X, "t"
    )
    assert body.json()["reply"] == {"in_reply_to_tweet_id": expected}


def test_x_a_reply_to_a_post_it_cannot_see_is_tried_again_later() -> None:
    outcome = read_create(answer(403, UNSEEN), NOW, sent_before=False)

    assert isinstance(outcome, RetryLater)
    assert outcome.http_status == 403
    assert "deleted or not visible" in outcome.reason


def test_x_a_lost_part_is_the_post_with_its_text_replying_to_the_part_before() -> None:
    same_text = "Doors open at nine. 2/3"
    alone = tweet("7", same_text, NOW)  # the same text posted on its own
    elsewhere = tweet("8", same_text, NOW) | {
        "referenced_tweets": [{"type": "replied_to", "id": "999"}]
    }
    ours = tweet("9", same_text, NOW) | {"referenced_tweets": [{"type": "replied_to", "id": "5"}]}
    listed = answer(200, {"data": [ours, elsewhere, alone], "meta": {}})

    assert read_timeline(listed, same_text, since=NOW, replying_to="5") == Published(
        "9", "https://x.com/i/web/status/9", 200
    )
    # The first part is the one replying to nothing.
    assert read_timeline(listed, same_text, since=NOW) == Published(
        "7", "https://x.com/i/web/status/7", 200
    )
    assert isinstance(read_timeline(listed, same_text, since=NOW, replying_to="6"), NotFound)


# -- Bluesky ------------------------------------------------------------------------------------


def test_bluesky_a_later_part_names_root_and_parent_by_uri_and_kept_cid() -> None:
    reply_to = ReplyTo(
        parent=PublishedPart(PARENT_URI, {"cid": PARENT_CID, "rkey": "3lbxzxbmhy33d"}),
        root=PublishedPart(ROOT_URI, {"cid": ROOT_CID}),
    )

    record = (
        BlueskyAdapter().build(part("third #forum 3/3", reply_to), BSKY, "jwt").json()["record"]
    )

    assert record["reply"] == {
        "root": {"uri": ROOT_URI, "cid": ROOT_CID},
        "parent": {"uri": PARENT_URI, "cid": PARENT_CID},
    }
    # Facets count the part's own bytes.
    assert record["facets"][0]["index"] == {"byteStart": 6, "byteEnd": 12}


def test_bluesky_the_first_part_has_no_reply_and_a_cid_not_kept_is_a_placeholder() -> None:
    first = BlueskyAdapter().build(part("first", None), BSKY, "jwt").json()["record"]
    assert "reply" not in first
    unknown = PublishedPart(ROOT_URI)
    later = BlueskyAdapter().build(part("two", ReplyTo(unknown, unknown)), BSKY, "jwt").json()
    assert later["record"]["reply"]["parent"] == {"uri": ROOT_URI, "cid": PLACEHOLDER_CID}


@pytest.mark.parametrize(
    ("remote_id", "expected"),
    [
        (PARENT_URI, RecordKey(DID, "3lbxzxbmhy33d")),
        (
            "https://bsky.app/profile/tidings.test/post/3lbxzxbmhy33d",
            RecordKey("tidings.test", "3lbxzxbmhy33d"),
        ),
        (f"at://{DID}/app.bsky.feed.like/3lbxzxbmhy33d", None),  # not a post
        ("https://example.org/post/1", None),
    ],
)
def test_bluesky_the_record_a_part_names(remote_id: str, expected: RecordKey | None) -> None:
    assert record_key(remote_id) == expected


def test_bluesky_a_part_that_names_no_record_is_not_guessed_at() -> None:
    async def never(key: RecordKey) -> HttpResponse:
        raise AssertionError(f"nothing to look up, asked for {key}")

    weird = PublishedPart("https://example.org/post/1")
    outcome = asyncio.run(completed(part("two", ReplyTo(weird, weird)), never))
    assert isinstance(outcome, Failed)
    assert "https://example.org/post/1" in outcome.reason
