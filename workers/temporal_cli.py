"""Finding (or building) the Temporal CLI that runs the embedded dev server.

Order, as DESIGN.md sets it: an explicit path, then ``temporal`` on PATH, then a cached build, then
``go install`` of v1.5.1 where Go is present (the newest tag whose go.mod has no ``replace``
directive, so ``go install`` works), then the Temporal SDK's own download on machines with internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CLI_VERSION = "v1.5.1"
CLI_MODULE = "github.com/temporalio/cli/cmd/temporal"


class TemporalCliNotFoundError(RuntimeError):
    """No Temporal CLI could be found, built or downloaded."""


def cache_dir() -> Path:
    """Where built or downloaded CLIs are kept, outside any repository."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pathways" / "temporal" / CLI_VERSION


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _go_install(target: Path, progress: Callable[[str], None]) -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    target.mkdir(parents=True, exist_ok=True)
    progress(
        f"building the Temporal CLI {CLI_VERSION} with go install "
        f"(once; takes a few minutes on two cores; cached in {target})"
    )
    env = {**os.environ, "GOBIN": str(target), "CGO_ENABLED": os.environ.get("CGO_ENABLED", "0")}
    result = subprocess.run(  # noqa: S603 - fixed argument list, go resolved from PATH on purpose
        [go, "install", f"{CLI_MODULE}@{CLI_VERSION}"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    built = target / "temporal"
    if result.returncode != 0 or not _executable(built):
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        progress("go install of the Temporal CLI failed: " + " | ".join(tail))
        return None
    progress(f"built {built}")
    return built


def _sdk_download(target: Path, progress: Callable[[str], None]) -> Path | None:
    """Let the SDK download its dev server once, then keep the binary it left in ``target``."""
    import asyncio

    from temporalio.testing import WorkflowEnvironment

    progress("downloading the Temporal dev server through the Temporal SDK")

    async def fetch() -> None:
        env = await WorkflowEnvironment.start_local(download_dest_dir=str(target))
        await env.shutdown()

    target.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(fetch())
    except Exception as exc:
        progress(f"SDK download failed: {exc}")
        return None
    candidates = sorted(p for p in target.iterdir() if _executable(p) and p.name != "temporal")
    return candidates[-1] if candidates else None


def resolve_temporal_cli(
    explicit: Path | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    allow_build: bool = True,
) -> Path:
    """Return a runnable Temporal CLI, building or downloading it if needed.

    Args:
        explicit: ``PATHWAYS_TEMPORAL_CLI``; when set it must exist, nothing else is tried.
        progress: receives one-line progress messages (building takes minutes).
        allow_build: try ``go install`` and the SDK download when nothing is found.

    Raises:
        TemporalCliNotFoundError: with one message naming every option.
    """
    say = progress or (lambda line: print(line, file=sys.stderr))
    if explicit is not None:
        if _executable(explicit):
            return explicit
        msg = f"PATHWAYS_TEMPORAL_CLI={explicit} is not an executable file"
        raise TemporalCliNotFoundError(msg)
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    cached = cache_dir() / "temporal"
    if _executable(cached):
        return cached
    if allow_build:
        built = _go_install(cache_dir(), say) or _sdk_download(cache_dir(), say)
        if built is not None:
            return built
    msg = (
        "no Temporal CLI found: set PATHWAYS_TEMPORAL_CLI to a temporal binary, put `temporal` on "
        f"PATH, install Go so pathways can build {CLI_MODULE}@{CLI_VERSION} into {cache_dir()}, "
        "or set PATHWAYS_TEMPORAL_ADDRESS to an existing Temporal server"
    )
    raise TemporalCliNotFoundError(msg)
