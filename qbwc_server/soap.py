# ruff: noqa: N805  - spyne passes ``ctx`` where Python passes ``self``
"""The SOAP face of the Web Connector service: spyne, and the only module that imports it.

SOAP 1.1, document/literal wrapped, namespace ``http://developer.intuit.com/``, with the
exact operation, parameter and result names of Intuit's QBWebConnectorSvc WSDL. Each
method is one call into ``WebConnectorSessions``. Two rules the Web Connector needs:

* never return None — spyne then leaves out the ``…Result`` element and the Web
  Connector fails; every method returns a string (or an int for receiveResponseXML);
* authenticate's array keeps its empty items: ``<string></string>``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

if sys.version_info >= (3, 12):  # pragma: no cover - exercised on 3.12+ only
    # spyne 2.14 bundles an old ``six`` whose meta-path importer lacks find_spec, which
    # Python 3.12 requires; the maintained ``six`` (when installed) works in its place.
    try:
        import six as _six

        sys.modules.setdefault("spyne.util.six", _six)
        sys.modules.setdefault("spyne.util.six.moves", _six.moves)
    except ImportError:
        pass

from spyne import Application, Array, Integer32, ServiceBase, Unicode, rpc
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication
from sqlalchemy.exc import OperationalError

from desktop_app.errors import DatabaseUnavailable
from qbwc_server.round_trip import DATABASE_BUSY, UNEXPECTED
from qbwc_server.sessions import WebConnectorSessions

log = logging.getLogger(__name__)

NAMESPACE = "http://developer.intuit.com/"
SERVICE_NAME = "QBWebConnectorSvc"

# spyne's Unicode accepts None as "absent"; min_occurs=0 matches the WSDL.
String = Unicode(min_occurs=0)
# The WSDL's ArrayOfString: <string> items, nillable, and the type keeps Intuit's name.
ArrayOfString = Array(Unicode(nillable=True), type_name="ArrayOfString")


def _sessions(ctx: Any) -> WebConnectorSessions:
    sessions: WebConnectorSessions = ctx.app.config["sessions"]
    return sessions


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def _i(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class QBWebConnectorSvc(ServiceBase):  # type: ignore[misc]  # spyne has no types
    """Intuit's callbacks; argument names are the wire names, do not rename them."""

    @rpc(_returns=String)  # type: ignore[untyped-decorator]
    def serverVersion(ctx: Any) -> str:
        return _sessions(ctx).server_version()

    @rpc(String, _returns=String)  # type: ignore[untyped-decorator]
    def clientVersion(ctx: Any, strVersion: str | None) -> str:
        return _sessions(ctx).client_version(_s(strVersion))

    @rpc(String, String, _returns=ArrayOfString)  # type: ignore[untyped-decorator]
    def authenticate(ctx: Any, strUserName: str | None, strPassword: str | None) -> list[str]:
        return _sessions(ctx).authenticate(_s(strUserName), _s(strPassword))

    @rpc(String, String, String, _returns=String)  # type: ignore[untyped-decorator]
    def connectionError(ctx: Any, ticket: str | None, hresult: str | None, message: str | None) -> str:
        return _sessions(ctx).connection_error(_s(ticket), _s(hresult), _s(message))

    @rpc(String, String, String, String, Integer32, Integer32, _returns=String)  # type: ignore[untyped-decorator]
    def sendRequestXML(
        ctx: Any,
        ticket: str | None,
        strHCPResponse: str | None,
        strCompanyFileName: str | None,
        qbXMLCountry: str | None,
        qbXMLMajorVers: int | None,
        qbXMLMinorVers: int | None,
    ) -> str:
        return _sessions(ctx).send_request(
            _s(ticket),
            _s(strHCPResponse),
            _s(strCompanyFileName),
            _s(qbXMLCountry),
            _i(qbXMLMajorVers),
            _i(qbXMLMinorVers),
        )

    @rpc(String, String, String, String, _returns=Integer32)  # type: ignore[untyped-decorator]
    def receiveResponseXML(
        ctx: Any, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        return _sessions(ctx).receive_response(_s(ticket), _s(response), _s(hresult), _s(message))

    @rpc(String, _returns=String)  # type: ignore[untyped-decorator]
    def getLastError(ctx: Any, ticket: str | None) -> str:
        return _sessions(ctx).get_last_error(_s(ticket))

    @rpc(String, _returns=String)  # type: ignore[untyped-decorator]
    def closeConnection(ctx: Any, ticket: str | None) -> str:
        return _sessions(ctx).close_connection(_s(ticket))


def _on_method_exception(ctx: Any) -> None:
    """Anything unexpected becomes a plain SOAP fault saying so in words (spyne logged the
    traceback and would say "Internal Error"). The caller's own mistakes (``Client…``
    faults: an unknown method, a value that is not a number …) keep spyne's explanation."""
    error = getattr(ctx, "out_error", None)
    if error is None:
        return
    # spyne fires this inside its ``except`` block: the exception the method raised is the one
    # being handled (``out_error`` is already spyne's generic fault for it).
    raised = sys.exc_info()[1]
    if isinstance(raised, DatabaseUnavailable | OperationalError):
        # Busy or unreachable (authenticate, closeConnection …): said in words, as the
        # round trip's own calls say it; nothing is lost and the Web Connector tries again.
        log.warning("Web Connector call %s: the database is not available", getattr(ctx, "method_name", "?"))
        ctx.out_error = Fault("Server", DATABASE_BUSY)
        return
    code = str(getattr(error, "faultcode", "Server"))
    if not isinstance(error, Fault) or code == "Server" or code.startswith("Server."):
        log.error("error in Web Connector call %s", getattr(ctx, "method_name", "?"))
        ctx.out_error = Fault("Server", UNEXPECTED)


def make_wsgi_app(sessions: WebConnectorSessions) -> Any:
    """The spyne WSGI application serving the Web Connector callbacks and ``?wsdl``."""
    application = Application(
        [QBWebConnectorSvc],
        tns=NAMESPACE,
        name=SERVICE_NAME,
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
        config={"sessions": sessions},
    )
    application.event_manager.add_listener("method_exception_object", _on_method_exception)
    wsgi = WsgiApplication(application)
    wsgi.event_manager.add_listener("method_exception_object", _on_method_exception)
    return wsgi
