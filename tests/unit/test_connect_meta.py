"""Connecting Facebook and Threads, the pure parts: consent URLs, reading Meta's token answers
and refusals, choosing the channel's Page, and keeping query secrets out of httpx's log."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from drafts.channels import FacebookChannel, ThreadsChannel
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connect.facebook import CONNECTOR as FACEBOOK
from scheduler.connect.facebook import ManagedPage, chosen_page, next_list, read_pages
from scheduler.connect.graph import HideQuerySecrets, expiry, refusal, token_facts
from scheduler.connect.threads import CONNECTOR as THREADS
from scheduler.platforms.base import HttpResponse
from tests.fakes import answer, graph_error

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT = OAuthClient("1234567890", "app-secret-not-real")


def _page(page_id: str, name: str, *tasks: str) -> ManagedPage:
    return ManagedPage(page_id, name, "page-token-" + page_id, tasks or ("CREATE_CONTENT",))


def test_the_consent_pages_are_meta_s_own_without_a_base_url() -> None:
    page = FacebookChannel(id="fb", platform="facebook", languages=("en",), page_id="42",
                           graph_version="v22.0")  # fmt: skip
    account = ThreadsChannel(id="th", platform="threads", languages=("en",), user_id="7")

    facebook = FACEBOOK.authorization_url(
        page, CLIENT, redirect_uri="https://t.example/cb", state="s", code_challenge=None
    )
    threads = THREADS.authorization_url(
        account, CLIENT, redirect_uri="https://t.example/cb", state="s", code_challenge=None
    )

    assert facebook.startswith("https://www.facebook.com/v22.0/dialog/oauth?")
    assert threads.startswith("https://threads.net/oauth/authorize?")
    for url in (facebook, threads):
        query = parse_qs(urlsplit(url).query)
        assert query["client_id"] == ["1234567890"] and query["state"] == ["s"]
        assert query["redirect_uri"] == ["https://t.example/cb"]
        assert CLIENT.secret not in url


def test_the_channels_page_is_chosen_when_the_account_may_post_there() -> None:
    pages = [_page("1", "Alpha"), _page("2", "Beta", "ANALYZE", "CREATE_CONTENT")]

    assert chosen_page(pages, "2").name == "Beta"


@pytest.mark.parametrize(
    ("pages", "words"),
    [
        ([], "does not manage page 2 (the Pages it manages: none)"),
        ([_page("1", "Alpha")], "does not manage page 2 (the Pages it manages: Alpha (1))"),
        (
            [_page("2", "Beta", "ANALYZE", "MODERATE")],
            "may not post on page 2 (Beta): its tasks there are ANALYZE, MODERATE, posting "
            "needs CREATE_CONTENT",
        ),
    ],
)
def test_a_page_the_account_cannot_post_on_is_refused(pages: list[ManagedPage], words: str) -> None:
    with pytest.raises(ConnectError) as refused:
        chosen_page(pages, "2")

    assert words in str(refused.value)
    for page in pages:
        assert page.token not in str(refused.value)


def test_pages_without_a_token_are_left_out_of_the_list() -> None:
    token = secrets.token_urlsafe(20)
    body = {
        "data": [
            {"id": "1", "name": "Alpha", "access_token": token, "tasks": ["CREATE_CONTENT"]},
            {"id": "2", "name": "No token"},
            "not a page",
        ],
        "paging": {"next": "https://elsewhere.example/v21.0/me/accounts?after=x"},
    }

    assert read_pages(body) == [ManagedPage("1", "Alpha", token, ("CREATE_CONTENT",))]
    assert next_list(body, "https://graph.facebook.com") is None
    same = {"paging": {"next": "https://graph.facebook.com/v21.0/me/accounts?after=x"}}
    assert next_list(same, "https://graph.facebook.com") == same["paging"]["next"]


def test_debug_token_answers_are_read() -> None:
    never = token_facts({"data": {"is_valid": True, "expires_at": 0, "scopes": ["a", "b"]}})
    soon = token_facts({"data": {"is_valid": False, "expires_at": 1772442000}})

    assert (never.valid, never.expires_at, never.scopes) == (True, None, ("a", "b"))
    assert (soon.valid, soon.scopes) == (False, None)
    assert soon.expires_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert token_facts({"error": "odd"}).valid is False


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [(3600, NOW + timedelta(hours=1)), ("5183944", NOW + timedelta(seconds=5183944)),
     (0, None), (True, None), (None, None), ("soon", None)],
)  # fmt: skip
def test_expires_in_is_read_as_seconds_from_now(
    expires_in: object, expected: datetime | None
) -> None:
    assert expiry(expires_in, NOW) == expected


@pytest.mark.parametrize(
    ("response", "retry", "words"),
    [
        (answer(400, graph_error(4)), True, "Facebook refused listing (code 4: "),
        (answer(400, graph_error(2)), True, "try again later"),
        (answer(400, graph_error(190, 460)), False, "Facebook refused listing (code 190/460: "),
        (answer(400, graph_error(100)), False, "Facebook refused listing (code 100: "),
        (
            HttpResponse(503, {}, b"<html>busy</html>"),
            True,
            "Facebook answered 503 while listing; try again",
        ),
        (answer(404), False, "Facebook answered 404 while listing"),
    ],
)
def test_refusals_say_the_step_and_whether_to_try_again(
    response: HttpResponse, retry: bool, words: str
) -> None:
    refused = refusal(response, service="Facebook", step="listing")

    assert refused.retry is retry
    assert words in str(refused)


def test_query_secrets_are_hidden_from_httpx_log_lines() -> None:
    secret, code = secrets.token_urlsafe(20), secrets.token_urlsafe(20)
    url = (
        "https://graph.facebook.com/v21.0/oauth/access_token?client_id=123"
        f"&client_secret={secret}&code={code}&redirect_uri=https%3A%2F%2Ft.example"
    )
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
        ("GET", url, "HTTP/1.1", 200, "OK"), None,
    )  # fmt: skip

    assert HideQuerySecrets().filter(record)

    message = record.getMessage()
    assert secret not in message and code not in message
    assert "client_id=123&client_secret=[secret]&code=[secret]&redirect_uri=" in message
    assert any(isinstance(f, HideQuerySecrets) for f in logging.getLogger("httpx").filters)
