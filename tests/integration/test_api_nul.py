# ruff: noqa: F811 (the fixtures of test_api, imported, are the parameters)
"""A NUL in an API request's query is refused as the API refuses (JSON naming the field), not
with the web app's HTML page: schemathesis found the page answering /api/v1/drafts."""

from __future__ import annotations

from tests.integration.test_api import api, api_config, client, tokens  # noqa: F401


def test_a_nul_in_the_query_is_refused_in_json(api: str, tokens: dict[str, str]) -> None:
    with client(api, tokens["mina"]) as mina:
        answer = mina.get("/drafts", params={"status": "draft\0"})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {"field": "status", "message": "status: holds a NUL character"}
    }
