"""Files Tidings ships beside its code (post and page templates, the example config): found
where a wheel puts them, else where they sit in a checkout of the repository."""

from __future__ import annotations

from pathlib import Path

from drafts.errors import ConfigError


def shipped_path(package: Path, *, in_wheel: str, in_checkout: str, what: str) -> Path:
    """``package / in_wheel`` if it exists, else the checkout's ``in_checkout`` (relative to the
    repository, the folder above ``package``'s top-level package).

    The wheel is looked at first: in site-packages the folder above a package is site-packages
    itself, where a folder of the same name could belong to another distribution.
    """
    top = package
    while (top.parent / "__init__.py").exists():
        top = top.parent
    candidates = (package / in_wheel, top.parent / in_checkout)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    searched = ", ".join(str(candidate) for candidate in candidates)
    raise ConfigError(f"{what} not found in this installation (looked in {searched})")
