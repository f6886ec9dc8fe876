"""First comments on LinkedIn and Facebook (issue 11 points 2 and 4), published by the daemon on
the sandbox: the comment lands under the post just created, LinkedIn's as written while its
post's commentary is escaped, as the preview shows it; a comment whose answer never came is
found among the post's comments, on whichever page, and not sent again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from drafts.channels import FacebookChannel, LinkedInChannel
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.text_rules.linkedin import escape_little
from scheduler.outcomes import Published, RetryAt, Unknown
from scheduler.platforms.base import Credentials
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.graph_paging import LISTED_PAGES as FACEBOOK_PAGES
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.linkedin_comments import LISTED_AT_MOST, LISTING_SIZE
from scheduler.preview import preview
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.facebook_comments import add_comment as add_facebook_comment
from scheduler.sandbox.linkedin_comments import add_comment as add_linkedin_comment
from tests.fakes import MemoryVault, OverLoopback, first_comment, just_tried
from tests.integration.publishing import drain, queue_drafts

POST = "Hiring: a data engineer (Seoul) for the heat_map #ClimateAction"
COMMENT = r"Apply by Friday (KST): https://example.org/jobs/data_eng *remote ok* #tag \o/"
LINKEDIN_PAGES = LISTED_AT_MOST // LISTING_SIZE
# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 0.3, 2.0


def published_with_comment(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    channel: str,
    *,
    request_timeout: float = 2.0,
) -> tuple[Post, Post]:
    """Publish an approved, due draft for LinkedIn and Facebook with a first comment (a daemon
    that waits ``request_timeout`` seconds for an answer, until nothing is due); ``channel``'s
    post and comment, both published."""
    draft_id = queue_drafts(
        database,
        config,
        library,
        channels=["linkedin", "facebook"],
        texts={"en": POST},
        extra=f"first_comment = '{COMMENT}'",
    )
    drain(
        database,
        config,
        request_timeout=request_timeout,
        retry_base_delay=timedelta(milliseconds=50),
    )
    with database.reading() as session:
        query = select(Post).where(Post.draft_id == draft_id, Post.channel == channel)
        post, comment = session.exec(query.order_by(col(Post.part)))
    assert (post.status, comment.status) == (PostStatus.PUBLISHED,) * 2
    assert (comment.part, comment.parts, comment.is_comment) == (2, 1, True)
    return post, comment


def test_linkedin_comment_arrives_verbatim_under_the_escaped_post(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, everywhere: Config
) -> None:
    _, comment_row = published_with_comment(database, everywhere, library, "linkedin")

    assert comment_row.text == COMMENT
    post, comment = sandbox.state.posts("linkedin")
    assert post.body["commentary"] == escape_little(POST) != POST
    assert post.text == POST
    assert (comment.comment, comment.reply_to) == (True, post.remote_id)
    assert comment.body == {
        "actor": "urn:li:organization:2414183",
        "object": post.remote_id,
        "message": {"text": COMMENT},  # no backslash added
    }
    assert comment.text == COMMENT
    assert (comment_row.remote_id, comment_row.remote_url) == (
        comment.remote_id,
        comment.remote_url,
    )
    assert str(comment_row.remote_id).startswith(f"urn:li:comment:({post.remote_id},")
    previewed = preview(
        post_id=comment_row.id or 0,
        text=comment_row.text,
        language="en",
        channel=everywhere.channel("linkedin"),
        part=comment_row.part,
        parts=comment_row.parts,
    )
    assert previewed.displayed == COMMENT
    shown = previewed.request_json()
    assert shown["url"].endswith("/rest/socialActions/<the post's id>/comments")
    assert shown["body"] == {**comment.body, "object": "<the post's id>"}


def test_facebook_comment_lands_on_the_post_just_created(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, everywhere: Config
) -> None:
    post_row, comment_row = published_with_comment(database, everywhere, library, "facebook")

    post, comment = sandbox.state.posts("facebook")
    assert (post.text, post_row.remote_id) == (POST, post.remote_id)
    assert (comment.comment, comment.reply_to, comment.text) == (True, post.remote_id, COMMENT)
    assert comment.body == {"message": COMMENT}  # the token is not kept, nor sent in the URL
    assert (comment_row.remote_id, comment_row.remote_url) == (
        comment.remote_id,
        comment.remote_url,
    )
    comment_number = comment.remote_id.rpartition("_")[2]
    assert comment_row.remote_url == f"{post_row.remote_url}?comment_id={comment_number}"
    [request] = sandbox.state.requests("facebook", path="/comments", method="POST")
    assert request.query == {}


@pytest.mark.parametrize("platform", ["linkedin", "facebook"])
def test_a_comment_whose_answer_never_came_is_found_and_not_sent_again(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    everywhere: Config,
    platform: str,
) -> None:
    sandbox.state.faults.add("slow_after_accept", platform, path="/comments", seconds=SLOW)
    _, comment_row = published_with_comment(
        database,
        everywhere,
        library,
        platform,
        request_timeout=1.0,  # the comment, SLOW to answer, times out; the rest does not
    )

    [comment] = [p for p in sandbox.state.posts(platform) if p.comment]
    assert comment_row.remote_id == comment.remote_id
    assert len(sandbox.state.requests(platform, path="/comments", method="POST")) == 1
    assert sandbox.state.requests(platform, path="/comments", method="GET")  # it looked
    with database.reading() as session:
        tries = session.exec(
            select(Attempt).where(Attempt.post_id == comment_row.id).order_by(col(Attempt.number))
        )
        assert [attempt.outcome for attempt in tries] == ["unknown", "published"]


def on_platform(platform: str, sandbox: RunningSandbox) -> OverLoopback[Any]:
    """The platform's adapter on a channel at the sandbox (a page, for LinkedIn)."""
    if platform == "linkedin":
        channel: LinkedInChannel | FacebookChannel = LinkedInChannel(
            id="li",
            platform="linkedin",
            languages=("en",),
            author="urn:li:organization:2414183",
            token_env="T",
            version=f"{sandbox.state.now():%Y%m}",
            base_url=sandbox.base_url,
        )
        return OverLoopback(LinkedInAdapter(), channel, Credentials("li-token", MemoryVault()))
    channel = FacebookChannel(
        id="fb",
        platform="facebook",
        languages=("en",),
        page_id=sandbox.state.settings.facebook_page_id,
        token_env="T",
        base_url=sandbox.base_url,
    )
    return OverLoopback(FacebookAdapter(), channel, Credentials("fb-token", MemoryVault()))


@pytest.mark.parametrize("platform", ["linkedin", "facebook"])
def test_reconcile_finds_the_comment_that_timed_out_and_sends_nothing(
    sandbox: RunningSandbox, platform: str
) -> None:
    on = on_platform(platform, sandbox)
    published = on.publish(just_tried(POST)).outcome
    assert isinstance(published, Published)
    sandbox.state.faults.add("slow_after_accept", platform, path="/comments", seconds=SLOW)
    comment_part = first_comment(published.remote_id, COMMENT, sent_at=datetime.now(UTC))

    lost = on.publish(comment_part, timeout=PATIENCE)
    found = on.reconcile(comment_part)

    assert isinstance(lost.outcome, Unknown)
    [comment] = [p for p in sandbox.state.posts(platform) if p.comment]
    assert comment.reply_to == published.remote_id
    assert found == Published(comment.remote_id, comment.remote_url, 200)
    assert len(sandbox.state.requests(platform, path="/comments", method="POST")) == 1


def others_comment(
    sandbox: RunningSandbox, platform: str, post: str, count: int, at: datetime | None = None
) -> None:
    """``count`` comments on ``post`` by other people, as readers answer a post (``at``: when)."""
    state = sandbox.state
    with state.lock:
        for number in range(count):
            text = f"Congratulations! ({number})"
            if platform == "linkedin":
                body = {
                    "actor": f"urn:li:person:reader{number}",
                    "object": post,
                    "message": {"text": text},
                }
                add_linkedin_comment(state, post, body, at or state.now())
            else:
                add_facebook_comment(state, post, text, "9000", "A reader", at or state.now())


@pytest.mark.parametrize(
    ("platform", "others", "pages", "found"),
    [
        ("linkedin", 60, 2, True),  # listed oldest first: the others came before
        ("linkedin", 1000, LINKEDIN_PAGES, False),
        ("facebook", 60, 3, True),  # newest first: the others came after
        ("facebook", 1000, FACEBOOK_PAGES, False),
    ],
)
def test_reconcile_looks_through_every_page_of_a_busy_posts_comments(
    sandbox: RunningSandbox, platform: str, others: int, pages: int, found: bool
) -> None:
    """The comment that timed out is ``others`` comments away from the first listed: on a later
    page it is still found; past what a reconcile looks through, a person is asked. Either
    way, nothing is sent again."""
    on = on_platform(platform, sandbox)
    published = on.publish(just_tried(POST)).outcome
    assert isinstance(published, Published)
    sandbox.state.faults.add("slow_after_accept", platform, path="/comments", seconds=SLOW)
    comment_part = first_comment(published.remote_id, COMMENT, sent_at=datetime.now(UTC))
    if platform == "linkedin":
        others_comment(sandbox, platform, published.remote_id, others)

    lost = on.publish(comment_part, timeout=PATIENCE)
    if platform == "facebook":
        others_comment(sandbox, platform, published.remote_id, others)
    outcome = on.reconcile(comment_part)

    assert isinstance(lost.outcome, Unknown)
    [ours] = [p for p in sandbox.state.posts(platform) if p.comment and p.text == COMMENT]
    if found:
        assert outcome == Published(ours.remote_id, ours.remote_url, 200)
    else:
        assert isinstance(outcome, Unknown)
        assert "more than 1000" in outcome.reason
        assert "published or retry it" in outcome.reason
    assert len(sandbox.state.requests(platform, path="/comments", method="POST")) == 1
    assert len(sandbox.state.requests(platform, path="/comments", method="GET")) == pages


def test_facebook_stops_at_comments_older_than_the_last_send(sandbox: RunningSandbox) -> None:
    """Newest first, a page that reaches back before the last send ends the search: what is
    older cannot be the comment. It is not there, so the reconcile looks again later."""
    on = on_platform("facebook", sandbox)
    published = on.publish(just_tried(POST)).outcome
    assert isinstance(published, Published)
    earlier = sandbox.state.now() - timedelta(hours=1)
    others_comment(sandbox, "facebook", published.remote_id, 100, at=earlier)

    outcome = on.reconcile(first_comment(published.remote_id, COMMENT, sent_at=datetime.now(UTC)))

    assert isinstance(outcome, RetryAt)  # not found yet; nothing sent
    assert len(sandbox.state.requests("facebook", path="/comments", method="GET")) == 1
    assert sandbox.state.requests("facebook", path="/comments", method="POST") == []
