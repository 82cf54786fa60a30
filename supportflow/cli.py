"""The `supportflow` command: `serve` runs the server; more subcommands join it here."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from supportflow import __version__
from supportflow.errors import ConfigurationError
from supportflow.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except ConfigurationError as error:
        print(f"supportflow: configuration error: {error}", file=sys.stderr)
        return 2
    return code


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportflow", description=__doc__)
    parser.add_argument("--version", action="version", version=f"supportflow {__version__}")
    subparsers = parser.add_subparsers(title="commands")
    serve = subparsers.add_parser("serve", help="run the server (Hypercorn)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default $PORT or 5000)")
    serve.add_argument(
        "--config",
        type=Path,
        default=Path("hypercorn.toml"),
        help="Hypercorn TOML settings (default ./hypercorn.toml when present)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="node processes on ports port..port+N-1 (N>1 needs SUPPORTFLOW_REDIS_URL and"
        " SUPPORTFLOW_CHROMA_URL; docs/scaling.md)",
    )
    serve.set_defaults(func=_serve)
    _add_optional_commands(subparsers)
    return parser


def _add_optional_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    try:
        from supportflow.knowledge.cli import add_ingest_command
    except ImportError:  # the knowledge CLI is optional until it lands
        return
    add_ingest_command(subparsers)


def _serve(args: argparse.Namespace) -> int:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from supportflow.app import create_app
    from supportflow.logs import configure_logging

    settings = Settings.from_env()
    if args.host:
        settings = settings.with_overrides(host=args.host)
    if args.port is not None:
        settings = settings.with_overrides(port=args.port)
    if args.workers != 1:
        from supportflow.workers import run_workers

        return run_workers(settings, args.workers, args.config)
    configure_logging(settings.log_level, settings.data_dir / "logs")
    config = Config.from_toml(args.config) if args.config.is_file() else Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    app = create_app(settings)
    _print_banner(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    _run_on_configured_loop(config.worker_class, run())
    return 0


def _run_on_configured_loop(worker_class: str, main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on the event loop Hypercorn's `worker_class` names: asyncio or uvloop.

    `serve` drives Hypercorn's asyncio server itself (for its shutdown trigger), so the
    loop is chosen here, the way Hypercorn's own runner would for that setting.
    """
    if worker_class == "uvloop":
        try:
            import uvloop
        except ImportError:
            main.close()
            raise ConfigurationError("worker_class = 'uvloop' needs the uvloop package") from None
        uvloop.run(main)
    elif worker_class == "asyncio":
        asyncio.run(main)
    else:
        main.close()
        raise ConfigurationError(
            f"worker_class must be 'asyncio' or 'uvloop', not {worker_class!r}"
        )


def _print_banner(settings: Settings) -> None:
    url = f"http://{settings.host}:{settings.port}"
    token_hint = (
        "from SUPPORTFLOW_ADMIN_TOKEN"
        if settings.admin_token
        else f"in {settings.admin_token_file.resolve()}"
    )
    print(f"supportflow {__version__} serving on {url}", flush=True)
    print(f"  API docs: {url}/docs   health: {url}/api/health", flush=True)
    print(f"  admin token: {token_hint}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
