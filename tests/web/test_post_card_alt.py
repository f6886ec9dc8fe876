"""A post card's image carries its alt text's language (``lang`` on the img: the post's), so a
screen reader says Korean alt text as Korean."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import SQLITE_ONLY, elements, one, post_form
from tests.web.test_media_compose import ALT, TEXT, photo, upload, with_alt

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]

TYPED = {
    "kind": "update",
    "title": "Volunteer day at the riverside",
    "channel": ["linkedin"],
    **{f"text:{tag}": body for tag, body in TEXT.items()},
}


async def test_an_images_alt_text_is_marked_with_its_language(as_mina: httpx.AsyncClient) -> None:
    uploaded = await upload(as_mina, [("riverside.jpg", photo())], TYPED)
    preview = await post_form(as_mina, "/compose", "preview", with_alt(uploaded.text))
    images = {
        str(one(card, ".post-text")["lang"]): one(card, ".post-image img")
        for card in elements(preview.text, "article.post")
    }
    assert {tag: (img["alt"], img["lang"]) for tag, img in images.items()} == {
        tag: (ALT[tag], tag) for tag in ("en", "ko")
    }
