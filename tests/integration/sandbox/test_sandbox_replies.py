"""The sandbox's replies, by hand-built requests from PLATFORMS.md §10.2 (not Tidings' adapters):
Mastodon's ``in_reply_to_id``, Threads' ``reply_to_id``, Telegram's ``reply_parameters`` and a
webhook payload's ``reply_to``; each checked against what exists, and recorded as the reply."""

from __future__ import annotations

import httpx

from scheduler.sandbox import RunningSandbox
from tests.integration.sandbox.test_sandbox_images import BOT, png, send_photo
from tests.integration.sandbox_fixtures import AUTH, TOKEN

STATUSES = "/api/v1/statuses"


def toot(client: httpx.Client, text: str, **fields: object) -> httpx.Response:
    return client.post(STATUSES, json={"status": text, **fields}, headers=AUTH)


def test_mastodon_records_a_reply_and_serves_it_in_the_status(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    first = toot(client, "첫째", language="ko").json()
    second = toot(client, "둘째", language="ko", in_reply_to_id=first["id"]).json()
    assert first["in_reply_to_id"] is None
    assert second["in_reply_to_id"] == first["id"]
    assert second["in_reply_to_account_id"] == first["account"]["id"]
    assert client.get(f"{STATUSES}/{second['id']}").json() == second
    assert [p.remote_id for p in sandbox.state.chain("mastodon", first["id"])] == [
        first["id"],
        second["id"],
    ]
    assert sandbox.state.post_by_id("mastodon", second["id"]).reply_to == first["id"]  # type: ignore[union-attr]


def test_mastodon_refuses_a_reply_to_a_status_it_does_not_have(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    refused = toot(client, "to nowhere", in_reply_to_id="999999")
    assert refused.status_code == 404
    assert refused.json() == {
        "error": "The post you are trying to reply to does not appear to exist."
    }
    assert sandbox.state.posts("mastodon") == []
    assert client.get(f"{STATUSES}/999999").status_code == 404


def test_mastodon_reply_keeps_its_idempotency_key(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    root = toot(client, "root").json()

    def reply(key: str) -> str:
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key}
        body = {"status": "reply", "in_reply_to_id": root["id"]}
        return str(client.post(STATUSES, json=body, headers=headers).json()["id"])

    assert reply("part-2") == reply("part-2") != reply("part-3")
    assert len(sandbox.state.posts("mastodon")) == 3


THREADS_TOKEN = {"access_token": TOKEN}


def thread_post(client: httpx.Client, text: str, user: str = "me", **fields: str) -> httpx.Response:
    """A TEXT container, published; the publish answer (or the container's refusal)."""
    params = {**THREADS_TOKEN, "media_type": "TEXT", "text": text, **fields}
    container = client.post(f"/v1.0/{user}/threads", params=params)
    if container.status_code != 200:
        return container
    creation = {**THREADS_TOKEN, "creation_id": container.json()["id"]}
    return client.post(f"/v1.0/{user}/threads_publish", params=creation)


def listed(client: httpx.Client, path: str) -> list[dict[str, object]]:
    params = {**THREADS_TOKEN, "fields": "id,text,replied_to,root_post,is_reply"}
    answer = client.get(path, params=params)
    assert answer.status_code == 200
    return list(answer.json()["data"])


def test_threads_records_a_reply_and_lists_it_among_replies_not_threads(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    root = thread_post(client, "하나").json()["id"]
    second = thread_post(client, "둘", reply_to_id=root).json()["id"]
    comment = thread_post(client, "댓글", reply_to_id=second).json()["id"]
    chain = sandbox.state.chain("threads", root)
    assert [(p.remote_id, p.reply_to) for p in chain] == [
        (root, None),
        (second, root),
        (comment, second),
    ]
    assert chain[1].body["reply_to_id"] == root
    assert listed(client, "/v1.0/me/threads") == [{"id": root, "text": "하나", "is_reply": False}]
    root_ref = {"id": root}
    assert listed(client, "/v1.0/me/replies") == [
        {"id": comment, "text": "댓글", "is_reply": True, "replied_to": {"id": second},
         "root_post": root_ref},
        {"id": second, "text": "둘", "is_reply": True, "replied_to": root_ref,
         "root_post": root_ref},
    ]  # fmt: skip
    assert [each["id"] for each in listed(client, f"/v1.0/{root}/replies")] == [second]


def test_threads_refuses_a_reply_to_a_post_it_does_not_have_or_may_not_answer(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    unknown = thread_post(client, "to nowhere", reply_to_id="999999")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == 100
    someone_elses = thread_post(client, "theirs", user="17841400000000999").json()["id"]
    refused = thread_post(client, "mine", reply_to_id=someone_elses)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 10
    assert [p.text for p in sandbox.state.posts("threads")] == ["theirs"]


def telegram(
    client: httpx.Client, text: str, chat: str = "@tidings_news", **fields: object
) -> httpx.Response:
    return client.post(f"{BOT}/sendMessage", json={"chat_id": chat, "text": text, **fields})


def test_telegram_records_a_reply_to_a_message_of_the_chat(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    post = telegram(client, "공지").json()["result"]
    comment = telegram(client, "신청", reply_parameters={"message_id": post["message_id"]})
    answered = comment.json()["result"]
    assert answered["reply_to_message"] == post
    assert [(p.remote_id, p.reply_to) for p in sandbox.state.chain("telegram", "1")] == [
        ("1", None),
        ("2", "1"),
    ]
    # A photo may reply too; the form carries the parameters as JSON.
    form = {"chat_id": "@tidings_news", "reply_parameters": '{"message_id": 2}'}
    photo = send_photo(client, png(40, 30), **form)
    assert photo.json()["result"]["reply_to_message"]["message_id"] == 2
    assert "reply_to_message" not in photo.json()["result"]["reply_to_message"]
    assert sandbox.state.posts("telegram")[-1].reply_to == "2"


def test_telegram_refuses_a_reply_to_a_message_the_chat_does_not_have(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    telegram(client, "공지")  # message 1 of @tidings_news
    for chat, message_id in (("@tidings_news", 7), ("@elsewhere", 1)):
        refused = telegram(client, "신청", chat=chat, reply_parameters={"message_id": message_id})
        assert refused.status_code == 400
        assert refused.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message to be replied not found",
        }
    anyway = {"message_id": 7, "allow_sending_without_reply": True}
    sent = telegram(client, "신청", reply_parameters=anyway).json()["result"]
    assert "reply_to_message" not in sent
    assert [p.reply_to for p in sandbox.state.posts("telegram")] == [None, None]


def test_webhook_records_what_a_comment_answers(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    client.post("/hooks/comms", json={"text": "공지"}, headers={"X-Tidings-Post": "31"})
    comment = {"text": "신청", "reply_to": "webhook-31", "comment": True}
    assert client.post("/hooks/comms", json=comment).text == "ok"
    post, reply = sandbox.state.posts("webhook")
    assert (post.reply_to, post.comment) == (None, False)
    assert (reply.reply_to, reply.comment, reply.body) == ("webhook-31", True, comment)


def test_pages_say_which_post_a_reply_answers(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    first = toot(client, "Part one", language="en").json()
    second = toot(client, "Part two", language="en", in_reply_to_id=first["id"]).json()
    parent = sandbox.state.post_by_id("mastodon", first["id"])
    reply = sandbox.state.post_by_id("mastodon", second["id"])
    assert parent is not None and reply is not None

    index = client.get("/").text
    page = client.get(reply.permalink).text

    answers = f'↳ reply to <a href="{parent.permalink}">{first["id"]}</a>'
    assert index.count(answers) == 1  # the reply says so; the first part answers nothing
    assert answers in page
    assert "↳ reply to" not in client.get(parent.permalink).text
