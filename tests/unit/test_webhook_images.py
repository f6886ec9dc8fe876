"""A webhook payload for a post with images: one ``media`` entry per image, in order, signed
with the rest of the body."""

from __future__ import annotations

import hashlib
import hmac
import json

from drafts.channels import WebhookChannel
from scheduler.platforms.base import JobImage, PostJob
from scheduler.platforms.webhook import WebhookAdapter

HOOK = WebhookChannel(
    id="h", platform="webhook", languages=("ko",), url="http://127.0.0.1:9/hooks/x"
)
LINK = "https://tidings.example.org/media/" + "c" * 64 + ".jpg?expires=1798790400&signature=ab12"
PARK = JobImage("c" * 64, "image/jpeg", 1200, 900, 230_000, "해 질 무렵 강변 산책로", url=LINK)
CHART = JobImage("d" * 64, "image/png", 1000, 600, 48_000, "Bar chart of bus ridership")


def test_each_image_is_a_media_entry_in_the_signed_payload() -> None:
    job = PostJob(1, "강변 산책로 개장 🌅", "ko", "k", images=(PARK, CHART))
    request = WebhookAdapter().build(job, HOOK, "signing-key")
    assert request.json() == {
        "text": "강변 산책로 개장 🌅",
        "media": [
            {
                "url": LINK,
                "sha256": "c" * 64,
                "content_type": "image/jpeg",
                "alt": "해 질 무렵 강변 산책로",
                "width": 1200,
                "height": 900,
            },
            {  # no [media] public_url link for this one: null, the key always there
                "url": None,
                "sha256": "d" * 64,
                "content_type": "image/png",
                "alt": "Bar chart of bus ridership",
                "width": 1000,
                "height": 600,
            },
        ],
    }
    assert request.content is not None
    digest = hmac.new(b"signing-key", request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Tidings-Signature"] == f"sha256={digest}"
    assert WebhookAdapter().displayed_text(request) == "강변 산책로 개장 🌅"


def test_a_post_without_images_sends_no_media_key() -> None:
    request = WebhookAdapter().build(PostJob(1, "plain", "en", "k"), HOOK, "")
    assert json.loads(request.content or b"") == {"text": "plain"}
