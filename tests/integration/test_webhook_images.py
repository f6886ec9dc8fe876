"""A webhook delivery with images over loopback HTTP: the payload lists each image (its signed
link when ``[media] public_url`` is set), the signature covers it, and the sandbox shows it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx

from drafts.channels import WebhookChannel
from scheduler.outcomes import Published
from scheduler.platforms.base import Credentials, PostJob
from scheduler.platforms.webhook import WebhookAdapter
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback
from tests.integration.photos import phone_photo, spooled

TEXT = "Riverside boardwalk: opening day photos"
LINK = "https://tidings.example.org/media/{sha}.jpg?expires=1798790400&signature=5f2a"


def test_the_payload_lists_the_images_and_is_signed(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sandbox.state.settings.webhook_secrets["news"] = "hook-signing-key"
    park = spooled(tmp_path, phone_photo(640, 480), "Children on the boardwalk at sunset")
    park = replace(park, url=LINK.format(sha=park.sha256))
    benches = spooled(tmp_path, phone_photo(300, 200, rotated=False), "강가의 벤치")
    hook = WebhookChannel(
        id="hook",
        platform="webhook",
        languages=("en",),
        url=f"{sandbox.base_url}/hooks/news",
        secret_env="HOOK_SECRET",
    )
    webhook = OverLoopback(WebhookAdapter(), hook, Credentials("hook-signing-key", MemoryVault()))

    attempted = webhook.publish(PostJob(4, TEXT, "en", "k", images=(park, benches)))

    assert isinstance(attempted.outcome, Published)
    [delivery] = sandbox.state.posts("webhook")
    assert delivery.details["signature_valid"] is True
    assert delivery.body["media"] == [
        {"url": park.url, "sha256": park.sha256, "content_type": "image/jpeg",
         "alt": "Children on the boardwalk at sunset", "width": 480, "height": 640},
        {"url": None, "sha256": benches.sha256, "content_type": "image/jpeg",
         "alt": "강가의 벤치", "width": 300, "height": 200},
    ]  # fmt: skip
    assert delivery.details["images"] == delivery.body["media"]
    # The delivery's page shows each entry with its alt text; the linked one by its link.
    page = httpx.get(sandbox.base_url + delivery.permalink).text
    assert "alt='Children on the boardwalk at sunset'" in page
    assert f"src='{park.url}'".replace("&", "&amp;") in page
    assert "강가의 벤치" in page and "300×200 px" in page
