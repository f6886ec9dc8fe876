"""Fetch the web app's front-end packages from the npm registry, as package-lock.json pins them.

The web app serves htmx from ``/static/vendor`` (no CDN). Node.js is not needed to set up
Tidings, so this script does the part of ``npm ci`` we use: for each package named in
package.json's ``serve`` table, it downloads the version package-lock.json pins, checks the
tarball against the lock's Subresource Integrity hash (the check npm itself makes), and copies
the listed files to ``tidings/web/static/vendor/<package>/``. A file already there with the
pinned integrity is left alone, so ``make`` runs it cheaply every time.

    python tools/npm_assets.py          # fetch what is missing or stale
    NPM_CONFIG_REGISTRY=https://mirror.example/ python tools/npm_assets.py

Exit status 1 with one line on any failure (no network, a hash that does not match).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path
from urllib.error import URLError

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "tidings" / "web" / "static" / "vendor"
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
STAMP = ".integrity"


class FetchError(Exception):
    """One line saying what could not be fetched and why."""


def tarball_url(registry: str, name: str, version: str) -> str:
    """The registry's address of ``name``'s tarball (``@scope/name`` → ``@scope/name/-/name-…``)."""
    basename = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{basename}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    """Raises ``FetchError`` unless ``data`` matches the SRI string (``sha512-<base64>``)."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha256", "sha384", "sha512"}:
        raise FetchError(f"integrity: unsupported algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise FetchError(f"integrity: the download does not match {integrity[:24]}…")


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return bytes(response.read())
    except (URLError, TimeoutError, OSError) as error:
        raise FetchError(f"{url}: {getattr(error, 'reason', error)}") from None


def extract(data: bytes, members: list[str], folder: Path) -> None:
    """Copies ``members`` (paths inside the package) from the tarball into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in members:
            try:
                found = archive.extractfile(f"package/{member}")
            except KeyError:
                found = None
            if found is None:
                raise FetchError(f"{member}: not in the package")
            (folder / Path(member).name).write_bytes(found.read())


def fetch(name: str, members: list[str], lock: dict[str, dict[str, str]], registry: str) -> bool:
    """Fetches one package's files unless they are there at the pinned integrity; True if fetched."""
    pinned = lock.get(f"node_modules/{name}")
    if pinned is None:
        raise FetchError(f"{name}: not in package-lock.json (run npm install --package-lock-only)")
    folder = VENDOR / name
    stamp = folder / STAMP
    present = all((folder / Path(member).name).is_file() for member in members)
    if present and stamp.is_file() and stamp.read_text().strip() == pinned["integrity"]:
        return False
    data = download(tarball_url(registry, name, pinned["version"]))
    check_integrity(data, pinned["integrity"])
    extract(data, members, folder)
    stamp.write_text(pinned["integrity"] + "\n")
    return True


def main() -> int:
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    try:
        for name, members in manifest["serve"].items():
            if fetch(name, members, lock, registry):
                print(f"Fetched {name}@{lock[f'node_modules/{name}']['version']} from {registry}")
    except FetchError as error:
        print(f"npm assets: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
