"""The Threads adapter: the container and publish requests, the saved container on every retry,
and the re-check by container status, against a scripted in-memory platform (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms import threads
from scheduler.platforms.base import Credentials
from scheduler.platforms.threads import ThreadsAdapter
from tests import fakes
from tests.fakes import (
    MemoryVault,
    Reply,
    Scripted,
    ScriptedPlatform,
    graph_error,
    reply,
    timeout,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TOKEN = "token-0123456789"
EN = "Launch day! Read the notes (v2): https://example.org/notes_v2 #OpenSource @team 🚀"
KO = "서울 기후 포럼 (2일차): https://example.org/forum #기후 #서울 🌏"
THREADS = ThreadsChannel(
    id="th", platform="threads", languages=("en", "ko"), user_id="17841400000000001", token_env="T"
)
CONTAINER = "17889615691921648"
MEDIA = "18050206876707110"
CREDENTIALS = Credentials(TOKEN, MemoryVault())


# A post whose first attempt was a day ago, and each step against a scripted platform.
job = partial(fakes.job, first_attempt_at=NOW - timedelta(days=1))
ON = Scripted(ThreadsAdapter(), THREADS, CREDENTIALS, NOW)
publish, reconcile, identify = ON.publish, ON.reconcile, ON.identify


USER = "/v1.0/17841400000000001"
PERMALINK = "https://www.threads.net/@demo/post/C1a2b3"


@pytest.mark.parametrize("text", [EN, KO])
def test_threads_requests_field_by_field(text: str) -> None:
    adapter = ThreadsAdapter()
    container = adapter.build(job(text), THREADS, TOKEN)
    assert container.method == "POST"
    assert container.url == "https://graph.threads.net/v1.0/17841400000000001/threads"
    assert container.json() == {"media_type": "TEXT", "text": text, "access_token": TOKEN}
    assert adapter.displayed_text(container) == text
    publish_request = adapter.build_publish(THREADS, CONTAINER, TOKEN)
    assert publish_request.url == (
        f"https://graph.threads.net/v1.0/17841400000000001/threads_publish?creation_id={CONTAINER}"
    )
    assert publish_request.json() == {"access_token": TOKEN}
    assert TOKEN not in container.url + publish_request.url


def test_threads_saves_the_container_before_publishing_it() -> None:
    platform = ScriptedPlatform(
        {
            ("POST", f"{USER}/threads"): [reply(200, {"id": CONTAINER})],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(200, {"id": MEDIA, "permalink": PERMALINK})],
        }
    )
    attempted, saves = publish(job(EN), platform)
    assert saves == [({threads.CONTAINER: CONTAINER}, 1)]  # after creating, before publishing
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)
    [publish_request] = platform.sent("POST", f"{USER}/threads_publish")
    assert publish_request.url.params["creation_id"] == CONTAINER
    assert platform.sent("GET", f"/v1.0/{MEDIA}")[0].headers["Authorization"] == f"Bearer {TOKEN}"


def status(value: str) -> httpx.Response:
    return reply(200, {"id": CONTAINER, "status": value})


def test_threads_retry_publishes_the_saved_container_without_making_another() -> None:
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status("FINISHED")],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(200, {"id": MEDIA, "permalink": PERMALINK})],
        }
    )
    attempted, saves = publish(job(EN, state={threads.CONTAINER: CONTAINER}), platform)
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)
    assert saves == []
    assert platform.sent("POST", f"{USER}/threads") == []


@pytest.mark.parametrize("dead", ["EXPIRED", "ERROR"])
def test_threads_replaces_an_expired_or_failed_container(dead: str) -> None:
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status(dead)],
            ("POST", f"{USER}/threads"): [reply(200, {"id": "555"})],
            ("POST", f"{USER}/threads_publish"): [reply(200, {"id": MEDIA})],
            ("GET", f"/v1.0/{MEDIA}"): [reply(500)],
        }
    )
    attempted, saves = publish(job(EN, state={threads.CONTAINER: CONTAINER}), platform)
    assert saves == [({threads.CONTAINER: "555"}, 2)]
    assert platform.sent("POST", f"{USER}/threads_publish")[0].url.params["creation_id"] == "555"
    assert attempted.outcome == Published(MEDIA, None, 200)  # the post exists without a link


def test_threads_waits_for_a_container_in_progress() -> None:
    platform = ScriptedPlatform({("GET", f"/v1.0/{CONTAINER}"): [status("IN_PROGRESS")]})
    attempted, _ = publish(job(EN, state={threads.CONTAINER: CONTAINER}), platform)
    assert isinstance(attempted.outcome, RetryLater)
    assert len(platform.requests) == 1


@pytest.mark.parametrize(
    ("reply_", "kind"),
    [
        (timeout, RetryLater),  # a container is private: making another cannot post twice
        (reply(503), RetryLater),
        (reply(400, graph_error(190, 460)), Failed),
        (reply(400, graph_error(4)), RetryAt),
        (reply(400, graph_error(100)), Failed),
    ],
)
def test_threads_container_trouble_never_reaches_publish(reply_: Reply, kind: type) -> None:
    platform = ScriptedPlatform({("POST", f"{USER}/threads"): [reply_]})
    attempted, saves = publish(job(EN), platform)
    assert type(attempted.outcome) is kind
    assert saves == []


@pytest.mark.parametrize(
    ("reply_", "kind"),
    [(timeout, Unknown), (reply(503), Unknown), (reply(400, graph_error(17)), RetryAt)],
)
def test_threads_publish_step_trouble(reply_: Reply, kind: type) -> None:
    platform = ScriptedPlatform(
        {
            ("POST", f"{USER}/threads"): [reply(200, {"id": CONTAINER})],
            ("POST", f"{USER}/threads_publish"): [reply_],
        }
    )
    attempted, _ = publish(job(EN), platform)
    assert type(attempted.outcome) is kind


def threads_listing(*items: tuple[str, str, datetime]) -> httpx.Response:
    data = [
        {
            "id": i,
            "text": t,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink": PERMALINK,
        }
        for i, t, at in items
    ]
    return reply(200, {"data": data, "paging": {}})


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        (
            {
                f"/v1.0/{CONTAINER}": [status("PUBLISHED")],
                f"{USER}/threads": [
                    threads_listing(
                        ("9", "other", NOW), (MEDIA, EN, NOW), ("1", EN, NOW - timedelta(days=3))
                    )
                ],
            },
            Published(MEDIA, PERMALINK, 200),
        ),
        (
            {f"/v1.0/{CONTAINER}": [status("PUBLISHED")], f"{USER}/threads": [threads_listing()]},
            Unknown,
        ),
        ({f"/v1.0/{CONTAINER}": [status("FINISHED")]}, None),
        ({f"/v1.0/{CONTAINER}": [status("EXPIRED")]}, None),
        ({f"/v1.0/{CONTAINER}": [status("IN_PROGRESS")]}, RetryLater),
        ({f"/v1.0/{CONTAINER}": [reply(400, graph_error(100, 33))]}, Unknown),
        ({f"/v1.0/{CONTAINER}": [reply(400, graph_error(190))]}, Failed),
        ({f"/v1.0/{CONTAINER}": [timeout]}, RetryLater),
    ],
)
def test_threads_reconcile_reads_the_container_status(
    replies: dict[str, list[Reply]], expected: object
) -> None:
    platform = ScriptedPlatform({("GET", path): r for path, r in replies.items()})
    outcome = reconcile(job(EN, state={threads.CONTAINER: CONTAINER}), platform)
    if expected is None or isinstance(expected, Published):
        assert outcome == expected
    else:
        assert type(outcome) is expected
    assert all("access_token" not in str(r.url) for r in platform.requests)


def test_threads_reconcile_without_a_container_is_safe_to_send() -> None:
    assert reconcile(job(EN), ScriptedPlatform({})) is None


def test_threads_refused_publish_of_a_container_already_published_is_that_post() -> None:
    already = reply(400, graph_error(100))
    platform = ScriptedPlatform(
        {
            ("GET", f"/v1.0/{CONTAINER}"): [status("FINISHED"), status("PUBLISHED")],
            ("POST", f"{USER}/threads_publish"): [already],
            ("GET", f"{USER}/threads"): [threads_listing((MEDIA, EN, NOW))],
        }
    )
    attempted, _ = publish(job(EN, state={threads.CONTAINER: CONTAINER}), platform)
    assert attempted.outcome == Published(MEDIA, PERMALINK, 200)


# -- Identity check -----------------------------------------------------------------------------


def test_threads_identify_checks_the_user() -> None:
    me = ("GET", "/v1.0/me")
    right = ScriptedPlatform({me: [reply(200, {"id": "17841400000000001", "username": "demo"})]})
    assert identify(right) == "@demo"
    wrong = ScriptedPlatform({me: [reply(200, {"id": "1", "username": "other"})]})
    assert identify(wrong).startswith("error: the token belongs to @other")
