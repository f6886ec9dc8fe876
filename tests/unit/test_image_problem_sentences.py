"""Each problem of a post's images is a sentence of the web's catalogue: a Korean reader reads
it in Korean (the words in it too: what the image is, what its platform takes), and ``str()``
is the command line's English line as before (issue 17). The pages that show them are tested
in tests/web/test_korean_refusals.py."""

from __future__ import annotations

from datetime import UTC

import pytest

from drafts.media import PostImage, StoredImage
from drafts.media_plan import image_problems
from tests.conftest import TEST_CONFIG, make_config
from tidings.web.sentences import Teller
from tidings.web.translations import translations

CONFIG = make_config(
    TEST_CONFIG
    + """
[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_news"
token_env = "TIDINGS_TEST_TELEGRAM_TOKEN"
"""
)
KOREAN = Teller(translations("ko").gettext, UTC)


def sent(
    width: int = 1200,
    height: int = 800,
    size: int = 300_000,
    kind: str = "image/jpeg",
    alt: str = "A park",
) -> PostImage:
    """An image as a post sends it."""
    return PostImage(StoredImage("0" * 64, kind, width, height, size), alt, "0" * 64)


@pytest.mark.parametrize(
    ("channel", "images", "korean", "english"),
    [
        (
            "x-en",
            [sent()] * 5,
            "이미지 5장: x에는 최대 4장까지 올릴 수 있습니다",
            "5 images; x takes at most 4",
        ),
        (
            "x-en",
            [sent(size=6_000_000)],
            "이미지 1: 6,000,000바이트: X에서는 5,000,000바이트 이하만 받습니다",
            "image 1: 6,000,000 bytes; X takes at most 5,000,000 bytes",
        ),
        (
            "telegram",
            [sent(kind="image/webp")],
            "이미지 1: WebP 이미지: Telegram에서는 JPEG 또는 PNG만 받습니다",
            "image 1: a WebP image; Telegram takes JPEG or PNG",
        ),
        (
            "linkedin",
            [sent(7000, 6000)],
            "이미지 1: 42,000,000픽셀(7000×6000): LinkedIn에서는 36,152,319픽셀 이하만 받습니다",
            "image 1: 42,000,000 pixels (7000×6000); LinkedIn takes at most 36,152,319 pixels",
        ),
        (
            "telegram",
            [sent(6000, 5000)],
            "이미지 1: 너비와 높이의 합 11,000(6000×5000): Telegram에서는 너비와 높이의 합이 "
            "10,000 이하인 이미지만 받습니다",
            "image 1: width plus height is 11,000 (6000×5000); Telegram takes width plus height "
            "of at most 10,000",
        ),
        (
            "x-en",
            [sent(alt="a" * 1_001)],
            "이미지 1: 대체 텍스트가 1,001자입니다. X에서는 1,000자까지 받습니다",
            "image 1: alt text is 1,001 characters; X takes 1,000",
        ),
    ],
)
def test_each_image_problem_is_told_in_korean_and_said_in_english(
    channel: str, images: list[PostImage], korean: str, english: str
) -> None:
    [found] = image_problems(images, CONFIG.channel(channel), CONFIG, {})
    assert (KOREAN(found), str(found)) == (korean, english)
