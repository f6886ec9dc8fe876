"""The LinkedIn adapter against the sandbox over loopback HTTP: what arrives, what LinkedIn
shows, and what an unknown outcome comes to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drafts.channels import LinkedInChannel
from drafts.text_rules.linkedin import escape_little
from scheduler.outcomes import Failed, Published, Unknown
from scheduler.platforms.base import Credentials
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback, Saved, just_tried

ORG = "urn:li:organization:2414183"
RESERVED_TEXT = r"Q3 (draft) [v2] a_b #tag #my_tag @me *x* ~y \ {z} <w> | 서울 #기후 🌏 C#"
# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 0.3, 3.0


def on_linkedin(
    sandbox: RunningSandbox, version: str | None = None
) -> OverLoopback[LinkedInChannel]:
    channel = LinkedInChannel(
        id="li",
        platform="linkedin",
        languages=("en", "ko"),
        author=ORG,
        token_env="T",
        version=version or f"{sandbox.state.now():%Y%m}",
        base_url=sandbox.base_url,
    )
    return OverLoopback(LinkedInAdapter(), channel, Credentials("li-token", MemoryVault()))


def test_linkedin_reserved_characters_arrive_escaped_and_show_as_previewed(
    sandbox: RunningSandbox,
) -> None:
    on = on_linkedin(sandbox)
    previewed = on.adapter.displayed_text(
        on.adapter.build(just_tried(RESERVED_TEXT), on.channel, "<secret>")
    )
    saved = Saved()

    attempted = on.publish(just_tried(RESERVED_TEXT), saved)

    [post] = sandbox.state.posts("linkedin")
    assert attempted.outcome == Published(
        post.remote_id, f"https://www.linkedin.com/feed/update/{post.remote_id}/", 201
    )
    assert attempted.outcome.remote_url == post.remote_url  # the sandbox serves that page
    assert post.body["commentary"] == escape_little(RESERVED_TEXT)
    assert post.text == RESERVED_TEXT == previewed
    assert post.details["truncated_at"] is None
    assert post.headers["x-restli-protocol-version"] == "2.0.0"
    assert {**saved.state, **attempted.state} == {}


def test_linkedin_retired_version_fails_and_says_what_to_change(sandbox: RunningSandbox) -> None:
    attempted = on_linkedin(sandbox, version="202001").publish(just_tried("Old version"))
    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.http_status == 426
    assert "`version`" in attempted.outcome.reason
    assert sandbox.state.posts("linkedin") == []


def test_linkedin_unknown_outcome_reconciles_to_the_same_post(sandbox: RunningSandbox) -> None:
    on = on_linkedin(sandbox)
    sandbox.state.faults.add("slow_after_accept", "linkedin", seconds=SLOW)
    sent_at = datetime.now(UTC)  # what the engine stores before the request

    first = on.publish(just_tried("Harbour walk (day 2) #walk"), timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)

    known = on.reconcile(
        just_tried("Harbour walk (day 2) #walk", state=first.state, last_sent_at=sent_at)
    )

    [post] = sandbox.state.posts("linkedin")
    assert known == Published(
        post.remote_id, f"https://www.linkedin.com/feed/update/{post.remote_id}/", 422
    )
    assert len(sandbox.state.requests("linkedin", path="/rest/posts", method="POST")) == 2


def test_linkedin_identify_organization_and_member(sandbox: RunningSandbox) -> None:
    on = on_linkedin(sandbox)
    assert ORG in on.identify().name
    member = on.channel.model_copy(
        update={"author": f"urn:li:person:{sandbox.state.settings.linkedin_member_id}"}
    )
    assert on.identify(member).name == f"Sandbox Member ({member.author})"


def test_linkedin_finds_an_unknown_post_past_the_first_page_of_the_authors_posts(
    sandbox: RunningSandbox,
) -> None:
    """Past LinkedIn's duplicate window the author's posts are read, the latest changed first:
    15 posts after the one whose answer never came put it on the second page of 10, where
    the reconcile still finds it, and it is not posted again."""
    on = on_linkedin(sandbox)
    sandbox.state.faults.add("slow_after_accept", "linkedin", seconds=SLOW)
    first = on.publish(just_tried("Harbour walk (day 3)"), timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)
    for number in range(15):
        assert isinstance(on.publish(just_tried(f"Later walk {number}")).outcome, Published)
    sent_at = datetime.now(UTC) - timedelta(minutes=10)  # the duplicate check no longer tells

    known = on.reconcile(
        just_tried("Harbour walk (day 3)", state=first.state, last_sent_at=sent_at)
    )

    [post] = [p for p in sandbox.state.posts("linkedin") if p.text == "Harbour walk (day 3)"]
    assert known == Published(
        post.remote_id, f"https://www.linkedin.com/feed/update/{post.remote_id}/", 200
    )
    assert len(sandbox.state.requests("linkedin", path="/rest/posts", method="POST")) == 16
    listed = sandbox.state.requests("linkedin", path="/rest/posts", method="GET")
    assert [request.query.get("start") for request in listed] == ["0", "10"]
