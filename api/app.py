"""The HTTP API's composition root: ``create_app`` and the process's ``serve``.

The lifespan opens the asyncpg pool and the Temporal client (unless a test hands in a ready
``ApiRuntime``), applies the migrations, and runs the projections subscription in the same
process: the projections serve the API's lists, so they live and are observed where they are read,
and workers stay pure Temporal task processors. Several API replicas may run it at once: the
projections runner checkpoints per subscription, so replicas take turns rather than double-apply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from api.access_log.attempts import AccessAttempts
from api.body_limit import DEFAULT_MAX_BODY_BYTES, BodyLimit
from api.errors import install_error_handlers
from api.routes import agencies, auditors, caseworkers, health
from api.runtime import ApiRuntime
from workers.settings import Settings

log = structlog.get_logger()

API_VERSION = "1"


def create_app(
    settings: Settings | None = None,
    *,
    runtime: ApiRuntime | None = None,
    run_projections: bool = True,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """Build the app.

    Args:
        settings: used to open PostgreSQL and Temporal when no ``runtime`` is given.
        runtime: ready collaborators (tests); the caller owns and closes them.
        run_projections: keep the projections up to date in the background.
        max_body_bytes: the request-size limit; default ``settings.api_max_body_bytes``, or
            64 KiB without settings.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            active = runtime
            if active is None:
                assert settings is not None, "create_app needs settings or a runtime"
                active = await stack.enter_async_context(_open_runtime(settings))
            app.state.runtime = active
            if run_projections:
                await stack.enter_async_context(_projections(active))
            log.info("api_started")
            yield
            app.state.runtime = None
        log.info("api_stopped")

    app = FastAPI(
        title="pathways",
        version=API_VERSION,
        summary="Handovers between agencies, case workers' caseloads and auditors' replays.",
        lifespan=lifespan,
    )
    # A runtime handed in is usable at once, also by transports that skip the lifespan.
    app.state.runtime = runtime
    install_error_handlers(app)
    if max_body_bytes is None:
        max_body_bytes = settings.api_max_body_bytes if settings else DEFAULT_MAX_BODY_BYTES
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    # Added last, so outermost of the two: a body refused for its size is an attempt too.
    # Inside the error handlers' outer layer: it sees every answer the routes and handlers give.
    app.add_middleware(AccessAttempts)
    app.include_router(health.router)
    app.include_router(agencies.router)
    app.include_router(caseworkers.router)
    app.include_router(auditors.router)
    return app


@contextlib.asynccontextmanager
async def _open_runtime(settings: Settings) -> AsyncIterator[ApiRuntime]:
    from workers.database import connect_database
    from workers.services import open_services
    from workers.temporal_client import connect_temporal

    async with open_services(
        settings, progress=lambda line: log.info("progress", detail=line)
    ) as services:
        database = await connect_database(settings, services.database_url)
        try:
            client = await connect_temporal(settings, services.temporal_address)
            yield ApiRuntime(
                pool=database.pool,
                client=client,
                task_queue=settings.task_queue,
                store=database.event_store(),
            )
        finally:
            await database.close()


@contextlib.asynccontextmanager
async def _projections(runtime: ApiRuntime) -> AsyncIterator[None]:
    try:
        from api.projections.runner import run_projections
    except ImportError:
        log.warning("projections_unavailable")
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_projections(runtime.pool, stop))
    try:
        yield
    finally:
        stop.set()
        try:
            async with asyncio.timeout(10):
                await task
        except TimeoutError:
            task.cancel()
        except Exception as exc:  # the runner's failure is logged, not raised at shutdown
            log.error("projections_failed", error=type(exc).__name__)


def serve(settings: Settings) -> None:
    """Run the API with uvicorn until SIGINT/SIGTERM (``pathways api``)."""
    import uvicorn

    asyncio.run(_refuse_without_keys(settings))
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,  # request lines would carry pathway ids; the access log records reads
    )


async def _refuse_without_keys(settings: Settings) -> None:
    """Check the database and the key-encryption key before uvicorn starts.

    Why before: a refusal inside uvicorn's lifespan is printed as a traceback; here it is the one
    line ``pathways`` prints for every refusal at start (no key-encryption key, a bad key file).
    """
    from workers.database import connect_database
    from workers.services import check_postgres, ensure_postgres

    dsn, _ = ensure_postgres(settings)
    await check_postgres(dsn, settings.connect_timeout_seconds)
    database = await connect_database(settings, dsn)
    await database.close()
