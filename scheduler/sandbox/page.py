"""The sandbox's web pages: what each platform received, newest first, and one page per post.

Every value from a request is HTML-escaped; text is shown as text (``white-space: pre-wrap``),
never interpreted. A post whose ``details["images"]`` lists images (``sha256``, ``alt``,
``width``, ``height``, ``content_type``, and ``url`` for a webhook's) shows each as a thumbnail
with its alt text, pixels and bytes, served from ``/_sandbox/images/{sha256}`` when the sandbox
received the bytes, so a person running the demo sees what each platform got. A post's page lives at its public URL's host and path on the sandbox
(``https://t.me/news/5`` at ``/t.me/news/5``, ``state.page_path``), so each platform's link to it
leads there once its origin is replaced by the sandbox's. A comment (LinkedIn's, Facebook's) is
shown under its post, its text exactly as the platform received it, and its link (the post's
page pointing at it) leads to that post's page. A reply (a thread's later part) says which post
it answers, linked to that post's page.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from drafts.channels import PLATFORMS
from scheduler.sandbox.exchange import json_response, redact_query, sandbox_state
from scheduler.sandbox.state import ReceivedPost, RequestRecord, SandboxState

_STYLE = """
body { font-family: system-ui, "Apple SD Gothic Neo", "Noto Sans KR", "Malgun Gothic", sans-serif;
       margin: 2rem auto; max-width: 56rem; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ccd; }
article { border: 1px solid #dde; border-radius: 6px; padding: .6rem .9rem; margin: .6rem 0; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0; }
.meta { color: #5a6275; font-size: .85rem; }
table { border-collapse: collapse; font-size: .85rem; } td, th { padding: .15rem .5rem; text-align: left; }
pre { background: #f5f6f8; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.images { display: flex; flex-wrap: wrap; gap: .6rem; margin: .4rem 0; }
figure { margin: 0; max-width: 14rem; }
figure img { display: block; max-width: 14rem; max-height: 10rem; border: 1px solid #dde; }
figcaption { font-size: .85rem; overflow-wrap: anywhere; }
.comments { margin: .4rem 0 0 1.2rem; } .comments article { background: #f8f9fb; }
"""


def _document(title: str, body: str, *, status: int = 200, refresh: int | None = None) -> Response:
    refresh_tag = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{refresh_tag}<style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(page, status)


def _post_summary(post: ReceivedPost, state: SandboxState, *, link: bool = True) -> str:
    language = post.details.get("language") or ""
    lang_attr = f' lang="{escape(str(language))}"' if language else ""
    title = escape(post.remote_id)
    heading = f'<a href="{escape(post.permalink)}">{title}</a>' if link else title
    return (
        f"<article><div class='meta'>{escape(post.platform)} · {escape(post.channel)} · "
        f"{heading} · {escape(post.received_at.isoformat(timespec='seconds'))}<br>"
        f"{escape(post.remote_url)}{_replying_to(post, state)}</div>"
        f"<div class='text'{lang_attr}>{escape(post.text)}</div>"
        f"{_images(post, state, lang_attr)}{_warnings(post)}{_facets(post)}"
        f"{_comments(post, state)}</article>"
    )


def _replying_to(post: ReceivedPost, state: SandboxState) -> str:
    """For a reply (a thread's later part, a first comment sent as a reply): the post it answers,
    linked to that post's page where the sandbox has it, so a thread reads as one."""
    if post.reply_to is None or post.comment:
        return ""
    parent = state.post_by_id(post.platform, post.reply_to)
    answered = escape(post.reply_to)
    if parent is not None:
        answered = f'<a href="{escape(parent.permalink)}">{answered}</a>'
    return f"<br>↳ reply to {answered}"


def _comments(post: ReceivedPost, state: SandboxState) -> str:
    """The comments received on ``post``, oldest first, each with who made it and when."""
    found = [p for p in state.posts(post.platform) if p.comment and p.reply_to == post.remote_id]
    if not found:
        return ""
    items = "".join(
        f"<article class='comment'><div class='meta'>comment · {escape(each.channel)} · "
        f"{escape(each.remote_id)} · {escape(each.received_at.isoformat(timespec='seconds'))}"
        f"</div><div class='text'>{escape(each.text)}</div></article>"
        for each in found
    )
    return f"<div class='comments'>{items}</div>"


def _images(post: ReceivedPost, state: SandboxState, lang_attr: str) -> str:
    """The post's images as thumbnails, each captioned with its alt text, pixels and bytes."""
    entries = post.details.get("images")
    if not isinstance(entries, list) or not entries:
        return ""
    figures = "".join(
        _figure(entry, state, lang_attr) for entry in entries if isinstance(entry, dict)
    )
    return f"<div class='images'>{figures}</div>"


def _figure(entry: dict[str, Any], state: SandboxState, lang_attr: str) -> str:
    sha256 = str(entry.get("sha256") or "")
    alt = str(entry.get("alt") or "")
    received = state.image(sha256)
    url = str(entry.get("url") or "")
    source = f"/_sandbox/images/{sha256}" if received else url if url.startswith("http") else ""
    width = received.width if received else entry.get("width")
    height = received.height if received else entry.get("height")
    facts = [f"{width}×{height} px"]
    facts.append(f"{received.bytes:,} bytes" if received else "bytes not received")
    facts.append(str(entry.get("content_type") or (received.content_type if received else "")))
    if received and received.metadata:
        facts.append("⚠ carries " + ", ".join(received.metadata))
    thumbnail = (
        f"<a href='{escape(source)}'><img src='{escape(source)}' alt='{escape(alt)}'></a>"
        if source
        else ""
    )
    said = escape(alt) if alt else "<em>no alt text</em>"
    return (
        f"<figure>{thumbnail}<figcaption><span{lang_attr}>{said}</span><br>"
        f"<span class='meta'>{escape(' · '.join(facts))}</span></figcaption></figure>"
    )


def _warnings(post: ReceivedPost) -> str:
    """What the platform silently did to the post, so a reviewer of the demo sees it."""
    notes = []
    if post.details.get("truncated_at") is not None:
        notes.append(
            f"Cut short: unescaped reserved character at {post.details['truncated_at']} "
            "in the little-text commentary."
        )
    sent = post.details.get("language_sent")
    if sent and sent != post.details.get("language"):
        notes.append(
            f"Language {sent!r} unknown to the instance; stored as {post.details['language']!r}."
        )
    return "".join(f"<p class='meta'>⚠ {escape(n)}</p>" for n in notes)


def _facets(post: ReceivedPost) -> str:
    facets: list[dict[str, Any]] = post.details.get("facets") or []
    if not facets:
        return ""
    items = "".join(
        f"<li>{escape(str(f.get('kind')))}: “{escape(str(f.get('text')))}” → "
        f"{escape(str(f.get('target')))}</li>"
        for f in facets
    )
    return f"<ul class='meta'>{items}</ul>"


def _request_row(record: RequestRecord) -> str:
    cells = [
        record.received_at.isoformat(timespec="milliseconds"),
        record.platform or "-",
        record.method,
        record.path,
        str(record.status),
        record.fault or "",
        "early" if record.early else "",
    ]
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


async def index(request: Request) -> Response:
    """``GET /``: every platform's received posts, newest first, and the latest requests."""
    state = sandbox_state(request)
    refresh = request.query_params.get("refresh")
    sections = []
    for platform in PLATFORMS:
        posts = [p for p in state.posts(platform) if not p.comment]  # comments: under theirs
        if not posts:
            continue
        articles = "".join(_post_summary(p, state) for p in reversed(posts))
        sections.append(f"<section><h2>{escape(platform)} ({len(posts)})</h2>{articles}</section>")
    if not sections:
        sections.append("<p>Nothing received yet.</p>")
    recent = state.requests()[-25:]
    rows = "".join(_request_row(r) for r in reversed(recent))
    body = (
        "<h1>Tidings sandbox</h1><p class='meta'>Posts the platform APIs accepted on this "
        "server. JSON: <a href='/_sandbox/posts'>/_sandbox/posts</a>, "
        "<a href='/_sandbox/images'>/_sandbox/images</a>, "
        "<a href='/_sandbox/requests'>/_sandbox/requests</a>.</p>"
        + "".join(sections)
        + "<h2>Latest requests</h2><table><tr><th>time</th><th>platform</th><th>method</th>"
        f"<th>path</th><th>status</th><th>fault</th><th></th></tr>{rows}</table>"
    )
    return _document(
        "Tidings sandbox", body, refresh=int(refresh) if refresh and refresh.isdigit() else None
    )


async def permalink(request: Request) -> Response:
    """Any other path: a post's page for GET, else a logged 404 (a client used a wrong path)."""
    state = sandbox_state(request)
    path = request.url.path
    post = state.post_at(path) if request.method == "GET" else None
    if post is not None and post.comment and post.reply_to is not None:
        # A comment's link is its post's page pointing at it: show the post, comments and all.
        post = state.post_by_id(post.platform, post.reply_to) or post
    if post is None:
        record = state.log_request(
            method=request.method,
            path=path,
            query=redact_query(request.query_params),
            platform=None,
        )
        state.finish_request(record, 404)
        if request.method == "GET":
            return _document("Not found", "<h1>Nothing here</h1>", status=404)
        return json_response(
            {"error": f"The sandbox has no route for {request.method} {path}"}, 404
        )
    details = json.dumps(post.details, ensure_ascii=False, indent=2, default=str)
    headers = json.dumps(post.headers, ensure_ascii=False, indent=2)
    body = json.dumps(post.body, ensure_ascii=False, indent=2, default=str)
    html_body = (
        f"<p class='meta'><a href='/'>All posts</a></p><h1>{escape(post.platform)} post "
        f"{escape(post.remote_id)}</h1>{_post_summary(post, state, link=False)}"
        f"<h2>Details</h2><pre>{escape(details)}</pre>"
        f"<h2>Request headers</h2><p class='meta'>Auth: {escape(post.auth or 'none')}</p>"
        f"<pre>{escape(headers)}</pre><h2>Request body</h2><pre>{escape(body)}</pre>"
    )
    return _document(f"{post.platform} {post.remote_id}", html_body)
