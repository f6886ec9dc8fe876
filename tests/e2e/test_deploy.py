"""deploy/: the container image, the compose file and the systemd units, each checked by the tool
that reads it where that tool runs here (the skip says so plainly where it does not), and each
command line they start checked against the `tidings` that will run it."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from drafts.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TIDINGS = Path(sys.executable).parent / "tidings"
INSTALLED = (
    "/opt/tidings/bin/tidings"  # where the units expect Tidings (README.md, "Run it as a service")
)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)


def accepts(args: list[str]) -> None:
    """``tidings ARGS`` is a command line this Tidings takes: its --help answers."""
    result = subprocess.run(
        [str(TIDINGS), *args, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, (args, result.stderr)


# --- systemd ------------------------------------------------------------------------------


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_there_is_a_unit_for_the_web_app_and_one_for_the_daemon() -> None:
    assert [unit.name for unit in UNITS] == ["tidings-daemon.service", "tidings-web.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_units_are_sandboxed_and_restart_on_failure(unit: Path) -> None:
    found = directives(unit)
    expected = {
        "Restart": ["on-failure"],
        "User": ["tidings"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "CapabilityBoundingSet": [""],
        "ReadWritePaths": ["/var/lib/tidings"],
        "EnvironmentFile": ["/etc/tidings/tidings.env"],
        "Environment": ["TIDINGS_CONFIG=/etc/tidings/config.toml"],
    }
    assert {key: found.get(key) for key in expected} == expected
    assert "@system-service" in found["SystemCallFilter"]
    assert found["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    command = shlex.split(found["ExecStart"][0])
    assert command[0] == INSTALLED
    accepts(command[1:])


@pytest.fixture
def installed_units(tmp_path: Path) -> list[Path]:
    """The units as installed here: their ExecStart names this virtual environment's tidings,
    so that verify checks a program that exists."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here: the systemd units are not verified")
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(TIDINGS)))
        copies.append(copy)
    return copies


def test_systemd_analyze_verify_finds_nothing(installed_units: list[Path]) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, installed_units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 even for a directive it ignores: what it says is the finding.
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_a_misspelt_directive_is_caught(installed_units: list[Path]) -> None:
    """The check above can fail: verify says what it ignores."""
    unit = installed_units[0]
    unit.write_text(unit.read_text(encoding="utf-8").replace("=strict", "=strikt"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert "strikt" in result.stderr


def test_systemd_analyze_security_rates_the_units_ok(installed_units: list[Path]) -> None:
    for unit in installed_units:
        result = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if "--offline" in result.stderr:
            pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 250)")
        level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
        assert level is not None, result.stdout + result.stderr
        assert float(level.group(1)) <= 2.0, result.stdout  # "OK" ends at 4.9; ours are ~1.3


# --- compose ------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_web_daemon_and_postgresql_with_health_checks() -> None:
    services = compose()["services"]
    assert {"web", "daemon", "postgres"} <= services.keys()
    postgres = services["postgres"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]  # a named volume: the data outlives the container
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    for name in ("web", "daemon"):
        service = services[name]
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["depends_on"]["init"] == {"condition": "service_completed_successfully"}
        assert service["healthcheck"]["test"][0] == "CMD"
        assert service["restart"] == "unless-stopped"
        accepts(service["command"])
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["init"]["command"] == ["init"]
    assert services["web"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_compose_holds_no_secret_and_reads_its_config() -> None:
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*)?\}", str(value)), (name, key)
    config = parse_config(
        (DEPLOY / "config.toml").read_text(encoding="utf-8"), DEPLOY / "config.toml"
    )
    assert config.tidings.database == "postgresql+psycopg://tidings@postgres:5432/tidings"


def test_the_environment_example_names_variables_and_holds_no_value() -> None:
    lines = (DEPLOY / "tidings.env.example").read_text(encoding="utf-8").splitlines()
    settings = [line.lstrip("# ") for line in lines if re.fullmatch(r"#? ?[A-Z_]+=.*", line)]
    assert "TIDINGS_SECRET_KEY=" in settings
    assert "PGPASSWORD=" in settings
    assert all(setting.endswith("=") for setting in settings), settings


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed here: compose.yaml is checked by its structure only")
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60)
    if plugin.returncode != 0:
        pytest.skip(
            "the docker compose plugin is missing here: compose.yaml is checked by its structure only"
        )
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    example = (deploy / "tidings.env.example").read_text(encoding="utf-8")
    (deploy / ".env").write_text(example.replace("PGPASSWORD=", "PGPASSWORD=compose-test"))
    result = subprocess.run(
        ["docker", "compose", "--file", str(deploy / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- the image ----------------------------------------------------------------------------


def stages(dockerfile: str) -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), one list per stage."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    instructions = [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    found: list[list[str]] = []
    for instruction in instructions:
        if instruction.startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_the_image_is_built_in_two_stages_and_runs_as_a_user() -> None:
    build, runtime = stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    assert any("npm_assets.py" in line for line in build)  # htmx, baked in
    assert any(line.startswith("COPY --from=build /opt/tidings") for line in runtime)
    user = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert user and user[-1] not in {"root", "0"}
    healthcheck = [line for line in runtime if line.startswith("HEALTHCHECK ")]
    assert healthcheck and "/healthz" in healthcheck[0]
    assert any(line.startswith('CMD ["web"') for line in runtime)


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` (relative to the context) out, as .dockerignore says."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        anchored = pattern.lstrip("/")
        candidates = [anchored]
        if anchored.startswith("**/"):
            candidates.append(anchored[3:])
        if any(
            fnmatch.fnmatch(prefix, candidate) for prefix in prefixes for candidate in candidates
        ):
            return True
    return False


def test_the_build_context_holds_everything_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    build, _ = stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    copied = [
        source
        for line in build
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    ]
    assert "drafts" in copied and "README.md" in copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not ignored(source, patterns), source
    assert not ignored("tidings/web/static/vendor/htmx.org/htmx.min.js", patterns)
    assert ignored(".venv/bin/python", patterns) and ignored("tidings.db", patterns)


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed here: image not built")
    if docker("info").returncode != 0:
        pytest.skip("no Docker daemon answers here (docker info failed): image not built")
    tag = f"tidings-test:{uuid.uuid4().hex[:8]}"
    built = docker(
        "build", "--file", str(DEPLOY / "Dockerfile"), "--tag", tag, str(ROOT), timeout=1800
    )
    assert built.returncode == 0, built.stderr[-4000:]
    yield tag
    docker("image", "rm", "--force", tag)


def test_the_image_serves_the_web_app_and_reports_healthy(image: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tidings]\ndatabase = "sqlite:////var/lib/tidings/tidings.db"\n')
    volume = f"tidings-test-{uuid.uuid4().hex[:8]}"
    mounts = [
        "--volume",
        f"{volume}:/var/lib/tidings",
        "--volume",
        f"{config}:/etc/tidings/config.toml:ro",
    ]
    secret = ["--env", f"TIDINGS_SECRET_KEY={uuid.uuid4().hex}{uuid.uuid4().hex}"]
    try:
        assert docker("run", "--rm", *mounts, image, "init").returncode == 0
        assert docker("run", "--rm", "--entrypoint", "id", image, "-u").stdout.strip() != "0"
        started = docker(
            "run",
            "--detach",
            "--health-interval=1s",
            "--publish",
            "127.0.0.1::8800",
            *mounts,
            *secret,
            image,
        )
        assert started.returncode == 0, started.stderr
        container = started.stdout.strip()
        try:
            deadline = time.monotonic() + 90
            status = ""
            while time.monotonic() < deadline and status != "healthy":
                status = docker(
                    "inspect", "--format", "{{.State.Health.Status}}", container
                ).stdout.strip()
                time.sleep(1)
            assert status == "healthy", docker("logs", container).stderr[-4000:]
            port = docker("port", container, "8800/tcp").stdout.split(":")[-1].strip()
            htmx = f"http://127.0.0.1:{port}/static/vendor/htmx.org/htmx.min.js"
            with urllib.request.urlopen(htmx, timeout=10) as response:
                assert response.status == 200
        finally:
            docker("rm", "--force", container)
    finally:
        docker("volume", "rm", "--force", volume)
