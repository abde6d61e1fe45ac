"""The agent desk's web files (``agents/desk/``), served at ``/desk/`` without a token: the
page signs in itself. Everything it loads comes from this engine (a strict Content Security
Policy says so to the browser); its browser libraries are the set-up scripts' npm install
and bundle under ``agents/desk/vendor/`` (scripts/setup-desk.sh), never a CDN."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ccengine.api.http import error, public

DESK_DIR = Path(__file__).resolve().parents[2] / "agents" / "desk"
# the page's own files only; its websockets go to this engine too ('self' covers ws: here)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob: data:; connect-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
           "Permissions-Policy": "microphone=(self), camera=(), geolocation=()"}
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
         ".svg": "image/svg+xml", ".png": "image/png", ".wav": "audio/wav",
         ".ico": "image/x-icon"}
# what the page is made of: its own modules and styles, sounds and images, and the bundled
# libraries (package.json, node_modules and the bundler's entry stay private)
SHIPPED = ("index.html", "js", "css", "media", "vendor")


def desk_file(root: Path, relative: str) -> Path:
    """The file under ``root`` a request names (``index.html`` for the folder itself);
    404 for anything outside it, hidden, of an unknown type or missing."""
    relative = relative or "index.html"
    parts = Path(relative).parts
    if any(p.startswith(".") or p == ".." for p in parts) or Path(relative).is_absolute() \
            or parts[0] not in SHIPPED:
        raise error(404, "not_found", "no such file")
    path = (root / relative).resolve()
    if root.resolve() not in path.parents or path.suffix not in TYPES or not path.is_file():
        raise error(404, "not_found", "no such file")
    return path


def add_routes(app: web.Application, root: Path = DESK_DIR, prefix: str = "/desk") -> None:
    """Serve ``root``'s shipped files under ``prefix`` (the desk; the wallboard too)."""
    @public
    async def to_desk(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{prefix}/")

    @public
    async def serve(request: web.Request) -> web.StreamResponse:
        path = desk_file(root, request.match_info["path"])
        return web.FileResponse(path, headers={**HEADERS,
                                               "Content-Type": TYPES[path.suffix]})

    app.router.add_get(prefix, to_desk)
    app.router.add_get(prefix + "/{path:.*}", serve)
