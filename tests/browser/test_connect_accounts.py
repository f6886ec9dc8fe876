"""Connecting accounts in a real browser (Debian's Chromium, driven by Playwright), through the
sandbox's consent page over loopback HTTP (PRODUCT.md "Connecting accounts", PLATFORMS.md
§10.3): an admin presses Connect on the Channels page for LinkedIn, X, Facebook, Threads and
Mastodon, lands on the platform's consent page, presses Allow, and is back on the Channels page
with the channel connected as the sandbox's account, its scopes and expiry; the daemon then
publishes with the token that was obtained (no channel here names an environment variable).
Bluesky and Telegram are connected through their forms.

A forged ``state``, a replayed one, a redirect the app did not register and a denied consent
each end with one clear line on the page and nothing stored.

Screenshots of the Channels page with connected channels, 1280 and 375 pixels wide, in English
and Korean (the admin's interface language), go to ``tests/artifacts/connect-*.png``.

One sandbox, one database and one web app serve the whole module (each test starts from no
connection and a fresh sandbox): ``[web] public_url`` must be the web app's real origin, so
the app is made once its port is known.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Mount

from drafts.authoring import add_draft, draft_posts
from drafts.config import Config
from drafts.credential_problems import REQUIRED_SCOPES
from drafts.draft_file import read_draft_file
from drafts.lifecycle import PostStatus
from drafts.models import Connection, OAuthState, StoredCredential
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, find_user
from scheduler.connections import TOKEN
from scheduler.sandbox import RunningSandbox, Settings, running_sandbox
from scheduler.sandbox.bluesky import add_account
from scheduler.sandbox.oauth import issued_token, register_oauth_app
from scheduler.vault import Sealer, load_secret
from tests.browser.conftest import Browsing, browsing_only, log_in, screenshot
from tests.conftest import make_config, sqlite_database
from tests.integration.publishing import drain, posts
from tests.integration.sandbox_fixtures import fresh
from tests.web.conftest import FAST_HASHER, Person, add_people
from tidings.web import auth
from tidings.web.app import create_app
from tidings.web.in_thread import serving
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE

# The apps registered with each platform ([oauth.<platform>]); Mastodon's is registered by
# Tidings itself on the instance (POST /api/v1/apps, PLATFORMS.md §10.3).
APPS = ("linkedin", "x", "facebook", "threads")
OAUTH_CHANNELS = {  # channel id → platform
    "linkedin": "linkedin",
    "x-en": "x",
    "facebook": "facebook",
    "threads": "threads",
    "mastodon": "mastodon",
}
ORGANIZATION = "urn:li:organization:2414183"
# Who the sandbox's user is on each platform (scheduler/sandbox/oauth.py ACCOUNTS, and the
# names the platforms' "who am I" endpoints give), and how long the token it grants lasts.
ACCOUNTS = {
    "linkedin": "Sandbox Page 2414183",
    "x-en": "@tidings_demo",
    "facebook": f"Sandbox page {Settings().facebook_page_id}",
    "threads": "@demo",
    "mastodon": "@demo",
}
EXPIRY = {
    "linkedin": "expires in 2 months",  # 60 days, no refresh token for this app
    "x-en": "expires in 2 hours; renews by itself",  # offline.access: a refresh token
    "facebook": "does not expire",  # a Page token from a long-lived user token
    "threads": "expires in 2 months; renews by itself",  # th_refresh_token
    "mastodon": "does not expire",
}
BLUESKY_HANDLE = "tidings.test"
TELEGRAM_CHAT = "@tidings_news"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
WIDTHS = (1280, 375)
ELSEWHERE = "https://elsewhere.example.org/callback"
# What the pages say, in each interface language (tidings/web/locale/ko).
WORDS = {
    "en": {"connected": "Connected", "flash": "{channel} is connected as {account}."},
    "ko": {"connected": "연결됨", "flash": "{channel} 채널을 {account} 계정으로 연결했습니다."},
}


def channels_config(origin: str, sandbox: str) -> Config:
    """Every connectable platform on the sandbox, none naming an environment variable for its
    token: they post with what was connected here."""
    apps = "".join(
        f'[oauth.{name}]\nclient_id_env = "{app_env(name)[0]}"\n'
        f'client_secret_env = "{app_env(name)[1]}"\n'
        for name in APPS
    )
    return make_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
database = "sqlite:///unused.db"

[web]
public_url = "{origin}"

{apps}
[[channels]]
id = "linkedin"
platform = "linkedin"
languages = ["en", "ko"]
author = "{ORGANIZATION}"
base_url = "{sandbox}"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{sandbox}"

[[channels]]
id = "facebook"
platform = "facebook"
languages = ["en", "ko"]
page_id = "{Settings().facebook_page_id}"
graph_version = "v21.0"
base_url = "{sandbox}"

[[channels]]
id = "threads"
platform = "threads"
languages = ["en", "ko"]
user_id = "{Settings().threads_user_id}"
base_url = "{sandbox}"

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "{sandbox}"

[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en"]
handle = "{BLUESKY_HANDLE}"
base_url = "{sandbox}"

[[channels]]
id = "telegram"
platform = "telegram"
languages = ["en", "ko"]
chat_id = "{TELEGRAM_CHAT}"
base_url = "{sandbox}"
"""
    )


def app_env(platform: str) -> tuple[str, str]:
    """The variables holding the client id and secret of the platform's app."""
    return f"TIDINGS_T_{platform.upper()}_CLIENT_ID", f"TIDINGS_T_{platform.upper()}_CLIENT_SECRET"


# --- one sandbox, database and web app for the module -----------------------------------------


@dataclass(frozen=True)
class Served:
    """The module's web app (at ``origin``), its database, configuration and sandbox."""

    origin: str
    database: Database
    config: Config
    sandbox: RunningSandbox
    vault_key: str

    def sealer(self) -> Sealer:
        return Sealer(self.vault_key)

    def callback(self, channel: str) -> str:
        return f"{self.origin}/channels/{channel}/callback"


@pytest.fixture(scope="module")
def served(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    vault_key = secrets.token_urlsafe(32)
    database = sqlite_database(sqlite_template, tmp_path_factory.mktemp("connect"))
    decoy = FAST_HASHER.hash(secrets.token_urlsafe(18))  # unknown names: cheap here too
    with pytest.MonkeyPatch.context() as env, running_sandbox() as sandbox:
        env.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
        env.setenv(VAULT_SECRET_VARIABLE, vault_key)
        env.setattr(auth, "_decoy_hash", lambda: decoy)
        for platform in APPS:
            client_id, client_secret = app_env(platform)
            env.setenv(client_id, f"{platform}-{secrets.token_hex(8)}")
            env.setenv(client_secret, secrets.token_urlsafe(24))
        # The app is mounted once its port is known: public_url is where platforms send the
        # admin back, so it must be this server's own origin.
        shell = Starlette()
        with serving(shell) as origin:
            config = channels_config(origin, sandbox.base_url)
            shell.router.routes.append(Mount("/", app=create_app(config, database)))
            yield Served(origin, database, config, sandbox, vault_key)
    database.dispose()


@pytest.fixture(scope="module")
def admins(served: Served) -> dict[str, Person]:
    """hana, an admin reading English, and minji, an admin reading Korean; mina writes the
    posts the daemon publishes and joon approves them."""
    people = add_people(
        served.database,
        {"mina": Role.AUTHOR, "joon": Role.REVIEWER, "minji": Role.AUTHOR, "hana": Role.ADMIN},
    )
    with served.database.writing() as session:
        minji = find_user(session, "minji")
        minji.role, minji.language = Role.ADMIN, "ko"
    return people


@pytest.fixture(autouse=True)
def nothing_connected(served: Served) -> None:
    """Each test starts with no connection, no flow under way, and a fresh sandbox with the
    apps registered for this web's callbacks."""
    with served.database.writing() as session:
        for table in (Connection, StoredCredential, OAuthState):
            session.execute(delete(table))
    fresh(served.sandbox)
    for channel, platform in OAUTH_CHANNELS.items():
        if platform in APPS:
            register_app(served, channel, [served.callback(channel)])


def register_app(served: Served, channel: str, redirect_uris: list[str]) -> None:
    """The channel's platform app, registered with the sandbox under the id and secret the
    web's environment holds."""
    platform = OAUTH_CHANNELS[channel]
    client_id, client_secret = app_env(platform)
    register_oauth_app(
        served.sandbox.state,
        platform=platform,
        client_id=os.environ[client_id],
        client_secret=os.environ[client_secret],
        redirect_uris=redirect_uris,
    )


@pytest.fixture
def browsing(chromium: Browser, served: Served) -> Iterator[Browsing]:
    """Browser contexts that may reach the web app and the sandbox (its consent page)."""
    with browsing_only(chromium, served.origin, served.sandbox.base_url) as browsing:
        yield browsing


def logged_in(browsing: Browsing, person: Person) -> Page:
    page = browsing.open().new_page()
    log_in(page, person)
    return page


@pytest.fixture
def hana(browsing: Browsing, admins: dict[str, Person]) -> Page:
    return logged_in(browsing, admins["hana"])


# --- what a person does -----------------------------------------------------------------------


def press_connect(page: Page, served: Served, channel: str) -> list[str]:
    """On the Channels page, press the channel's Connect button; the browser lands on the
    platform's consent page. Returns the scopes the consent page asks for."""
    page.goto("/channels")
    card = page.locator(f"#connection-{channel}")
    card.locator(f"#connect-{channel}").click()
    expect(page).to_have_url(re.compile("^" + re.escape(served.sandbox.base_url + "/")))
    return [each.get_attribute("value") or "" for each in page.locator("input[name=grant]").all()]


def consent(page: Page, served: Served, channel: str, decision: str = "Allow") -> str:
    """Press Connect, then Allow (or Deny) on the consent page; the callback URL the platform
    sent the browser back to, once the web app has answered it."""
    press_connect(page, served, channel)
    expect(page.get_by_role("heading")).to_contain_text("wants to post as")
    with page.expect_response(re.compile(re.escape(served.callback(channel)) + r"\?")) as back:
        page.get_by_role("button", name=decision).click()
    page.wait_for_load_state()
    return back.value.url


def refusal(page: Page) -> str:
    """The one line a refused step shows on the page."""
    error = page.locator("#connect-error")
    expect(error).to_be_visible()
    return error.inner_text()


def nothing_stored(served: Served) -> None:
    with served.database.reading() as session:
        assert session.exec(select(Connection)).all() == []
        assert session.exec(select(StoredCredential)).all() == []


def stored_token(served: Served, channel: str) -> str:
    with served.database.reading() as session:
        found = load_secret(session, served.sealer(), channel, TOKEN)
    assert found is not None, f"no token stored for {channel}"
    return found.value


def publish(served: Served, library: TemplateLibrary, channel: str) -> None:
    """A post on ``channel`` written by mina, approved by joon and due now, published by a
    draining daemon (in a thread of its own: Playwright's event loop holds this one)."""
    before = utcnow() - timedelta(seconds=5)
    source = (
        f'kind = "post"\ntitle = "Connected"\nchannels = ["{channel}"]\n[text]\n'
        f'en = "Posted with the account connected on the Channels page {secrets.token_hex(4)}"\n'
    )
    content = read_draft_file(source, "draft.toml", served.config, before)
    with served.database.writing() as session:
        mina, joon = find_user(session, "mina"), find_user(session, "joon")
        draft = add_draft(
            session, content=content, author=mina, config=served.config, library=library
        )
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=served.config)
        approve(
            session, draft_id=draft.id, reviewer=joon, comment="", config=served.config, now=before
        )
        due = ScheduleRequest(at=before + timedelta(seconds=4))
        schedule_draft(
            session, draft_id=draft.id, request=due, actor=mina, config=served.config, now=before
        )
        [post_id] = [p.id for p in draft_posts(session, draft.id) if p.id is not None]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(drain, served.database, served.config).result(timeout=20)
    [post] = posts(served.database, [post_id])
    assert post.status == PostStatus.PUBLISHED, post.status


def app_password() -> str:
    """A fresh Bluesky app password, shaped as the PDS makes them (four groups of four)."""
    return "-".join("".join(secrets.choice(BASE32) for _ in range(4)) for _ in range(4))


# --- connecting through the consent page ------------------------------------------------------


@pytest.mark.parametrize("channel", list(OAUTH_CHANNELS))
def test_an_admin_connects_through_the_consent_page_and_the_daemon_posts_with_it(
    hana: Page, served: Served, library: TemplateLibrary, channel: str
) -> None:
    platform = OAUTH_CHANNELS[channel]
    hana.goto("/channels")
    card = hana.locator(f"#connection-{channel}")
    expect(card).to_have_attribute("data-state", "none")

    asked = press_connect(hana, served, channel)
    assert set(REQUIRED_SCOPES.get(platform, ())) <= set(asked)
    expect(hana.get_by_role("heading")).to_contain_text("wants to post as")
    hana.get_by_role("button", name="Allow").click()

    expect(hana).to_have_url(served.origin + "/channels")
    account = ACCOUNTS[channel]
    expect(hana.locator("p.flash")).to_have_text(f"{channel} is connected as {account}.")
    expect(card).to_have_attribute("data-state", "connected")
    expect(card.locator(".connection-account")).to_contain_text(account)
    expect(card.locator(".connection-by")).to_contain_text("hana, ")
    shown = card.locator(".connection-scopes").inner_text().split()
    assert set(shown) == set(asked), f"granted {asked}, shown {shown}"
    expect(card.locator(".connection-expiry")).to_have_text(EXPIRY[channel])
    expect(card.locator(f"#connect-{channel}")).to_have_text("Reconnect")

    token = stored_token(served, channel)
    assert issued_token(served.sandbox.state, token) is not None  # what the sandbox granted
    assert token not in hana.content()

    publish(served, library, channel)
    [post] = served.sandbox.state.posts(platform)
    assert post.auth is not None and post.auth.endswith(f"…({len(token)} chars)"), post.auth


def test_bluesky_is_connected_with_an_app_password(
    hana: Page, served: Served, library: TemplateLibrary
) -> None:
    password = app_password()
    add_account(
        served.sandbox.state,
        BLUESKY_HANDLE,
        password=secrets.token_urlsafe(16),
        app_passwords=(password,),
    )
    hana.goto("/channels")
    hana.locator("#connect-bluesky").click()
    expect(hana.locator("#handle")).to_have_value(BLUESKY_HANDLE)
    hana.get_by_label("App password").fill(password)
    hana.locator("#connect-submit").click()

    expect(hana).to_have_url(served.origin + "/channels")
    expect(hana.locator("p.flash")).to_have_text(f"bluesky is connected as @{BLUESKY_HANDLE}.")
    card = hana.locator("#connection-bluesky")
    expect(card).to_have_attribute("data-state", "connected")
    expect(card.locator(".connection-expiry")).to_have_text("does not expire")
    assert stored_token(served, "bluesky") == password
    assert password not in hana.content()

    publish(served, library, "bluesky")
    [post] = served.sandbox.state.posts("bluesky")
    assert post.channel == BLUESKY_HANDLE  # the session the app password opened


def test_telegram_is_connected_with_a_bot_token(
    hana: Page, served: Served, library: TemplateLibrary
) -> None:
    token = f"7000000123:{secrets.token_urlsafe(26)}"
    hana.goto("/channels")
    hana.locator("#connect-telegram").click()
    expect(hana.locator("#chat")).to_have_value(TELEGRAM_CHAT)
    hana.get_by_label("Bot token").fill(token)
    hana.locator("#connect-submit").click()

    expect(hana).to_have_url(served.origin + "/channels")
    account = "@tidings_sandbox_bot in tidings_news"
    expect(hana.locator("p.flash")).to_have_text(f"telegram is connected as {account}.")
    expect(hana.locator("#connection-telegram")).to_have_attribute("data-state", "connected")
    assert stored_token(served, "telegram") == token
    assert token not in hana.content()

    publish(served, library, "telegram")
    [post] = served.sandbox.state.posts("telegram")
    assert post.channel == TELEGRAM_CHAT


# --- each way a connection must stop ------------------------------------------------------------


def test_a_forged_state_is_refused_and_nothing_is_stored(hana: Page, served: Served) -> None:
    hana.goto("/channels/linkedin/callback?code=x&state=forged")
    assert refusal(hana) == (
        "This answer from LinkedIn does not match any Connect button pressed here (forged, or "
        "long expired); nothing was connected."
    )
    expect(hana.locator("#connection-linkedin")).to_have_attribute("data-state", "none")
    assert served.sandbox.state.requests("linkedin") == []  # no code was sent to exchange
    nothing_stored(served)


def test_a_replayed_state_is_refused_and_the_first_connection_stays(
    hana: Page, served: Served
) -> None:
    callback = consent(hana, served, "x-en")
    expect(hana).to_have_url(served.origin + "/channels")
    expect(hana.locator("#connection-x-en")).to_have_attribute("data-state", "connected")
    with served.database.reading() as session:
        first = session.get(Connection, "x-en")
    token = stored_token(served, "x-en")
    exchanges = len(served.sandbox.state.requests("x", path="/2/oauth2/token"))

    hana.goto(callback)  # the same answer from the platform, a second time
    assert refusal(hana) == (
        "This answer from X was already used once; press Connect again to connect anew. "
        "Nothing more was stored."
    )
    assert len(served.sandbox.state.requests("x", path="/2/oauth2/token")) == exchanges
    with served.database.reading() as session:
        assert session.get(Connection, "x-en") == first
    assert stored_token(served, "x-en") == token
    expect(hana.locator("#connection-x-en")).to_have_attribute("data-state", "connected")


def test_a_redirect_the_app_did_not_register_stops_at_the_platform(
    hana: Page, served: Served
) -> None:
    register_app(served, "facebook", [ELSEWHERE])
    press_connect(hana, served, "facebook")
    expect(hana.get_by_role("heading")).to_have_text("Authorization error")
    expect(hana.locator("body")).to_contain_text(
        "The redirect_uri does not match the ones registered for this app."
    )
    expect(hana.get_by_role("button", name="Allow")).to_have_count(0)
    nothing_stored(served)
    # Back on the Channels page, the address to register is shown.
    hana.goto("/channels")
    card = hana.locator("#connection-facebook")
    expect(card).to_have_attribute("data-state", "none")
    expect(card.locator(".callback code")).to_have_text(served.callback("facebook"))


def test_a_denied_consent_connects_nothing(hana: Page, served: Served) -> None:
    callback = consent(hana, served, "threads", decision="Deny")
    assert "error=access_denied" in callback
    assert refusal(hana) == "Consent was denied on Threads; nothing was connected."
    expect(hana.locator("#connection-threads")).to_have_attribute("data-state", "none")
    assert served.sandbox.state.requests("threads", path="access_token") == []
    nothing_stored(served)


# --- how the connected channels look ------------------------------------------------------------


def connect_everything(page: Page, served: Served, language: str) -> None:
    """Every channel connected from the browser, each flash message in ``language``."""
    for channel in OAUTH_CHANNELS:
        consent(page, served, channel)
        expect(page).to_have_url(served.origin + "/channels")
        flash = WORDS[language]["flash"].format(channel=channel, account=ACCOUNTS[channel])
        expect(page.locator("p.flash")).to_have_text(flash)
    password = app_password()
    add_account(
        served.sandbox.state,
        BLUESKY_HANDLE,
        password=secrets.token_urlsafe(16),
        app_passwords=(password,),
    )
    for channel, secret in [
        ("bluesky", password),
        ("telegram", f"7000000123:{secrets.token_urlsafe(26)}"),
    ]:
        page.goto(f"/channels/{channel}/connect")
        page.locator("#secret").fill(secret)
        page.locator("#connect-submit").click()
        expect(page.locator(f"#connection-{channel}")).to_have_attribute("data-state", "connected")


@pytest.mark.parametrize(("language", "name"), [("en", "hana"), ("ko", "minji")])
def test_the_channels_page_with_connected_channels_fits_each_width(
    browsing: Browsing, admins: dict[str, Person], served: Served, language: str, name: str
) -> None:
    page = logged_in(browsing, admins[name])
    connect_everything(page, served, language)
    page.goto("/channels")
    for channel in [*OAUTH_CHANNELS, "bluesky", "telegram"]:
        card = page.locator(f"#connection-{channel}")
        expect(card.locator(".connection-state")).to_contain_text(WORDS[language]["connected"])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"connect-channels-{language}-{width}")
        assert wide <= width, f"the Channels page at {width} px is {wide} px wide"
