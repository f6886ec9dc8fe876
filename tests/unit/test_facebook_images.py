"""Facebook posts with images, without a network: the preview shows ``<image N>`` where the bytes
or an uploaded photo's id will go and real ids once the publish state has them, and a refused
upload is read as an outcome that names the image and never says a post may exist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from drafts.channels import FacebookChannel
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import HttpResponse, JobImage
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.graph_errors import refused_upload
from scheduler.platforms.uploads import media_key
from scheduler.preview import preview
from tests import fakes
from tests.fakes import answer, graph_error

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TEXT = "Our new office by the river, open from Monday 🏢"
FACEBOOK = FacebookChannel(
    id="fb", platform="facebook", languages=("en", "ko"), page_id="546349135390552", token_env="T"
)
GRAPH = "https://graph.facebook.com/v21.0/546349135390552"
FIRST = JobImage("a" * 64, "image/jpeg", 1600, 1200, 412_000, "Desks by a tall window")
SECOND = JobImage("b" * 64, "image/png", 1200, 1200, 98_000, "사무실 입구의 간판")


def test_a_preview_of_one_image_is_the_photo_post_with_the_image_where_its_bytes_go() -> None:
    shown = preview(post_id=1, text=TEXT, language="en", channel=FACEBOOK, images=(FIRST,))
    assert shown.request.url == f"{GRAPH}/photos"
    body = shown.request_json()["body"]
    assert body["source"] == "<image 1>"
    assert (body["caption"], body["published"], body["alt_text_custom"]) == (
        TEXT,
        "true",
        FIRST.alt,
    )
    assert shown.displayed == TEXT


def test_a_preview_of_several_images_attaches_placeholders_then_real_ids() -> None:
    shown = preview(post_id=1, text=TEXT, language="en", channel=FACEBOOK, images=(FIRST, SECOND))
    assert shown.request.url == f"{GRAPH}/feed"
    body = shown.request_json()["body"]
    assert body["attached_media"] == [{"media_fbid": "<image 1>"}, {"media_fbid": "<image 2>"}]
    assert body["message"] == shown.displayed == TEXT

    uploaded = {media_key(FIRST): "1116689038356556", media_key(SECOND): "1116689038356557"}
    post = replace(fakes.job(TEXT, state=uploaded), images=(FIRST, SECOND))
    request = FacebookAdapter().build(post, FACEBOOK, "token")
    assert request.json()["attached_media"] == [
        {"media_fbid": "1116689038356556"},
        {"media_fbid": "1116689038356557"},
    ]


def test_an_image_without_alt_text_sends_no_empty_alt_field() -> None:
    bare = JobImage("c" * 64, "image/jpeg", 800, 600, 50_000, "")
    body = preview(post_id=1, text=TEXT, language="en", channel=FACEBOOK, images=(bare,))
    assert "alt_text_custom" not in body.request_json()["body"]


@pytest.mark.parametrize(
    ("response", "kind", "detail"),
    [
        (answer(503), RetryLater, "nothing was posted"),  # no Graph body: never Unknown
        (answer(500, graph_error(1)), RetryLater, "temporary"),
        (answer(400, graph_error(324)), Failed, "code 324"),
        (answer(400, graph_error(190, 460)), Failed, "reconnect"),
        (answer(400, graph_error(32)), RetryAt, "rate limit"),
    ],
)
def test_a_refused_upload_names_the_image_and_never_is_unknown(
    response: HttpResponse, kind: type, detail: str
) -> None:
    outcome = refused_upload(
        response, NOW, service="Facebook", reconnect="reconnect", what="uploading image 2"
    )
    assert type(outcome) is kind
    assert outcome.reason.startswith("uploading image 2: ")
    assert detail in outcome.reason
    if isinstance(outcome, RetryAt):
        assert outcome.at == NOW + timedelta(minutes=15)
