"""Reading the X account's recent posts to find a post whose answer was lost (PLATFORMS.md §2.6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.outcomes import Published, Unknown
from scheduler.platforms.x_timeline import TIMELINE_SIZE, NotFound, read_timeline
from tests.fakes import answer, tweet

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FORBIDDEN = {
    "detail": "You are not permitted to perform this action.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


LINKED = "Release 2.0 is out https://example.com/r2 #release"


def mine(tweet_id: str, made: datetime = NOW) -> dict[str, str]:
    return tweet(tweet_id, LINKED, made)


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        ([mine("5")], Published("5", "https://x.com/i/web/status/5", 200)),
        # t.co in place of the link
        ([tweet("5", "Release 2.0 is out https://t.co/AbC123xYz #release", NOW)], Published),
        ([mine("5", NOW - timedelta(minutes=1))], Published),  # the clocks differ a little
        ([mine("6"), mine("5")], Unknown),  # two identical posts: which is this one?
        ([], NotFound),
        ([tweet("5", "Release 2.0 is out #release", NOW)], NotFound),  # another text
        ([mine("5", NOW - timedelta(minutes=10))], NotFound),  # made before the first attempt
        ([{"id": "5", "text": LINKED}], NotFound),  # no time: not known to be since then
        # A full page made since the first attempt: another match may lie beyond it.
        (
            [tweet(str(n), f"other {n}", NOW) for n in range(TIMELINE_SIZE - 1)] + [mine("5")],
            NotFound,
        ),
    ],
)
def test_reading_the_accounts_recent_posts(posts: list[dict[str, str]], expected: object) -> None:
    found = read_timeline(answer(200, {"data": posts, "meta": {}}), LINKED, since=NOW)
    if isinstance(expected, type):
        assert isinstance(found, expected), found
    else:
        assert found == expected
    if isinstance(found, Unknown):
        assert "6, 5" in found.reason


def test_recent_posts_that_cannot_be_read_settle_nothing() -> None:
    refused = read_timeline(answer(403, FORBIDDEN), LINKED, since=NOW)
    assert refused == NotFound("X would not list the account's posts (403)")


WITH_MEDIA_LINK = "Release 2.0 is out https://t.co/AbC123xYz #release https://t.co/Pic0Of1t"


@pytest.mark.parametrize(
    ("listed", "with_media", "expected"),
    [
        # X lists a post with images with its media link after the text.
        (WITH_MEDIA_LINK, True, Published),
        (LINKED, True, Published),
        # Without images, one more link is another text.
        (WITH_MEDIA_LINK, False, NotFound),
        (WITH_MEDIA_LINK + " https://t.co/Another1", True, NotFound),
    ],
)
def test_a_post_with_images_is_found_with_its_media_link(
    listed: str, with_media: bool, expected: type
) -> None:
    posts = {"data": [tweet("5", listed, NOW)], "meta": {}}
    found = read_timeline(answer(200, posts), LINKED, since=NOW, with_media=with_media)
    assert isinstance(found, expected), found
