"""Signed media links: the daemon signs with a key derived from the web secret, ``tidings web``
serves an image under one only while the signature is good and unexpired and an approved post
sends the image; anything else is the same plain 404, over real HTTP, without logging in (on
SQLite and PostgreSQL: which images are approved is a query)."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import tomli_w
from PIL import Image

from drafts.authoring import add_draft, draft_posts, edit_draft
from drafts.config import Config
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import ConfigError
from drafts.media import StoredImage
from drafts.media_store import clean, image_bytes, keep
from drafts.post_media import images_by_post
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from scheduler.media_links import LINK_LIFETIME, media_link_key, signed_url, verify
from scheduler.web_secret import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE
from tests.web.conftest import Person
from tidings.web.session_key import session_key

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
KEY = secrets.token_bytes(32)
IMAGE = StoredImage(hashlib.sha256(b"a photo").hexdigest(), "image/jpeg", 1200, 800, 91_000)


def parts(url: str) -> tuple[str, str, str]:
    """A link's file name, expiry and signature."""
    path, _, query = url.partition("?")
    values = dict(pair.split("=", 1) for pair in query.split("&"))
    return path.rsplit("/", 1)[1], values["expires"], values["signature"]


def test_a_link_names_the_image_and_verifies_until_it_expires() -> None:
    url = signed_url("https://tidings.example.org/media/", IMAGE, NOW + LINK_LIFETIME, KEY)
    assert url.startswith(f"https://tidings.example.org/media/{IMAGE.sha256}.jpg?expires=")
    name, expires, signature = parts(url)
    assert verify(name, expires, signature, KEY, NOW)
    assert verify(name, expires, signature, KEY, NOW + LINK_LIFETIME - timedelta(seconds=1))
    assert not verify(name, expires, signature, KEY, NOW + LINK_LIFETIME)
    assert not verify(name, expires, signature, secrets.token_bytes(32), NOW)  # another key
    assert not verify(name.replace(".jpg", ".png"), expires, signature, KEY, NOW)
    assert not verify(name, str(int(expires) + 3600), signature, KEY, NOW)  # a longer life
    other = "B" if signature[-1] == "A" else "A"  # a changed last character, whatever it was
    assert not verify(name, expires, signature[:-1] + other, KEY, NOW)
    assert not verify(name, expires, "", KEY, NOW)
    assert not verify(name, "soon", signature, KEY, NOW)


def test_the_link_key_comes_from_the_web_secret_and_is_no_other_key() -> None:
    web = secrets.token_urlsafe(32)
    vault = secrets.token_urlsafe(32)
    # The daemon and the web app see the same variables, so they derive the same key.
    assert media_link_key({WEB_SECRET_VARIABLE: web}) == media_link_key({WEB_SECRET_VARIABLE: web})
    assert media_link_key({WEB_SECRET_VARIABLE: web, VAULT_SECRET_VARIABLE: vault}) == (
        media_link_key({WEB_SECRET_VARIABLE: web})
    )
    from_vault = media_link_key({VAULT_SECRET_VARIABLE: vault})
    assert from_vault != media_link_key({WEB_SECRET_VARIABLE: web})
    # Its own label: never the cookie key, never the secret itself.
    assert media_link_key({WEB_SECRET_VARIABLE: web}) != web.encode()
    assert from_vault != session_key({VAULT_SECRET_VARIABLE: vault}).encode()
    assert len(from_vault) == 32


def test_without_a_secret_the_link_key_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        media_link_key({})
    assert str(raised.value).startswith(
        f"{WEB_SECRET_VARIABLE} is not set (nor {VAULT_SECRET_VARIABLE})"
    )
    assert "sign media links" in str(raised.value)
    weak = "x" * 40
    with pytest.raises(ConfigError) as raised:
        media_link_key({WEB_SECRET_VARIABLE: weak})
    assert weak not in str(raised.value)


# --- served over HTTP -----------------------------------------------------------------------


def photo() -> bytes:
    image = Image.new("RGB", (800, 600), (30, 90, 160))
    exif = image.getexif()
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 5.0), 3: "E", 4: (126.0, 58.0, 7.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def content(config: Config, sha256: str, alt: str) -> DraftContent:
    source = tomli_w.dumps(
        {
            "kind": "event",
            "title": "Harbour clean-up",
            "channels": ["linkedin"],
            "text": {"en": "Sixty people cleared the harbour steps on Sunday."},
            "media": [{"sha256": sha256, "alt": {"en": alt}}],
        }
    )
    return read_draft_file(source, "web.toml", config, utcnow())


def photo_draft(database: Database, config: Config, library: TemplateLibrary) -> tuple[int, str]:
    """A draft whose LinkedIn post sends a photo, in review: its id and the bytes' SHA-256."""
    with database.writing() as session:
        stored = keep(session, clean(photo(), "harbour.jpg"))
        mina = find_user(session, "mina")
        draft = add_draft(
            session,
            content=content(config, stored.sha256, "People in gloves on stone steps"),
            author=mina,
            config=config,
            library=library,
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=config)
        posts = draft_posts(session, draft.id)
        (sent,) = images_by_post(session, [post.id or 0 for post in posts]).values()
        return draft.id, sent[0].image.sha256


def approve_draft(database: Database, config: Config, draft_id: int) -> None:
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())


def test_an_approved_image_is_served_and_nothing_else_is(
    server_url: str,
    database: Database,
    config: Config,
    library: TemplateLibrary,
    people: dict[str, Person],
    web_secret: str,
) -> None:
    draft_id, sha256 = photo_draft(database, config, library)
    key = media_link_key({WEB_SECRET_VARIABLE: web_secret})  # as the daemon derives it
    image = StoredImage(sha256, "image/jpeg", 800, 600, 0)
    with database.reading() as session:
        data = image_bytes(session, sha256)
    link = signed_url(f"{server_url}/media", image, utcnow() + LINK_LIFETIME, key)
    with httpx.Client() as platform:  # no cookie, no login: as Meta's fetcher comes
        in_review = platform.get(link)
        assert in_review.status_code == 404  # signed, but nobody approved it yet

        approve_draft(database, config, draft_id)
        served = platform.get(link)
        assert served.status_code == 200
        assert served.content == data
        assert served.headers["content-type"] == "image/jpeg"
        cache = served.headers["cache-control"]
        assert cache.startswith("public, max-age=") and "immutable" in cache
        assert int(cache.split("max-age=")[1].split(",")[0]) <= LINK_LIFETIME.total_seconds()
        assert "set-cookie" not in served.headers
        assert platform.head(link).status_code == 200

        name, expires, signature = parts(link)
        base = link.split("?")[0]
        changed = "B" if signature[-1] == "A" else "A"  # a changed last character, always
        refused = {
            "unsigned": base,
            "no expiry": f"{base}?signature={signature}",
            "tampered": f"{base}?expires={expires}&signature={signature[:-1]}{changed}",
            "a longer life": f"{base}?expires={int(expires) + 60}&signature={signature}",
            "expired": signed_url(
                f"{server_url}/media", image, utcnow() - timedelta(seconds=1), key
            ),
            "another key": signed_url(
                f"{server_url}/media", image, utcnow() + LINK_LIFETIME, secrets.token_bytes(32)
            ),
            "wrong extension": signed_url(
                f"{server_url}/media",
                StoredImage(sha256, "image/png", 800, 600, 0),
                utcnow() + LINK_LIFETIME,
                key,
            ),
            "unknown": signed_url(
                f"{server_url}/media",
                StoredImage(hashlib.sha256(b"no such").hexdigest(), "image/jpeg", 1, 1, 1),
                utcnow() + LINK_LIFETIME,
                key,
            ),
            "not an image name": f"{server_url}/media/{sha256}?expires={expires}&signature={signature}",
            "below": f"{server_url}/media/x/{name}?expires={expires}&signature={signature}",
        }
        answers = {why: platform.get(url) for why, url in refused.items()}
        for why, answer in answers.items():
            assert answer.status_code == 404, why
        assert len({answer.text for answer in answers.values()}) == 1  # the same plain 404

        # An edit sends the draft back to review: the link stops working at once.
        with database.writing() as session:
            edit_draft(
                session,
                draft_id=draft_id,
                content=content(config, sha256, "People in orange gloves on stone steps"),
                editor=find_user(session, "mina"),
                config=config,
                library=TemplateLibrary.default(),
            )
        assert platform.get(link).status_code == 404
