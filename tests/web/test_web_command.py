"""``tidings web``: serves the app with uvicorn, or refuses to start with one clear line; believes
forwarded client addresses only from the proxies the configuration trusts."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import uvicorn
from starlette.applications import Starlette
from typer.testing import CliRunner

from drafts.errors import ConfigError
from tests.conftest import TEST_CONFIG
from tests.web.conftest import FAST_HASHER, TOKEN
from tidings.cli.app import root
from tidings.cli.web_commands import web
from tidings.web import auth
from tidings.web.in_thread import serving
from tidings.web.login_throttle import ADDRESS_LIMIT
from tidings.web.session_key import VAULT_SECRET_VARIABLE, WEB_SECRET_VARIABLE


@pytest.fixture
def config_file(tmp_path: Path, sqlite_template: Path) -> Path:
    shutil.copyfile(sqlite_template, tmp_path / "tidings.db")
    path = tmp_path / "config.toml"
    path.write_text(TEST_CONFIG.replace("unused.db", "tidings.db"), encoding="utf-8")
    return path


def command_line() -> typer.Typer:
    cli = typer.Typer()
    cli.callback()(root)
    cli.command("web")(web)
    return cli


def test_web_serves_the_app_with_uvicorn(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
    result = CliRunner().invoke(
        command_line(), ["--config", str(config_file), "web", "--port", "8123"]
    )
    assert result.exit_code == 0, result.output
    assert isinstance(served["app"], Starlette)
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/" in result.output
    for env in served["app"].state.pages.environments.values():  # compiled before serving
        assert {name for _loader, name in env.cache} >= set(env.list_templates(["html"]))


def test_web_refuses_to_start_without_a_signing_key(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: pytest.fail("started without a key"))
    monkeypatch.delenv(WEB_SECRET_VARIABLE, raising=False)
    monkeypatch.delenv(VAULT_SECRET_VARIABLE, raising=False)
    result = CliRunner().invoke(command_line(), ["--config", str(config_file), "web"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"{WEB_SECRET_VARIABLE} is not set")


@contextmanager
def served(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """A client of the app ``tidings web`` serves, run by uvicorn with the options the command
    gives it, on a loopback port: forwarded headers pass through uvicorn as in production."""
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    monkeypatch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
    decoy = FAST_HASHER.hash(secrets.token_urlsafe(18))  # unknown names: a cheap decoy to check
    monkeypatch.setattr(auth, "_decoy_hash", lambda: decoy)
    result = CliRunner().invoke(command_line(), ["--config", str(config_file), "web"])
    assert result.exit_code == 0, result.output
    app = started.pop("app")
    with serving(app, **started) as origin, httpx.Client(base_url=origin) as browser:
        yield browser


def failed_login(browser: httpx.Client, name: str, forwarded_for: str) -> int:
    """The status of a login with a wrong password, claiming to come from ``forwarded_for``."""
    token = TOKEN.search(browser.get("/login").text)
    assert token is not None
    form = {"name": name, "password": "not-a-password", "csrf_token": token[1]}
    headers = {"X-Forwarded-For": forwarded_for}
    return browser.post("/login", data=form, headers=headers).status_code


def test_a_forged_forwarded_address_does_not_escape_the_login_throttle(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served(config_file, monkeypatch) as browser:
        statuses = [
            failed_login(browser, f"guess{n}", f"203.0.113.{n}") for n in range(ADDRESS_LIMIT + 5)
        ]
    assert statuses == [400] * ADDRESS_LIMIT + [429] * 5


def test_a_trusted_proxys_forwarded_address_is_the_one_counted(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_file.read_text(encoding="utf-8")
    config_file.write_text(config + '\n[web]\ntrusted_proxies = ["127.0.0.1"]\n', encoding="utf-8")
    with served(config_file, monkeypatch) as browser:
        for n in range(ADDRESS_LIMIT):
            assert failed_login(browser, f"guess{n}", "203.0.113.7") == 400
        assert failed_login(browser, "guess", "203.0.113.7") == 429
        assert failed_login(browser, "guess", "203.0.113.8") == 400  # another client, its own count
        forged_first = "198.51.100.1, 203.0.113.7"  # the proxy appends the address it saw
        assert failed_login(browser, "guess", forged_first) == 429


def test_a_trusted_proxy_that_is_not_an_address_is_a_config_error(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: pytest.fail("started with a bad config"))
    monkeypatch.setenv(WEB_SECRET_VARIABLE, secrets.token_urlsafe(32))
    config = config_file.read_text(encoding="utf-8")
    config_file.write_text(config + '\n[web]\ntrusted_proxies = ["10.0.0.1/8"]\n', encoding="utf-8")
    result = CliRunner().invoke(command_line(), ["--config", str(config_file), "web"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (
        f"{config_file}: web.trusted_proxies: '10.0.0.1/8' is not an IP address or network "
        "(e.g. 127.0.0.1 or 10.0.0.0/8)"
    )
