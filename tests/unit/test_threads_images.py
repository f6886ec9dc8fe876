"""Threads posts with images, without a network: the preview shows the image's link (``<image N>``
before there is one) and a carousel's items as ``<image N>`` until the publish state has their
container ids, and what each container status means for the post."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Failed, Outcome, RetryLater, Unknown
from scheduler.platforms.base import JobImage
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.platforms.threads_containers import Status, item_container, settled
from scheduler.platforms.uploads import media_key
from scheduler.preview import preview
from tests import fakes

TEXT = "Opening day at the riverside boardwalk 🌅"
THREADS = ThreadsChannel(
    id="th", platform="threads", languages=("en", "ko"), user_id="17841400000000001", token_env="T"
)
CONTAINERS = "https://graph.threads.net/v1.0/17841400000000001/threads"
LINK = "https://tidings.example.org/media/{}.jpg?expires=1798761600&signature=abc"
FIRST = JobImage("a" * 64, "image/jpeg", 1440, 1080, 412_000, "Children on the boardwalk")
SECOND = JobImage("b" * 64, "image/png", 1080, 1080, 98_000, "강변 산책로 입구의 안내판")


def test_a_preview_of_one_image_shows_where_its_link_will_go() -> None:
    shown = preview(post_id=1, text=TEXT, language="en", channel=THREADS, images=(FIRST,))
    body = shown.request_json()["body"]
    assert shown.request.url == CONTAINERS
    assert (body["media_type"], body["image_url"], body["alt_text"]) == (
        "IMAGE",
        "<image 1>",
        FIRST.alt,
    )
    assert body["text"] == shown.displayed == TEXT


def test_the_image_container_fetches_the_signed_link() -> None:
    linked = replace(FIRST, url=LINK.format(FIRST.sha256))
    post = replace(fakes.job(TEXT), images=(linked,))
    body = ThreadsAdapter().build(post, THREADS, "token").json()
    assert body["image_url"] == linked.url
    assert "is_carousel_item" not in body


def test_a_carousel_lists_placeholders_then_its_item_containers() -> None:
    shown = preview(post_id=1, text=TEXT, language="en", channel=THREADS, images=(FIRST, SECOND))
    body = shown.request_json()["body"]
    assert (body["media_type"], body["children"]) == ("CAROUSEL", "<image 1>,<image 2>")
    assert "image_url" not in body and shown.displayed == TEXT

    items = {media_key(FIRST): "17889615691921648", media_key(SECOND): "17889615691921649"}
    post = replace(fakes.job(TEXT, state=items), images=(FIRST, SECOND))
    built = ThreadsAdapter().build(post, THREADS, "token").json()
    assert built["children"] == "17889615691921648,17889615691921649"


def test_a_carousel_item_carries_its_image_and_alt_text_but_no_text() -> None:
    linked = replace(SECOND, url=LINK.format(SECOND.sha256))
    body = item_container(THREADS, linked, 2, "token").json()
    assert body == {
        "media_type": "IMAGE",
        "is_carousel_item": True,
        "image_url": linked.url,
        "alt_text": SECOND.alt,
        "access_token": "token",
    }


def test_an_image_post_without_text_shows_none() -> None:
    shown = preview(post_id=1, text="", language="en", channel=THREADS, images=(FIRST,))
    assert "text" not in shown.request_json()["body"]
    assert shown.displayed == ""


@pytest.mark.parametrize(
    ("status", "expected", "detail"),
    [
        (Status("FINISHED"), None, ""),
        (Status("IN_PROGRESS"), RetryLater, "still preparing image 2 (container 42)"),
        (Status("ERROR", "UNKNOWN"), Failed, "could not prepare image 2 (container 42: UNKNOWN)"),
        (Status("ERROR"), Failed, "[media] public_url"),
        (Status("EXPIRED"), RetryLater, "expired"),
        (Status("PAUSED"), Unknown, "PAUSED"),
        (RetryLater("could not read it"), RetryLater, "could not read it"),
    ],
)
def test_what_a_container_status_means_for_the_post(
    status: Status | Outcome, expected: type | None, detail: str
) -> None:
    outcome = settled(status, "42", "image 2")
    if expected is None:
        assert outcome is None
    else:
        assert type(outcome) is expected
        assert isinstance(outcome, RetryLater | Failed | Unknown)
        assert detail in outcome.reason
