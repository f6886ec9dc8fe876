"""The Facebook Pages adapter against the sandbox over loopback HTTP: what arrives, throttling,
a dead token, and an unknown outcome found among the page's posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drafts.channels import FacebookChannel
from scheduler.outcomes import Failed, Published, RetryAt, Unknown
from scheduler.platforms.base import Credentials
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback, just_tried

# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 0.3, 3.0


def on_facebook(sandbox: RunningSandbox) -> OverLoopback[FacebookChannel]:
    channel = FacebookChannel(
        id="fb",
        platform="facebook",
        languages=("en", "ko"),
        page_id=sandbox.state.settings.facebook_page_id,
        token_env="T",
        base_url=sandbox.base_url,
    )
    return OverLoopback(FacebookAdapter(), channel, Credentials("fb-page-token", MemoryVault()))


def test_facebook_post_and_its_page(sandbox: RunningSandbox) -> None:
    text = "서울 기후 포럼 (2일차) https://example.org/forum #기후 🌏"
    attempted = on_facebook(sandbox).publish(just_tried(text))
    [post] = sandbox.state.posts("facebook")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.text == text
    assert "access_token" not in post.body
    [request] = sandbox.state.requests("facebook", method="POST")
    assert request.query == {}  # the token never travels in the URL


def test_facebook_rate_limit_waits_as_the_usage_header_says(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("rate_limit", "facebook", reset_in=300)
    before = datetime.now(UTC)
    attempted = on_facebook(sandbox).publish(just_tried("Throttled"))
    assert isinstance(attempted.outcome, RetryAt)
    assert "code 32" in attempted.outcome.reason
    assert before + timedelta(minutes=4) <= attempted.outcome.at <= before + timedelta(minutes=6)
    assert sandbox.state.posts("facebook") == []


def test_facebook_dead_token_fails_asking_to_reconnect(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "facebook")
    attempted = on_facebook(sandbox).publish(just_tried("Revoked"))
    assert isinstance(attempted.outcome, Failed)
    assert "code 190/460" in attempted.outcome.reason
    assert "reconnect the page" in attempted.outcome.reason


def test_facebook_unknown_outcome_is_found_among_published_posts(
    sandbox: RunningSandbox,
) -> None:
    on = on_facebook(sandbox)
    sandbox.state.faults.add("slow_after_accept", "facebook", seconds=SLOW)
    sent_at = datetime.now(UTC)  # what the engine stores before the request
    first = on.publish(just_tried("Page news"), timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)

    known = on.reconcile(just_tried("Page news", state=first.state, last_sent_at=sent_at))

    [post] = sandbox.state.posts("facebook")
    assert known == Published(post.remote_id, post.remote_url, 200)
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("facebook"))


def test_facebook_identify_names_the_page(sandbox: RunningSandbox) -> None:
    on = on_facebook(sandbox)
    assert on.channel.page_id in on.identify().name


def test_facebook_finds_an_unknown_post_that_newer_posts_pushed_off_the_first_page(
    sandbox: RunningSandbox,
) -> None:
    """The page's posts are listed newest first: 30 posts after the one whose answer never
    came put it on the second page, where the reconcile still finds it (it followed the
    cursor), and nothing is posted again."""
    on = on_facebook(sandbox)
    sandbox.state.faults.add("slow_after_accept", "facebook", seconds=SLOW)
    sent_at = datetime.now(UTC)
    first = on.publish(just_tried("Page news"), timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)
    for number in range(30):
        assert isinstance(on.publish(just_tried(f"Later news {number}")).outcome, Published)

    known = on.reconcile(just_tried("Page news", state=first.state, last_sent_at=sent_at))

    [post] = [p for p in sandbox.state.posts("facebook") if p.text == "Page news"]
    assert known == Published(post.remote_id, post.remote_url, 200)
    listed = sandbox.state.requests("facebook", path="/published_posts", method="GET")
    assert len(listed) == 2
    assert listed[1].query.get("after")  # the second page, by the first's cursor
