# ruff: noqa: F811 (the fixtures of test_api, imported, are the parameters)
"""Rate limits per token over real HTTP on loopback: every answer tells the limit, what is
left and when more is allowed; past the limit the answer is 429 with Retry-After, for that
token alone, until the minute has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from drafts.api_tokens import Scope, new_token
from drafts.config import ApiSettings, Config
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.integration.test_api import api_config, client, tokens  # noqa: F401 (the fixtures)
from tidings.web.app import create_app
from tidings.web.in_thread import serving


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at


def told(answer: httpx.Response) -> tuple[str, str, str]:
    headers = answer.headers
    return headers["ratelimit-limit"], headers["ratelimit-remaining"], headers["ratelimit-reset"]


def test_a_token_past_its_limit_waits_for_the_minute(
    api_config: Config, database: Database, tokens: dict[str, str]
) -> None:
    limited = api_config.model_copy(update={"api": ApiSettings(requests_per_minute=3)})
    clock = Clock()
    with serving(create_app(limited, database, now=clock)) as origin:
        api = origin + "/api/v1"
        with client(api, tokens["joon"]) as joon, client(api, tokens["mina"]) as mina:
            first = joon.get("/drafts")
            assert first.status_code == 200 and told(first) == ("3", "2", "60")
            clock.at += timedelta(seconds=20)
            assert told(joon.get("/drafts/99999")) == ("3", "1", "40")  # a 404 tells it too
            assert told(joon.post("/drafts", json={})) == ("3", "0", "40")
            refused = joon.get("/drafts")
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "40"
            assert told(refused) == ("3", "0", "40")
            assert refused.json()["error"]["message"] == (
                "this token sent 3 requests in the last minute, its limit: send again in 40 s"
            )
            assert mina.get("/drafts").status_code == 200  # another token has its own minute
            clock.at += timedelta(seconds=40)
            again = joon.get("/drafts")
            assert again.status_code == 200 and told(again) == ("3", "0", "20")
            assert joon.get("/drafts").status_code == 429
        with client(api, None) as nobody:  # without a token: limited by address
            assert [nobody.get("/drafts").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_the_default_limit_is_120_a_minute(
    api_config: Config, database: Database, tokens: dict[str, str]
) -> None:
    with database.writing() as session:
        mina = find_user(session, "mina")
        token = new_token(session, user_name="mina", name="x", scopes=[Scope.READ], actor=mina)
    with (
        serving(create_app(api_config, database)) as origin,
        client(origin + "/api/v1", token) as reader,
    ):
        answer = reader.get("/channels")
    assert answer.headers["ratelimit-limit"] == "120"
    assert answer.headers["ratelimit-remaining"] == "119"
