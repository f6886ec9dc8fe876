"""Each platform's image limits (PLATFORMS.md 10.1): what it refuses, said so people can act,
the alt text it takes, and a Mastodon instance's own limits as ``channels check`` learns them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drafts.channels import (
    PLATFORMS,
    BlueskyChannel,
    Channel,
    FacebookChannel,
    LinkedInChannel,
    MastodonChannel,
    TelegramChannel,
    ThreadsChannel,
    WebhookChannel,
    XChannel,
)
from drafts.media import MAX_IMAGES, StoredImage
from drafts.media_limits import (
    PROFILES,
    ImageProfile,
    image_profile,
    learned_media_limits,
    remember_media_limits,
)
from drafts.models import ChannelState
from drafts.storage import Database

LANGUAGES = ("en",)
CHANNELS: dict[str, Channel] = {
    "linkedin": LinkedInChannel(
        id="li", platform="linkedin", languages=LANGUAGES, author="urn:li:person:a1", token_env="T"
    ),
    "x": XChannel(id="x", platform="x", languages=LANGUAGES, token_env="T"),
    "mastodon": MastodonChannel(
        id="social",
        platform="mastodon",
        languages=LANGUAGES,
        base_url="https://social.example",
        token_env="T",
    ),
    "bluesky": BlueskyChannel(
        id="sky", platform="bluesky", languages=LANGUAGES, handle="a.test", password_env="P"
    ),
    "facebook": FacebookChannel(
        id="fb", platform="facebook", languages=LANGUAGES, page_id="12", token_env="T"
    ),
    "threads": ThreadsChannel(
        id="th", platform="threads", languages=LANGUAGES, user_id="9", token_env="T"
    ),
    "telegram": TelegramChannel(
        id="tg", platform="telegram", languages=LANGUAGES, chat_id="@tidings_news", token_env="T"
    ),
    "webhook": WebhookChannel(
        id="hook", platform="webhook", languages=LANGUAGES, url="https://hooks.example/in"
    ),
}
# The answer of a Mastodon 4.x instance to GET /api/v2/instance, the parts channels check keeps.
INSTANCE = {
    "image_size_limit": 16_777_216,
    "image_matrix_limit": 33_177_600,
    "max_media_attachments": 4,
    "description_limit": 1_500,
    "supported_mime_types": ["image/jpeg", "image/png", "image/webp", "image/avif", "video/mp4"],
}


def image(
    width: int = 1200, height: int = 800, size: int = 300_000, kind: str = "image/jpeg"
) -> StoredImage:
    return StoredImage("0" * 64, kind, width, height, size)


def profile(platform: str) -> ImageProfile:
    return image_profile(CHANNELS[platform])


def test_every_platform_has_a_profile_with_a_short_key_of_its_own() -> None:
    assert set(CHANNELS) == set(PLATFORMS)
    keys = {profile(platform).key() for platform in PLATFORMS}
    assert len(keys) == len(PLATFORMS)
    assert all(len(key) <= 200 for key in keys)
    assert all(1 <= profile(platform).max_images <= MAX_IMAGES for platform in PLATFORMS)


def test_the_key_names_every_limit_that_shapes_the_bytes() -> None:
    bluesky = PROFILES["bluesky"]
    assert (
        bluesky.key() == "bluesky gif,jpg,png,webp bytes=1000000 pixels=- width=- sides=- ratio=-"
    )
    assert PROFILES["telegram"].key() == (
        "telegram jpg,png bytes=10000000 pixels=- width=- sides=10000 ratio=20"
    )
    with_more_bytes = replace(bluesky, max_bytes=2_000_000)
    assert with_more_bytes.key() != bluesky.key()
    longer_alt = replace(bluesky, alt_limit=5_000)
    assert longer_alt.key() == bluesky.key()  # alt text changes no image's bytes


@pytest.mark.parametrize(
    ("platform", "stored", "refusal"),
    [
        ("bluesky", image(size=1_000_000), None),
        (
            "bluesky",
            image(size=1_000_001),
            "1,000,001 bytes; Bluesky takes at most 1,000,000 bytes",
        ),
        ("x", image(size=5_000_000), None),
        ("x", image(size=5_000_001), "5,000,001 bytes; X takes at most 5,000,000 bytes"),
        ("x", image(kind="image/webp"), None),
        ("facebook", image(size=3_999_999), None),
        (
            "facebook",
            image(size=4_000_000),
            "4,000,000 bytes; Facebook takes at most 3,999,999 bytes",
        ),
        ("facebook", image(kind="image/webp"), "a WebP image; Facebook takes JPEG or PNG"),
        ("threads", image(kind="image/webp"), "a WebP image; Threads takes JPEG or PNG"),
        ("threads", image(1440, 900), None),
        ("threads", image(1441, 900), "1,441 pixels wide; Threads takes at most 1,440 pixels wide"),
        (
            "threads",
            image(size=8_000_001),
            "8,000,001 bytes; Threads takes at most 8,000,000 bytes",
        ),
        ("linkedin", image(6016, 6009), None),  # 36,150,144 pixels
        (
            "linkedin",
            image(6016, 6010),
            "36,156,160 pixels (6016×6010); LinkedIn takes at most 36,152,319 pixels",
        ),
        ("linkedin", image(kind="image/webp"), "a WebP image; LinkedIn takes JPEG, PNG or GIF"),
        ("telegram", image(6000, 4000), None),
        (
            "telegram",
            image(6001, 4000),
            "width plus height is 10,001 (6001×4000); Telegram takes width plus height of at "
            "most 10,000",
        ),
        ("telegram", image(4000, 200), None),
        (
            "telegram",
            image(4020, 200),
            "one side is 20.1 times the other (4020×200); Telegram takes one side at most 20 "
            "times the other",
        ),
        (
            "telegram",
            image(size=10_000_001),
            "10,000,001 bytes; Telegram takes at most 10,000,000 bytes",
        ),
        ("mastodon", image(size=10_485_760), None),
        ("mastodon", image(kind="image/webp"), "a WebP image; Mastodon takes JPEG, PNG or GIF"),
        (
            "mastodon",
            image(4097, 4096),
            "16,781,312 pixels (4097×4096); Mastodon takes at most 16,777,216 pixels",
        ),
        ("webhook", image(20_000, 300, 40_000_000, "image/webp"), None),
    ],
)
def test_refusal_names_what_the_platform_would_refuse(
    platform: str, stored: StoredImage, refusal: str | None
) -> None:
    said = profile(platform).refusal(stored)
    assert (str(said) if said is not None else None) == refusal


def test_a_shape_no_scaling_fixes_is_named_first() -> None:
    too_long = image(9000, 300, 20_000_000, "image/webp")
    refusal = profile("telegram").refusal(too_long)
    assert refusal is not None and str(refusal).startswith("one side is 30.0 times the other")
    assert len(profile("telegram").problems(too_long)) == 3  # the shape, the format, the bytes


@pytest.mark.parametrize(
    ("platform", "alt", "problem"),
    [
        ("x", "a" * 1_000, None),
        ("x", "a" * 1_001, "alt text is 1,001 characters; X takes 1,000"),
        ("mastodon", "한" * 1_500, None),
        ("mastodon", "한" * 1_501, "alt text is 1,501 characters; Mastodon takes 1,500"),
        # Bluesky counts what a reader sees: a family emoji is one, though 5 code points.
        ("bluesky", "👨‍👩‍👧" * 2_000, None),
        ("bluesky", "👨‍👩‍👧" * 2_001, "alt text is 2,001 characters; Bluesky takes 2,000"),
        ("bluesky", "e\u0301" * 2_000, None),
        ("telegram", "a" * 50_000, None),
        ("linkedin", "", None),
    ],
)
def test_alt_text_is_counted_as_each_platform_counts(
    platform: str, alt: str, problem: str | None
) -> None:
    said = profile(platform).alt_problem(alt)
    assert (str(said) if said is not None else None) == problem


def test_only_telegram_hides_alt_text() -> None:
    hidden = [platform for platform in PLATFORMS if not profile(platform).shows_alt]
    assert hidden == ["telegram"]


def test_a_mastodon_instance_that_said_nothing_gets_the_documented_defaults() -> None:
    mastodon = profile("mastodon")
    assert (mastodon.max_bytes, mastodon.max_pixels, mastodon.max_images, mastodon.alt_limit) == (
        10_485_760,
        16_777_216,
        4,
        1_500,
    )
    assert mastodon.content_types == {"image/jpeg", "image/png", "image/gif"}


def test_what_an_instance_said_replaces_the_defaults() -> None:
    mastodon = image_profile(CHANNELS["mastodon"], {"social": INSTANCE})
    assert (mastodon.max_bytes, mastodon.max_pixels, mastodon.alt_limit) == (
        16_777_216,
        33_177_600,
        1_500,
    )
    # Only the formats Tidings sends count; AVIF and video are not among them.
    assert mastodon.content_types == {"image/jpeg", "image/png", "image/webp"}
    assert mastodon.refusal(image(kind="image/webp")) is None
    assert mastodon.key() != profile("mastodon").key()
    other_channel = image_profile(CHANNELS["mastodon"], {"elsewhere": INSTANCE})
    assert other_channel == profile("mastodon")


@pytest.mark.parametrize(
    ("said", "max_images", "max_bytes", "alt_limit"),
    [
        ({"max_media_attachments": 2}, 2, 10_485_760, 1_500),
        ({"max_media_attachments": 16}, MAX_IMAGES, 10_485_760, 1_500),
        (
            {"description_limit": 500, "image_size_limit": 2_097_152},
            4,
            2_097_152,
            500,
        ),  # GoToSocial
        (
            {"image_size_limit": "lots", "description_limit": 0, "max_media_attachments": True},
            4,
            10_485_760,
            1_500,
        ),
        ({"supported_mime_types": "image/webp"}, 4, 10_485_760, 1_500),
    ],
)
def test_an_instance_is_believed_only_where_it_makes_sense(
    said: dict[str, object], max_images: int, max_bytes: int, alt_limit: int
) -> None:
    mastodon = image_profile(CHANNELS["mastodon"], {"social": said})
    assert (mastodon.max_images, mastodon.max_bytes, mastodon.alt_limit) == (
        max_images,
        max_bytes,
        alt_limit,
    )
    assert mastodon.content_types == {"image/jpeg", "image/png", "image/gif"}


def test_learned_limits_are_kept_per_channel(database: Database) -> None:
    with database.writing() as session:
        session.add(ChannelState(channel="x", reason="rate limited"))
        remember_media_limits(session, "social", {**INSTANCE, "video_size_limit": 41_943_040})
    with database.reading() as session:
        learned = learned_media_limits(session)
    assert learned == {"social": INSTANCE}  # video limits are nothing Tidings uses
    mastodon = image_profile(CHANNELS["mastodon"], learned)
    assert mastodon.content_types == {"image/jpeg", "image/png", "image/webp"}

    with database.writing() as session:
        remember_media_limits(session, "social", {"description_limit": 500})
    with database.reading() as session:
        assert learned_media_limits(session) == {"social": {"description_limit": 500}}
