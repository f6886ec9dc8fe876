"""What changed since a review: word by word within a post, posts new or gone, and a post's
images added, removed, replaced or with new alt text."""

from __future__ import annotations

from drafts.changes import Change, ImageChange, Piece, compare, image_changes, word_diff
from drafts.media import PostImage, StoredImage
from drafts.models import Post


def post(channel: str, language: str, text: str) -> Post:
    return Post(draft_id=1, channel=channel, platform="x", language=language, text=text)


def test_only_the_changed_words_are_marked() -> None:
    assert word_diff("The park opens on Monday at 9.", "The park opens on Tuesday at 9.") == (
        Piece("The park opens on "),
        Piece("Monday", Change.REMOVED),
        Piece("Tuesday", Change.ADDED),
        Piece(" at 9."),
    )


def test_korean_words_added_between_others() -> None:
    assert word_diff("강변 공원이 다시 열었습니다.", "강변 공원이 월요일에 다시 열었습니다.") == (
        Piece("강변 공원이"),
        Piece(" 월요일에", Change.ADDED),
        Piece(" 다시 열었습니다."),
    )


def test_a_rewritten_phrase_reads_as_one_removal_and_one_addition() -> None:
    assert word_diff(
        "Volunteers meet at the library at ten.", "Volunteers: send money to this account now."
    ) == (
        Piece("Volunteers"),
        Piece(" meet at the library at ten", Change.REMOVED),
        Piece(": send money to this account now", Change.ADDED),
        Piece("."),
    )


def test_the_pieces_rebuild_both_texts() -> None:
    before = "🌳 New paths\n🎪 A stage for #SummerNights\nhttps://example.org/a"
    after = "🌳 New paths and benches\n🎪 A stage for #SummerNights 2027\nhttps://example.org/b"
    pieces = word_diff(before, after)
    assert "".join(p.text for p in pieces if p.change != Change.ADDED) == before
    assert "".join(p.text for p in pieces if p.change != Change.REMOVED) == after


def test_posts_are_matched_by_channel_and_language() -> None:
    seen = [
        {"channel": "linkedin", "language": "en", "text": "Same text."},
        {"channel": "linkedin", "language": "ko", "text": "예전 글입니다."},
        {"channel": "x-en", "language": "en", "text": "Dropped."},
    ]
    now = [
        post("linkedin", "en", "Same text."),
        post("linkedin", "ko", "새 글입니다."),
        post("mastodon", "en", "New here."),
    ]
    changes = compare(seen, now)
    assert [(c.channel, c.language, c.change) for c in changes] == [
        ("linkedin", "ko", Change.CHANGED),
        ("mastodon", "en", Change.ADDED),
        ("x-en", "en", Change.REMOVED),
    ]
    assert changes[1].pieces == (Piece("New here.", Change.ADDED),)
    assert changes[2].pieces == (Piece("Dropped.", Change.REMOVED),)
    assert compare(seen[:1], now[:1]) == ()


def sent(name: str, alt: str, *, version: str = "") -> PostImage:
    """An image made from the author's ``name``, sent as given (or as another ``version``)."""
    original = name * 64
    image = StoredImage((version or name) * 64, "image/jpeg", 1200, 800, 90_000)
    return PostImage(image=image, alt=alt, original=original)


def test_images_are_matched_by_the_image_the_author_gave() -> None:
    before = [sent("a", "Two people on a bench"), sent("b", "A red kite"), sent("c", "Rain")]
    after = [
        sent("a", "Two people on a green bench"),  # new alt text
        sent("c", "Rain", version="d"),  # the same photo, a new version for the platform
        sent("e", "A tram at night"),  # new
    ]  # and b is gone
    changes = image_changes([i.to_json() for i in before], [i.to_json() for i in after])
    assert [(c.number, c.change) for c in changes] == [
        (1, Change.CHANGED),
        (2, Change.REMOVED),
        (2, Change.REPLACED),
        (3, Change.ADDED),
    ]
    assert changes[0].alt == (
        Piece("Two people on a "),
        Piece("green ", Change.ADDED),
        Piece("bench"),
    )
    assert changes[2] == ImageChange(2, Change.REPLACED, "d" * 64, (Piece("Rain"),), "c" * 64)
    assert changes[3].alt == (Piece("A tram at night", Change.ADDED),)


def test_a_post_whose_images_changed_is_a_change_even_with_the_same_text() -> None:
    seen = [
        {
            "channel": "x-en",
            "language": "en",
            "text": "Same.",
            "media": [sent("a", "Old").to_json()],
        }
    ]
    now = [post("x-en", "en", "Same.")]
    (change,) = compare(seen, now, {("x-en", "en", 1, 1): [sent("b", "Old")]})
    assert change.change == Change.CHANGED and not change.text_changed
    assert [image.change for image in change.images] == [Change.REPLACED]
    assert compare(seen, now, {("x-en", "en", 1, 1): [sent("a", "Old")]}) == ()
    # A review kept before images existed has no "media": the post had none.
    assert compare([{"channel": "x-en", "language": "en", "text": "Same."}], now) == ()
