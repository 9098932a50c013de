"""The HTTP side: a WSGI app around the SOAP service, and the server that runs it.

Routes (the Web Connector only ever POSTs to the AppURL):

* ``POST /qbwc`` — the SOAP callbacks (``soap.py``); ``GET /qbwc?wsdl`` — the WSDL;
* ``GET /qbwc`` and ``GET /support`` — a small HTML page (the Web Connector insists that
  AppSupport answers 200).

Before spyne sees a body it is checked here: larger than ``max_body_bytes`` (default 50 MB)
→ 413; any ``<!DOCTYPE``/``<!ENTITY`` or broken XML → a SOAP fault, from a parser that
resolves no entities, loads no DTD and touches no network. No traceback ever reaches the
client; it goes to the log. The envelope that check parsed answers the two callbacks of
every round trip when they are plain calls (``round_trip``); spyne answers the rest.

The server is waitress: pure Python, production-grade, and the same on Windows and Linux
with nothing to compile — so the desktop app can embed it on a background thread
(``EmbeddedServer``) and ``python -m qbwc_server serve`` runs it headless.

HTTPS. The Web Connector accepts plain HTTP only for ``localhost``; a server on another
machine needs HTTPS. waitress has no TLS, so with a certificate file JobDesk serves the same
WSGI app through cheroot's built-in SSL adapter when cheroot is installed
(``pip install cheroot``); otherwise it refuses to start and says to put the server behind
a TLS proxy (IIS, nginx, Caddy) that forwards to ``http://localhost:<port>/qbwc``.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from lxml import etree

from desktop_app.db.types import utcnow
from desktop_app.db.uow import Database
from desktop_app.errors import ValidationError
from desktop_app.version import __version__
from qbwc_server import round_trip
from qbwc_server.sessions import Engine, SessionPolicy, WebConnectorSessions

log = logging.getLogger(__name__)

SOAP_PATH = "/qbwc"
SUPPORT_PATH = "/support"
DEFAULT_PORT = 8089
DEFAULT_MAX_BODY = 50 * 1024 * 1024

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)
_SOAP_FAULT = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
    "<faultcode>soap:{code}</faultcode><faultstring>{text}</faultstring>"
    "</soap:Fault></soap:Body></soap:Envelope>"
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def soap_fault(code: str, text: str) -> bytes:
    return _SOAP_FAULT.format(code=code, text=html.escape(text, quote=False)).encode("utf-8")


def check_soap_body(body: bytes) -> str:
    """ "" when the body may go to spyne; otherwise why it is refused."""
    return read_soap_body(body)[0]


def read_soap_body(body: bytes) -> tuple[str, etree._Element | None]:
    """(why the body is refused, or ""; its envelope when it is not)."""
    if _DECLARATION.search(body):
        return "XML with a DOCTYPE or entity declarations is not accepted.", None
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError:
        return "The request is not well-formed XML.", None
    if root.tag != "{http://schemas.xmlsoap.org/soap/envelope/}Envelope":
        return "The request is not a SOAP 1.1 envelope.", None
    return "", root


def support_page(app_url: str = "") -> bytes:
    target = html.escape(app_url or SOAP_PATH)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>JobDesk QuickBooks connector</title></head>"
        "<body><h1>JobDesk QuickBooks connector</h1>"
        f"<p>This is JobDesk {html.escape(__version__)}'s QuickBooks Web Connector service "
        f"(<code>{target}</code>). It is running.</p>"
        "<p>To set it up, open JobDesk, go to Settings, QuickBooks, save the .qwc file and open it in "
        "the QuickBooks Web Connector. Problems and messages appear on JobDesk's Sync screen.</p>"
        "</body></html>"
    ).encode()


class QbwcWsgiApp:
    """Routing, the size limit and the hostile-XML wall, in front of spyne."""

    def __init__(
        self,
        soap_app: WsgiApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        sessions: WebConnectorSessions | None = None,
    ) -> None:
        self.soap_app = soap_app
        self.max_body_bytes = max_body_bytes
        self.sessions = sessions

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._route(environ, start_response)
        except Exception:
            log.exception("unexpected error serving %s", environ.get("PATH_INFO"))
            return _reply(
                start_response, "500 Internal Server Error", soap_fault("Server", "Internal error.")
            )

    def _route(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = (environ.get("PATH_INFO") or "/").rstrip("/") or "/"
        query = (environ.get("QUERY_STRING") or "").lower()
        if path not in (SOAP_PATH, SUPPORT_PATH, "/"):
            return _reply(start_response, "404 Not Found", b"Not found", "text/plain; charset=utf-8")
        if method in ("GET", "HEAD"):
            if path == SOAP_PATH and query in ("wsdl", "wsdl="):
                return self.soap_app(environ, start_response)
            body = support_page(_own_url(environ))
            return _reply(
                start_response, "200 OK", b"" if method == "HEAD" else body, "text/html; charset=utf-8"
            )
        if method != "POST" or path != SOAP_PATH:
            return _reply(
                start_response,
                "405 Method Not Allowed",
                b"Method not allowed",
                "text/plain; charset=utf-8",
                extra=[("Allow", "GET, POST")],
            )
        length_text = environ.get("CONTENT_LENGTH") or ""
        try:
            length = int(length_text) if length_text else -1
        except ValueError:
            length = -1
        if length > self.max_body_bytes:
            return self._too_large(start_response)
        stream = environ["wsgi.input"]
        body = stream.read(length) if length >= 0 else stream.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return self._too_large(start_response)
        problem, envelope = read_soap_body(body)
        if problem or envelope is None:
            log.warning("refused a SOAP request: %s", problem)
            return _reply(start_response, "500 Internal Server Error", soap_fault("Client", problem))
        # The round trip's two callbacks, when plain, without spyne (``round_trip``).
        content_type = str(environ.get("CONTENT_TYPE") or "")
        reply = None if self.sessions is None else round_trip.answer(envelope, self.sessions, content_type)
        if reply is not None:
            return _reply(start_response, reply.status, reply.body)
        del envelope  # spyne parses the body its own way: one tree at a time
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        return self.soap_app(inner, start_response)

    def _too_large(self, start_response: StartResponse) -> Iterable[bytes]:
        text = f"The request is larger than {self.max_body_bytes:,} bytes and was not read."
        return _reply(start_response, "413 Request Entity Too Large", soap_fault("Client", text))


def _own_url(environ: Environ) -> str:
    host = (
        environ.get("HTTP_HOST")
        or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '')}"
    )
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{SOAP_PATH}"


def _reply(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str = "text/xml; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]


def make_app(
    db: Database,
    engine: Engine | None = None,
    *,
    policy: SessionPolicy | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
) -> QbwcWsgiApp:
    """The whole WSGI application for one company database."""
    from qbwc_server.soap import make_wsgi_app

    if engine is None:
        from qbwc_server.sync.engine import SyncEngine

        # The server plans each next message while QuickBooks answers the last (``ahead``).
        engine = SyncEngine(db, plan_ahead=True)
    sessions = WebConnectorSessions(db, engine, policy)
    return QbwcWsgiApp(make_wsgi_app(sessions), max_body_bytes=max_body_bytes, sessions=sessions)


# -- running it ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerStatus:
    """What the GUI shows about the embedded server."""

    running: bool = False
    url: str = ""
    host: str = ""
    port: int = 0
    started_at: datetime | None = None
    error: str = ""
    tls: bool = False


class _Runner(Protocol):
    def run(self) -> None: ...
    def stop(self) -> None: ...


class _WaitressRunner:
    def __init__(self, app: WsgiApp, host: str, port: int, threads: int, max_body: int) -> None:
        from waitress.server import create_server

        # We bind the sockets ourselves: when the port is taken nothing is left half open.
        sockets = _bind(host, port)
        self.server: Any = create_server(
            app,
            sockets=sockets,
            threads=threads,
            max_request_body_size=max_body + 64 * 1024,
            ident="JobDesk",
            clear_untrusted_proxy_headers=True,
            channel_timeout=300,
        )
        self.port = int(self.server.effective_port) if hasattr(self.server, "effective_port") else port

    def run(self) -> None:
        self.server.run()

    def stop(self) -> None:
        # Close every socket (listener, open connections, the wake-up pipe) from inside
        # waitress' own loop thread, which then finds its map empty and returns.
        closed = threading.Event()

        def close_all() -> None:
            try:
                for dispatcher in list(self.server._map.values()):
                    if dispatcher is not self.server.trigger:
                        with contextlib.suppress(OSError):
                            dispatcher.close()
                with contextlib.suppress(OSError):
                    self.server.trigger.close()
            finally:
                closed.set()

        try:
            self.server.trigger.pull_trigger(close_all)
        except OSError:
            # The loop already ended and closed its wake-up pipe (EBADF): nothing can run
            # in it any more, so close what is left from here.
            close_all()
        closed.wait(5)
        self.server.task_dispatcher.shutdown(timeout=5)


def _bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` resolves to (IPv4 and IPv6 localhost)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen: set[tuple[int, Any]] = set()
    try:
        for family, kind, proto, _name, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if os.name != "nt":  # on Windows SO_REUSEADDR would let another program share the port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class _CherootTlsRunner:
    def __init__(self, app: WsgiApp, host: str, port: int, threads: int, certfile: str, keyfile: str) -> None:
        from cheroot import wsgi  # type: ignore[import-not-found, unused-ignore]
        from cheroot.ssl.builtin import BuiltinSSLAdapter  # type: ignore[import-not-found, unused-ignore]

        self.server: Any = wsgi.Server((host, port), app, numthreads=threads)
        self.server.ssl_adapter = BuiltinSSLAdapter(certfile, keyfile or certfile)
        self.server.prepare()
        self.port = int(self.server.bind_addr[1])

    def run(self) -> None:
        self.server.serve()

    def stop(self) -> None:
        self.server.stop()


class EmbeddedServer:
    """The Web Connector server on a background thread: start()/stop() with the app.

    ``port=0`` picks a free port (tests); ``status`` is safe to read from the GUI thread.
    """

    def __init__(
        self,
        db: Database,
        host: str = "localhost",
        port: int = DEFAULT_PORT,
        *,
        engine: Engine | None = None,
        policy: SessionPolicy | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        threads: int = 4,
        certfile: str = "",
        keyfile: str = "",
        app: WsgiApp | None = None,
    ) -> None:
        self.db = db
        self.host = host
        self.port = port
        self.certfile = certfile
        self.keyfile = keyfile
        self.threads = threads
        self.max_body_bytes = max_body_bytes
        self.app: WsgiApp = app or make_app(db, engine, policy=policy, max_body_bytes=max_body_bytes)
        self._runner: _Runner | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._status = ServerStatus(host=host, port=port)

    @property
    def status(self) -> ServerStatus:
        return self._status

    @property
    def url(self) -> str:
        return self._status.url

    def start(self) -> ServerStatus:
        with self._lock:
            if self._runner is not None:
                return self._status
            host = self.host
            if host == "localhost" and self.port == 0:
                host = "127.0.0.1"  # one socket: a free port is only free on one address family
            try:
                runner: _WaitressRunner | _CherootTlsRunner
                if self.certfile:
                    runner = self._tls_runner(host)
                else:
                    runner = _WaitressRunner(self.app, host, self.port, self.threads, self.max_body_bytes)
            except OSError as exc:
                self._status = replace(
                    self._status,
                    running=False,
                    error=f"The server could not listen on {host}:{self.port}: {exc}",
                )
                raise ValidationError("qbwc.port", self._status.error) from exc
            self._runner = runner
            if isinstance(self.app, QbwcWsgiApp) and self.app.sessions is not None:
                abandoned = self.app.sessions.abandon_active()
                if abandoned:
                    log.info("%d Web Connector session(s) of the previous run were closed", abandoned)
            scheme = "https" if self.certfile else "http"
            shown_host = "localhost" if host in ("127.0.0.1", "::1") else host
            self._status = ServerStatus(
                running=True,
                url=f"{scheme}://{shown_host}:{runner.port}{SOAP_PATH}",
                host=host,
                port=runner.port,
                started_at=utcnow(),
                tls=bool(self.certfile),
            )
            self._thread = threading.Thread(target=self._serve, name="qbwc-server", daemon=True)
            self._thread.start()
            log.info("Web Connector server listening on %s", self._status.url)
            return self._status

    def _tls_runner(self, host: str) -> _CherootTlsRunner:
        try:
            import cheroot  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
        except ImportError:
            raise ValidationError(
                "qbwc.certfile",
                "HTTPS needs the cheroot package (pip install cheroot), or put the server behind a TLS "
                "proxy (IIS, nginx, Caddy) that forwards to http://localhost:"
                f"{self.port}{SOAP_PATH}.",
            ) from None
        return _CherootTlsRunner(self.app, host, self.port, self.threads, self.certfile, self.keyfile)

    def _serve(self) -> None:
        runner = self._runner
        if runner is None:
            return
        try:
            runner.run()
        except Exception as exc:
            log.exception("Web Connector server stopped with an error")
            self._status = replace(self._status, running=False, error=str(exc))

    def stop(self, timeout: float = 10.0) -> ServerStatus:
        with self._lock:
            runner, thread = self._runner, self._thread
            self._runner = self._thread = None
        if runner is not None:
            runner.stop()
        if thread is not None:
            thread.join(timeout)
        if runner is not None and isinstance(self.app, QbwcWsgiApp) and self.app.sessions is not None:
            # A message planned ahead for a session that cannot go on is put back.
            self.app.sessions.close()
        self._status = replace(self._status, running=False)
        return self._status

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "SOAP_PATH",
    "SUPPORT_PATH",
    "EmbeddedServer",
    "QbwcWsgiApp",
    "ServerStatus",
    "check_soap_body",
    "make_app",
]
