"""tools/npm_assets.py: what `make assets` fetches is checked as npm checks it."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tools.npm_assets import FetchError, check_integrity, extract, tarball_url


def package(files: dict[str, bytes]) -> bytes:
    """An npm tarball: every file under ``package/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_tarball_address_follows_the_registry_layout() -> None:
    assert (
        tarball_url("https://registry.npmjs.org/", "htmx.org", "4.0.1")
        == "https://registry.npmjs.org/htmx.org/-/htmx.org-4.0.1.tgz"
    )
    assert (
        tarball_url("https://mirror.example/npm", "@scope/thing", "1.2.3")
        == "https://mirror.example/npm/@scope/thing/-/thing-1.2.3.tgz"
    )


def test_a_download_that_does_not_match_the_lock_is_refused() -> None:
    data = package({"dist/htmx.min.js": b"var htmx;"})
    check_integrity(data, sri(data))
    with pytest.raises(FetchError, match="does not match"):
        check_integrity(data + b"tampered", sri(data))
    with pytest.raises(FetchError, match="unsupported algorithm"):
        check_integrity(data, "md5-" + sri(data).removeprefix("sha512-"))


def test_the_listed_files_are_copied_and_a_missing_one_is_named(tmp_path: Path) -> None:
    data = package({"dist/htmx.min.js": b"var htmx;", "LICENSE": b"0BSD"})
    extract(data, ["dist/htmx.min.js", "LICENSE"], tmp_path / "htmx.org")
    assert (tmp_path / "htmx.org" / "htmx.min.js").read_bytes() == b"var htmx;"
    assert (tmp_path / "htmx.org" / "LICENSE").read_bytes() == b"0BSD"
    with pytest.raises(FetchError, match=r"dist/htmx\.js: not in the package"):
        extract(data, ["dist/htmx.js"], tmp_path / "htmx.org")
