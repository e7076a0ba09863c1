"""A wasi:http/proxy handler for `wobs serve` tests and bench/serve-load.sh (built by
bench/fetch-components.sh python-http): `/trap` raises (the component traps: a 500), `/spin`
never returns (for `--request-timeout`), anything else answers `hello from python N` after a fixed
amount of work."""

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)


def render(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        path = request.path_with_query() or "/"
        if path.startswith("/trap"):
            raise RuntimeError("asked to fail")
        while path.startswith("/spin"):
            render(1000)
        print("handling", path)
        response = OutgoingResponse(Fields.from_list([("content-type", b"text/plain")]))
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        stream = body.write()
        stream.blocking_write_and_flush(f"hello from python {render(1000)}\n".encode())
        stream.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
