"""The ``ccengine`` command: run the engine, render Asterisk config, check config, print
credentials, set a user's password."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from ccengine.config import ConfigError, EngineConfig, load_config

if TYPE_CHECKING:
    from ccengine.engine import Engine


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccengine", description=__doc__)
    p.add_argument("--config", "-c", help="engine config file (YAML); default: embedded")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set api.port=9000 (repeatable)")
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the engine (and its private Asterisk, started or "
                              "adopted with its calls)")
    sub.add_parser("stop", help="stop the engine of this runtime directory and its "
                               "Asterisk (every call ends)")
    sub.add_parser("reload", help="apply the config, IVR flows and templates to the running "
                                 "engine without dropping a call")
    sub.add_parser("render", help="render Asterisk config into the runtime directory")
    sub.add_parser("check", help="validate the config and IVR flows, then exit")
    sub.add_parser("credentials", help="print agents' SIP passwords and API tokens")
    passwd = sub.add_parser("passwd", help="set a user's password for signing in to the web "
                                           "pages (ends that user's sessions)")
    passwd.add_argument("user", help="a user the config knows: an agent, a supervisor, admin")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from one line of standard input instead of "
                             "asking twice on the terminal")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # alembic's plugins announce themselves on import: not news to anyone running us
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        config = load_config(args.config, overrides=args.set)
        if args.command == "render":
            from ccengine.telephony.asterisk.render import render
            rendered = render(config)
            print(f"Asterisk config written to {rendered.etc_dir}")
            return 0
        if args.command == "check":
            from ccengine.engine import Engine
            Engine(config)
            loop_factory(config)  # the loop `run` would take is there
            print(f"config OK: {config.source}; IVR flows in {config.ivr_dir}")
            return 0
        if args.command == "credentials":
            return _credentials(config)
        if args.command == "stop":
            return asyncio.run(_stop(config))
        if args.command == "reload":
            return asyncio.run(_reload(config))
        if args.command == "passwd":
            # alembic's plugins (on import) and a new store's migrations are not news here
            logging.getLogger("alembic").setLevel(logging.WARNING)
            from ccengine.passwd import passwd
            return passwd(config, args.user, from_stdin=args.password_stdin)
        with asyncio.Runner(loop_factory=loop_factory(config)) as runner:
            return runner.run(_run(config, lambda: load_config(args.config,
                                                                overrides=args.set)))
    except ConfigError as e:
        print(f"ccengine: configuration error: {e}", file=sys.stderr)
        return 2


def loop_factory(config: EngineConfig) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop the config's ``event_loop`` names: uvloop's, or None for the stdlib's."""
    if config.event_loop == "asyncio":
        return None
    try:
        import uvloop
    except ImportError as e:
        raise ConfigError(config.source, "event_loop",
                          f"uvloop is not installed ({e}); install it or set asyncio") from e
    return uvloop.new_event_loop


def _credentials(config: EngineConfig) -> int:
    from ccengine.telephony.asterisk.render import load_secrets
    s = load_secrets(config)
    print(f"{'user':12} {'SIP password':34} API token")
    for uid, token in sorted(s.api_tokens.items()):
        print(f"{uid:12} {s.sip_passwords.get(uid, '-'):34} {token}")
    return 0


async def _run(config: EngineConfig, again: Callable[[], EngineConfig]) -> int:
    """Run until SIGINT/SIGTERM; then stop the engine alone: Asterisk and its calls go on,
    and the next ``ccengine run`` adopts them (``ccengine stop`` stops both)."""
    from ccengine.engine import Engine
    from ccengine.lifecycle import EnginePidFile
    pidfile = EnginePidFile(config.runtime_dir)
    other = pidfile.running()
    if other is not None:
        print(f"ccengine: an engine already runs on {config.runtime_dir} (pid {other})",
              file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = Engine(config, load_config=again)
    await engine.start()
    loop.add_signal_handler(signal.SIGHUP, lambda: engine_task(_reload_on_signal(engine)))
    pidfile.write()
    try:
        where = engine.listening
        if where is None:
            raise RuntimeError("engine started without listening addresses")
        print(f"ccengine running ({config.source})\n"
              f"  API:        {where.api}   (bearer tokens: ccengine credentials)\n"
              f"  agent desk: {where.api.removesuffix('/api')}/desk/   (passwords: "
              f"ccengine passwd USER)\n"
              f"  agent feed: {where.agent_feed}?token=...\n"
              f"  SIP:        {where.sip}   service numbers: "
              f"{', '.join(config.service_numbers)}\n"
              f"  SIP phones: {where.phones}   (passwords: ccengine credentials)\n"
              f"  ARI:        {where.ari}\n"
              f"  runtime:    {config.runtime_dir}", flush=True)
        # What starting made (modules, config, the ORM's metadata...) lives as long as the
        # process: out of the garbage collector's sight, a full collection no longer walks
        # it (under the voice load such collections stalled the loop up to ~200 ms, with
        # the freeze up to ~120 ms)
        gc.collect()
        gc.freeze()
        await stop.wait()
    finally:
        await engine.stop(keep_asterisk=True)
        pidfile.remove()
    return 0


_TASKS: set[asyncio.Task[None]] = set()


def engine_task(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` as a task kept until it ends (its errors logged, never lost)."""
    task = asyncio.ensure_future(work)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _reload_on_signal(engine: Engine) -> None:
    """SIGHUP: reload; the outcome is in the log (``ccengine reload`` prints it too)."""
    try:
        await engine.reload()
    except ConfigError as e:
        logging.getLogger("ccengine").error("reload refused, nothing changed: %s", e)
    except Exception:
        logging.getLogger("ccengine").exception("reload failed")


async def _reload(config: EngineConfig) -> int:
    """``ccengine reload``: ask the running engine (its API, as admin) to reload."""
    import aiohttp

    from ccengine.telephony.asterisk.render import load_secrets
    token = load_secrets(config).api_tokens["admin"]
    url = f"http://{config.api.host}:{config.api.port}/api/admin/reload"
    try:
        async with aiohttp.ClientSession() as http, http.post(
                url, headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.json()
    except aiohttp.ClientError as e:
        print(f"ccengine: no engine answers at {url}: {e}", file=sys.stderr)
        return 1
    if r.status != 200:
        print(f"ccengine: reload refused, nothing changed: {body.get('message')}",
              file=sys.stderr)
        return 2
    print("reloaded: " + ", ".join(f"{k}: {v}" for k, v in body.items()
                                    if k != "reloaded" and v))
    return 0


async def _stop(config: EngineConfig) -> int:
    """``ccengine stop``: the engine of this runtime directory, then its Asterisk (every
    call on it ends)."""
    from ccengine.lifecycle import EnginePidFile
    from ccengine.telephony.asterisk.process import stop_running
    engine_pid = await EnginePidFile(config.runtime_dir).stop()
    asterisk_pid = await stop_running(config)
    def said(pid: int | None) -> str:
        return f"stopped (pid {pid})" if pid else "not running"
    print(f"engine: {said(engine_pid)}; Asterisk: {said(asterisk_pid)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
