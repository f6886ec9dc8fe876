# ruff: noqa: F811 (the fixtures of test_api, imported, are the parameters)
"""``Idempotency-Key`` on the API's POSTs over real HTTP on loopback: a POST sent again gets
the first answer and runs once; the key with another body is refused; keys are the token's
own and last 24 hours; two requests with one key at once never both run."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from drafts.api_idempotency import ABANDONED_AFTER, claim
from drafts.api_tokens import Scope, caller, new_token
from drafts.config import Config
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.integration.test_api import (  # noqa: F401 (the fixtures)
    HELLO,
    api,
    api_config,
    client,
    tokens,
)
from tidings.web.app import create_app
from tidings.web.in_thread import serving

OTHER = {**HELLO, "title": "Library hours, corrected"}


def drafts_of(api: str, token: str) -> list[str]:
    with client(api, token) as reader:
        return [draft["title"] for draft in reader.get("/drafts").json()["drafts"]]


def test_a_post_sent_again_with_its_key_gets_the_first_answer_and_runs_once(
    api: str, database: Database, tokens: dict[str, str]
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with client(api, tokens["mina"]) as mina:
        first = mina.post("/drafts", json=HELLO, headers=key)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        again = mina.post("/drafts", json=dict(reversed(HELLO.items())), headers=key)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        other = mina.post("/drafts", json=OTHER, headers=key)
        assert other.status_code == 422
        assert other.json()["error"]["field"] == "Idempotency-Key"
        elsewhere = mina.post(f"/drafts/{first.json()['id']}/submit", headers=key)
        assert elsewhere.status_code == 422  # the key came with another path
        # A refusal is the first answer too: sent again, it is the same refusal.
        submit = {"Idempotency-Key": "submit-" + str(uuid.uuid4())}
        assert mina.post("/drafts/99999/submit", headers=submit).status_code == 404
        assert mina.post("/drafts/99999/submit", headers=submit).status_code == 404
    assert drafts_of(api, tokens["mina"]) == [HELLO["title"]]
    with database.writing() as session:
        second = new_token(
            session,
            user_name="mina",
            name="other",
            scopes=[Scope.DRAFTS_WRITE],
            actor=find_user(session, "mina"),
        )
    with client(api, second) as other_script:  # the key is the first token's alone
        assert other_script.post("/drafts", json=HELLO, headers=key).status_code == 201
    assert drafts_of(api, tokens["mina"]) == [HELLO["title"]] * 2


def test_without_a_key_each_post_runs(api: str, tokens: dict[str, str]) -> None:
    with client(api, tokens["mina"]) as mina:
        assert mina.post("/drafts", json=HELLO).status_code == 201
        assert mina.post("/drafts", json=HELLO).status_code == 201
    assert drafts_of(api, tokens["mina"]) == [HELLO["title"]] * 2


def test_a_key_is_kept_24_hours(
    api_config: Config, database: Database, tokens: dict[str, str]
) -> None:
    key = {"Idempotency-Key": "job-board-1234"}
    with serving(create_app(api_config, database)) as origin:
        api = origin + "/api/v1"
        with client(api, tokens["mina"]) as mina:
            assert mina.post("/drafts", json=HELLO, headers=key).status_code == 201
    later = create_app(api_config, database, now=lambda: utcnow() + timedelta(hours=23))
    with serving(later) as origin:
        api = origin + "/api/v1"
        with client(api, tokens["mina"]) as mina:
            assert mina.post("/drafts", json=HELLO, headers=key).headers["idempotent-replayed"]
    next_day = create_app(api_config, database, now=lambda: utcnow() + timedelta(hours=25))
    with serving(next_day) as origin:
        api = origin + "/api/v1"
        with client(api, tokens["mina"]) as mina:
            answer = mina.post("/drafts", json=OTHER, headers=key)
            assert answer.status_code == 201 and "idempotent-replayed" not in answer.headers
        assert sorted(drafts_of(api, tokens["mina"])) == [HELLO["title"], OTHER["title"]]


def test_a_bad_key_is_refused_naming_it(api: str, tokens: dict[str, str]) -> None:
    with client(api, tokens["mina"]) as mina:
        for key in ("x" * 256, "two words"):
            answer = mina.post("/drafts", json=HELLO, headers={"Idempotency-Key": key})
            assert answer.status_code == 422
            assert answer.json()["error"]["field"] == "Idempotency-Key"
    assert drafts_of(api, tokens["mina"]) == []


def test_requests_with_one_key_at_once_run_once(api: str, tokens: dict[str, str]) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def send(_: int) -> httpx.Response:
        with client(api, tokens["mina"]) as mina:
            return mina.post("/drafts", json=HELLO, headers=key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {answer.status_code for answer in answers} <= {201, 409}
    made = {answer.json()["id"] for answer in answers if answer.status_code == 201}
    assert len(made) == 1
    assert drafts_of(api, tokens["mina"]) == [HELLO["title"]]


def test_a_claimed_key_holds_off_a_second_request_until_answered_or_abandoned(
    database: Database, tokens: dict[str, str]
) -> None:
    now = utcnow()
    with database.writing() as session:
        found = caller(session, tokens["mina"], now)
        assert found is not None
        mine = found.token_id
        assert claim(session, token_id=mine, key="k", request_hash="a" * 64, now=now) is None
        held = claim(session, token_id=mine, key="k", request_hash="a" * 64, now=now)
        assert held is not None and held.same_request and held.status is None
        other = claim(session, token_id=mine, key="k", request_hash="b" * 64, now=now)
        assert other is not None and not other.same_request
        later = now + ABANDONED_AFTER  # its request never answered: the key is free again
        assert claim(session, token_id=mine, key="k", request_hash="b" * 64, now=later) is None
