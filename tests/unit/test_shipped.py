"""Shipped files are found where a wheel puts them, else where a checkout has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafts.errors import ConfigError
from drafts.rendering import builtin_templates
from drafts.shipped import shipped_path
from tidings.web.pages import web_templates


def package(root: Path) -> Path:
    """``root/tidings/web``, a package inside a package, as in a checkout or site-packages."""
    inner = root / "tidings" / "web"
    inner.mkdir(parents=True)
    (root / "tidings" / "__init__.py").touch()
    (inner / "__init__.py").touch()
    return inner


def test_the_wheels_place_comes_first(tmp_path: Path) -> None:
    inner = package(tmp_path)
    (inner / "templates").mkdir()
    (tmp_path / "templates" / "web").mkdir(parents=True)  # another distribution's, in a wheel
    found = shipped_path(inner, in_wheel="templates", in_checkout="templates/web", what="pages")
    assert found == inner / "templates"


def test_a_checkout_has_them_beside_its_top_level_package(tmp_path: Path) -> None:
    inner = package(tmp_path)
    (tmp_path / "templates" / "web").mkdir(parents=True)
    found = shipped_path(inner, in_wheel="templates", in_checkout="templates/web", what="pages")
    assert found == tmp_path / "templates" / "web"


def test_missing_files_are_a_config_error_naming_them(tmp_path: Path) -> None:
    inner = package(tmp_path)
    with pytest.raises(ConfigError, match="web page templates not found in this installation"):
        shipped_path(
            inner, in_wheel="templates", in_checkout="templates/web", what="web page templates"
        )


def test_this_checkout_finds_its_own_templates() -> None:
    assert (web_templates() / "draft.html").is_file()
    assert (builtin_templates() / "hiring.en.txt.j2").is_file()
