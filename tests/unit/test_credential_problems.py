"""A post waiting on a channel whose credential cannot send it is a problem said before its time:
not connected, a token ending before the post is due with nothing to renew it, a renewal that
failed, a refresh token ending first, a consent without a scope posting needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from drafts.channels import ChannelBase
from drafts.config import Config
from drafts.credential_problems import (
    CredentialCheck,
    credential_problem,
    secret_in_environment,
)
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Connection, Draft, Post
from tests.conftest import make_config
from tidings.web.post_cards import CREDENTIAL_WORDS

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
IN_A_WEEK = NOW + timedelta(days=7)
CONFIG = make_config(
    """
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]

[[channels]]
id = "x-env"
platform = "x"
languages = ["en"]
token_env = "G_TEST_X_TOKEN"

[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en"]
author = "urn:li:organization:2414183"

[[channels]]
id = "facebook"
platform = "facebook"
languages = ["en"]
page_id = "1234567890"

[[channels]]
id = "threads"
platform = "threads"
languages = ["en"]
user_id = "17841400000"

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en"]
base_url = "https://social.example"

[[channels]]
id = "hook"
platform = "webhook"
languages = ["en"]
url = "https://hooks.example/tidings"
"""
)
X_SCOPES = "tweet.read tweet.write users.read media.write offline.access"


def channel(channel_id: str) -> ChannelBase:
    return CONFIG.channel(channel_id)


def connected(channel_id: str, **columns: Any) -> Connection:
    row = Connection(
        channel=channel_id,
        platform=channel(channel_id).platform,
        connected_by="admin",
        connected_at=NOW - timedelta(days=1),
    )
    for name, value in columns.items():
        setattr(row, name, value)
    return row


def said(
    channel_id: str,
    row: Connection | None,
    due: datetime = IN_A_WEEK,
    *,
    in_environment: bool = False,
) -> str | None:
    found = credential_problem(
        channel(channel_id), row, secret_in_environment=in_environment, due=due
    )
    return None if found is None else found.line()


def test_a_channel_neither_connected_nor_given_a_token_is_not_connected() -> None:
    assert said("x-en", None) == (
        "x-en is not connected: an admin connects it on the Channels page"
    )
    assert said("x-env", None) == (
        "x-env is not connected and G_TEST_X_TOKEN is not set: "
        "an admin connects it on the Channels page"
    )


def test_a_token_in_the_environment_and_a_webhook_have_no_problem() -> None:
    assert said("x-env", None, in_environment=True) is None
    assert said("hook", None) is None


def test_whether_the_environment_sets_the_channels_variable() -> None:
    assert secret_in_environment(channel("x-env"), {"G_TEST_X_TOKEN": "set"})
    assert not secret_in_environment(channel("x-env"), {"G_TEST_X_TOKEN": ""})
    assert not secret_in_environment(channel("x-en"), {"G_TEST_X_TOKEN": "set"})


def test_a_token_that_cannot_renew_matters_only_if_it_ends_before_the_post() -> None:
    ends = NOW + timedelta(days=3)
    linkedin = connected("linkedin", scopes="w_organization_social", expires_at=ends)
    assert said("linkedin", linkedin, due=IN_A_WEEK) == (
        "linkedin's token expires on 2026-12-04 09:00 UTC, before this post is due: reconnect"
    )
    assert said("linkedin", linkedin, due=ends - timedelta(minutes=1)) is None
    assert said("linkedin", linkedin, due=ends) is not None  # gone when the post is due


def test_the_date_is_shown_in_the_readers_zone() -> None:
    linkedin = connected("linkedin", expires_at=NOW + timedelta(days=3))
    found = credential_problem(
        channel("linkedin"), linkedin, secret_in_environment=False, due=IN_A_WEEK
    )
    assert found is not None
    assert "expires on 2026-12-04 18:00 KST" in found.line(ZoneInfo("Asia/Seoul"))


def test_tokens_that_never_end_have_no_problem_however_late_the_post() -> None:
    years_later = NOW + timedelta(days=3650)
    page = connected("facebook", scopes="pages_manage_posts pages_read_engagement")
    assert said("facebook", page, due=years_later) is None
    assert said("mastodon", connected("mastodon", scopes="write read"), due=years_later) is None


def test_a_token_with_a_refresh_token_renews_itself() -> None:
    x = connected(
        "x-en", scopes=X_SCOPES, expires_at=NOW + timedelta(hours=2), has_refresh_token=True
    )
    assert said("x-en", x, due=NOW + timedelta(days=90)) is None
    without = connected("x-en", scopes=X_SCOPES, expires_at=NOW + timedelta(hours=2))
    assert said("x-en", without, due=NOW + timedelta(days=90)) is not None


def test_threads_renews_its_token_without_a_refresh_token() -> None:
    threads = connected(
        "threads",
        scopes="threads_basic threads_content_publish",
        expires_at=NOW + timedelta(days=60),
    )
    assert said("threads", threads, due=NOW + timedelta(days=200)) is None


def test_a_refresh_token_that_ends_before_the_post_is_due() -> None:
    linkedin = connected(
        "linkedin",
        scopes="w_organization_social",
        expires_at=NOW + timedelta(days=60),
        has_refresh_token=True,
        refresh_expires_at=NOW + timedelta(days=365),
    )
    assert said("linkedin", linkedin, due=NOW + timedelta(days=400)) == (
        "linkedin's token can be renewed only until 2027-12-01 09:00 UTC, "
        "before this post is due: reconnect"
    )
    assert said("linkedin", linkedin, due=NOW + timedelta(days=300)) is None
    # The token itself outlives the post: what happens to the refresh token after is no matter.
    linkedin.expires_at = NOW + timedelta(days=500)
    assert said("linkedin", linkedin, due=NOW + timedelta(days=400)) is None


def test_a_failed_renewal_matters_when_the_token_ends_before_the_post() -> None:
    x = connected(
        "x-en",
        scopes=X_SCOPES,
        expires_at=NOW + timedelta(hours=1),
        has_refresh_token=True,
        refreshed_at=NOW - timedelta(hours=3),
        refresh_failed_at=NOW - timedelta(minutes=5),
        refresh_error="X refused the refresh token: reconnect the account",
    )
    assert said("x-en", x, due=IN_A_WEEK) == (
        "x-en's token could not be renewed and expires on 2026-12-01 10:00 UTC, "
        "before this post is due: reconnect"
    )
    assert said("x-en", x, due=NOW + timedelta(minutes=30)) is None
    x.refreshed_at = NOW  # a renewal succeeded since
    assert said("x-en", x, due=IN_A_WEEK) is None
    x.refreshed_at, x.refresh_failed_at = None, NOW  # failed, never renewed
    assert said("x-en", x, due=IN_A_WEEK) is not None


def test_a_missing_scope_is_named_whenever_the_post_is_due() -> None:
    x = connected(
        "x-en",
        scopes="tweet.read users.read media.write offline.access",
        expires_at=NOW + timedelta(hours=2),
        has_refresh_token=True,
    )
    line = "x-en was connected without tweet.write: reconnect and allow it"
    assert said("x-en", x, due=NOW + timedelta(minutes=1)) == line
    assert said("x-en", x, due=IN_A_WEEK) == line
    assert said("x-en", x, due=IN_A_WEEK, in_environment=True) == line  # connection wins
    x.scopes = "tweet.read users.read"
    assert said("x-en", x) == (
        "x-en was connected without tweet.write, media.write, offline.access: "
        "reconnect and allow them"
    )


def test_scopes_the_platform_did_not_report_are_not_a_problem() -> None:
    linkedin = connected("linkedin", scopes="", expires_at=NOW + timedelta(days=60))
    assert said("linkedin", linkedin) is None
    assert said("linkedin", connected("linkedin", scopes="w_member_social")) == (
        "linkedin was connected without w_organization_social: reconnect and allow it"
    )


def test_mastodons_broad_write_scope_covers_statuses_and_media() -> None:
    assert said("mastodon", connected("mastodon", scopes="read write")) is None
    assert said("mastodon", connected("mastodon", scopes="read write:statuses")) == (
        "mastodon was connected without write:media: reconnect and allow it"
    )


# --- which posts are checked, at which time ---------------------------------------------


def check(config: Config = CONFIG, **rows: Connection) -> CredentialCheck:
    return CredentialCheck(config=config, connections=rows, environment={}, now=NOW)


def post(status: PostStatus, due_at: datetime | None = None, channel_id: str = "linkedin") -> Post:
    return Post(
        id=1,
        draft_id=1,
        channel=channel_id,
        platform="linkedin",
        language="en",
        text="Hello",
        length=5,
        status=status,
        due_at=due_at,
    )


def draft(status: DraftStatus, publish_at: datetime | None = None) -> Draft:
    return Draft(
        id=1,
        kind="post",
        title="t",
        status=status,
        author_id=1,
        content_hash="0" * 64,
        publish_at=publish_at,
    )


@pytest.mark.parametrize(
    ("post_status", "draft_status", "checked"),
    [
        (PostStatus.PENDING, DraftStatus.IN_REVIEW, True),
        (PostStatus.PENDING, DraftStatus.APPROVED, True),
        (PostStatus.SCHEDULED, DraftStatus.SCHEDULED, True),
        (PostStatus.RETRYING, DraftStatus.SCHEDULED, True),
        (PostStatus.PENDING, DraftStatus.DRAFT, False),
        (PostStatus.PENDING, DraftStatus.CHANGES_REQUESTED, False),
        (PostStatus.PUBLISHED, DraftStatus.SCHEDULED, False),
        (PostStatus.FAILED, DraftStatus.DONE, False),
        (PostStatus.CANCELLED, DraftStatus.CANCELLED, False),
    ],
)
def test_posts_still_to_be_sent_of_drafts_on_their_way_are_checked(
    post_status: PostStatus, draft_status: DraftStatus, checked: bool
) -> None:
    found = check().post_problem(post(post_status, IN_A_WEEK), draft(draft_status))
    assert (found is not None) == checked


def test_a_post_is_checked_at_its_due_time_else_its_drafts_publish_at_else_now() -> None:
    ends = NOW + timedelta(days=3)
    rows = check(linkedin=connected("linkedin", expires_at=ends))
    in_review = draft(DraftStatus.IN_REVIEW)
    assert rows.post_problem(post(PostStatus.PENDING), in_review) is None  # now: still valid
    later = draft(DraftStatus.IN_REVIEW, publish_at=IN_A_WEEK)
    assert rows.post_problem(post(PostStatus.PENDING), later) is not None
    scheduled = draft(DraftStatus.SCHEDULED, publish_at=IN_A_WEEK)
    early = post(PostStatus.SCHEDULED, due_at=NOW + timedelta(days=1))
    assert rows.post_problem(early, scheduled) is None  # its own time, not publish_at


def test_a_time_gone_by_counts_as_now() -> None:
    expired = check(linkedin=connected("linkedin", expires_at=NOW - timedelta(days=1)))
    assert expired.problem("linkedin", NOW - timedelta(days=2)) is not None


def test_a_channel_no_longer_configured_has_no_credential_problem() -> None:
    assert check().problem("gone", IN_A_WEEK) is None


def test_the_web_translates_each_sentence_as_it_is_made() -> None:
    """The web's catalogue ids (``N_`` in tidings.web.post_cards) are the sentences made here."""
    assert CREDENTIAL_WORDS
    assert all(sentence == shown for sentence, shown in CREDENTIAL_WORDS.items())
