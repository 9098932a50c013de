from __future__ import annotations

from qbwc_server.qbxml import Record, Request, Result, build_message, parse_response
from qbwc_server.simulator import QuickBooksCompany


def run(company: QuickBooksCompany, *requests: Request, on_error: str = "stopOnError") -> dict[str, Result]:
    return parse_response(company.process(build_message(list(requests), on_error=on_error)))  # type: ignore[arg-type]


def one(company: QuickBooksCompany, request: Request) -> Result:
    (result,) = run(company, request).values()
    return result


def record(company: QuickBooksCompany, request: Request) -> Record:
    result = one(company, request)
    assert result.status.status_code == 0, result.status
    assert result.record is not None
    return result.record
