"""``tidings web``: serves the app with uvicorn, or refuses to start with one clear line."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from starlette.applications import Starlette
from typer.testing import CliRunner

from drafts.errors import ConfigError
from tests.conftest import TEST_CONFIG
from tidings.cli.app import root
from tidings.cli.web_commands import web
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
