"""The sandbox takes Telegram's photo uploads as documented and shows every image it received:
``/_sandbox/images`` lists them, ``/_sandbox/images/{sha256}`` serves them, and each post's page
and the index show the post's images with their alt text, pixels and bytes, whichever platform
recorded them. Requests are built by hand from the Bot API documentation, with plain httpx."""

from __future__ import annotations

import hashlib
import io
import json

import httpx
from PIL import Image

from scheduler.sandbox import RunningSandbox

BOT = "/bot123456:ABC-DEF_secret"


def png(width: int, height: int, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def send_photo(client: httpx.Client, data: bytes, **fields: str) -> httpx.Response:
    form = {"chat_id": "@news", **fields}
    return client.post(f"{BOT}/sendPhoto", data=form, files={"photo": ("a.png", data, "image/png")})


def test_send_photo_keeps_the_photo_and_answers_the_message(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    photo = png(300, 200)
    answer = send_photo(client, photo, caption="Harbour at dawn")
    assert answer.status_code == 200, answer.text
    message = answer.json()["result"]
    assert (message["message_id"], message["caption"]) == (1, "Harbour at dawn")
    assert message["photo"][0]["width"] == 300 and message["photo"][0]["file_size"] == len(photo)
    [post] = sandbox.state.posts("telegram")
    sha256 = hashlib.sha256(photo).hexdigest()
    assert post.text == "Harbour at dawn"
    assert post.details["images"] == [
        {"sha256": sha256, "alt": "", "width": 300, "height": 200, "content_type": "image/png"}
    ]
    assert sandbox.state.image(sha256) is not None


def test_a_caption_over_1024_characters_is_refused_as_telegram_does(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    assert send_photo(client, png(10, 10), caption="가" * 1024).status_code == 200
    refused = send_photo(client, png(10, 10, "red"), caption="😀" * 513)  # 1,026 UTF-16 units
    assert refused.status_code == 400
    assert refused.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message caption is too long",
    }
    assert len(sandbox.state.posts("telegram")) == 1
    assert len(sandbox.state.images("telegram")) == 1  # the refused photo was not kept


def test_send_media_group_attaches_each_part_and_answers_every_message(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    media = [
        {"type": "photo", "media": "attach://first", "caption": "Two views of the bridge"},
        {"type": "photo", "media": "attach://second"},
    ]
    files = {
        "first": ("1.png", png(40, 30, "navy"), "image/png"),
        "second": ("2.png", png(30, 40, "olive"), "image/png"),
    }
    form = {"chat_id": "-1001234567890", "media": json.dumps(media)}
    answer = client.post(f"{BOT}/sendMediaGroup", data=form, files=files)
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["result"]
    assert (first["message_id"], second["message_id"]) == (1, 2)
    assert first["media_group_id"] == second["media_group_id"]
    assert (first["caption"], "caption" in second) == ("Two views of the bridge", False)
    [album] = sandbox.state.posts("telegram")
    assert [(i["width"], i["height"]) for i in album.details["images"]] == [(40, 30), (30, 40)]

    one = client.post(
        f"{BOT}/sendMediaGroup",
        data={"chat_id": "@news", "media": json.dumps(media[:1])},
        files={"first": files["first"]},
    )
    missing_part = client.post(f"{BOT}/sendMediaGroup", data=form, files={"first": files["first"]})
    assert (one.status_code, missing_part.status_code) == (400, 400)
    assert "media not found" in missing_part.json()["description"]


def test_send_photo_without_a_photo_or_with_one_that_is_not_an_image(
    client: httpx.Client,
) -> None:
    no_photo = client.post(f"{BOT}/sendPhoto", data={"chat_id": "@news"})
    assert no_photo.json()["description"] == "Bad Request: there is no photo in the request"
    not_an_image = send_photo(client, b"GIF89a but not really")
    assert not_an_image.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"


def test_received_images_are_listed_and_served(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    photo = png(64, 48)
    send_photo(client, photo)
    sha256 = hashlib.sha256(photo).hexdigest()
    listed = client.get("/_sandbox/images").json()["images"]
    assert listed == [
        {"sha256": sha256, "platform": "telegram", "content_type": "image/png", "format": "PNG",
         "width": 64, "height": 48, "bytes": len(photo), "metadata": []}
    ]  # fmt: skip
    assert client.get("/_sandbox/images?platform=x").json() == {"images": []}
    served = client.get(f"/_sandbox/images/{sha256}")
    assert (served.status_code, served.content) == (200, photo)
    assert served.headers["content-type"] == "image/png"
    assert client.get(f"/_sandbox/images/{'0' * 64}").status_code == 404


def test_bytes_declared_as_html_are_not_served_as_html(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    image = sandbox.state.receive_image(
        platform="x", data=b"<script>alert(1)</script>", content_type="text/html"
    )
    served = client.get(f"/_sandbox/images/{image.sha256}")
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["x-content-type-options"] == "nosniff"


def test_every_platforms_post_page_and_the_index_show_its_images(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    # A post another platform recorded with details["images"], as every sandbox module does.
    photo = png(120, 90)
    image = sandbox.state.receive_image(platform="mastodon", data=photo, content_type="image/png")
    alt = 'Bar chart: "ridership" up <40%> & rising'
    post = sandbox.state.record_post(
        platform="mastodon",
        channel="@demo",
        remote_id="110",
        base_url=sandbox.base_url,
        url=f"{sandbox.base_url}/@demo/110",
        text="Bus ridership, 2026",
        body={},
        headers={},
        auth=None,
        details={
            "language": "en",
            "images": [{"sha256": image.sha256, "alt": alt, "width": 120, "height": 90,
                        "content_type": "image/png"}],
        },
    )  # fmt: skip
    escaped_alt = "Bar chart: &quot;ridership&quot; up &lt;40%&gt; &amp; rising"
    for path in (post.permalink, "/"):
        page = client.get(path).text
        assert f"<img src='/_sandbox/images/{image.sha256}' alt='{escaped_alt}'>" in page
        assert f'<span lang="en">{escaped_alt}</span>' in page
        assert f"120×90 px · {len(photo):,} bytes · image/png" in page
        assert alt not in page  # never unescaped


def test_a_photo_still_carrying_gps_is_flagged_on_the_page(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 59.0)})
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "JPEG", exif=exif)
    answer = client.post(
        f"{BOT}/sendPhoto",
        data={"chat_id": "@news"},
        files={"photo": ("p.jpg", out.getvalue(), "image/jpeg")},
    )
    [post] = sandbox.state.posts("telegram")
    assert answer.status_code == 200
    assert "⚠ carries exif, gps" in client.get(post.permalink).text
