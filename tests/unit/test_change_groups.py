"""Changes grouped for people: the same change to a language's posts once, with its channels;
a channel whose text changed otherwise stands apart; languages in the order they come."""

from __future__ import annotations

from drafts.changes import Change, ChangeGroup, Piece, compare
from drafts.models import Post


def post(channel: str, language: str, text: str) -> Post:
    return Post(
        draft_id=1,
        channel=channel,
        platform="x",
        language=language,
        text=text,
        length=len(text),
        status="pending",
    )


def test_the_same_change_to_several_posts_is_one_group_naming_their_channels() -> None:
    seen = [
        {"channel": channel, "language": language, "text": text}
        for channel, language, text in [
            ("linkedin", "ko", "월요일에 엽니다."),
            ("x-ko", "ko", "월요일에 엽니다."),
            ("linkedin", "en", "Opens Monday."),
            ("bluesky", "ko", "월요일에 엽니다."),
            ("x-en", "en", "Opens Monday."),
        ]
    ]
    now = [
        post("linkedin", "ko", "화요일에 엽니다."),
        post("x-ko", "ko", "화요일!"),  # its own shorter text
        post("linkedin", "en", "Opens Monday."),
        post("bluesky", "ko", "화요일에 엽니다."),
        post("mastodon", "en", "Opens Monday."),
    ]
    groups = compare(seen, now).groups
    assert [(g.language, g.channels, g.change) for g in groups] == [
        ("ko", ("linkedin", "bluesky"), Change.CHANGED),
        ("ko", ("x-ko",), Change.CHANGED),
        ("en", ("mastodon",), Change.ADDED),
        ("en", ("x-en",), Change.REMOVED),
    ]
    assert groups[0] == ChangeGroup(
        "ko",
        ("linkedin", "bluesky"),
        Change.CHANGED,
        (Piece("월요일에", Change.REMOVED), Piece("화요일에", Change.ADDED), Piece(" 엽니다.")),
    )
    assert len(compare(seen, now)) == 5  # scripts still get one change per post
