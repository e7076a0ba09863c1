"""A wasi:http/proxy handler for `wobs serve` tests and bench/serve-load.sh (built by
bench/fetch-components.sh python-http): `/trap` raises (the component traps: a 500), `/spin`
never returns (for `--request-timeout`), `/fetch?port=P` makes an outgoing `GET
http://127.0.0.1:P/downstream` and answers with its status, anything else answers `hello from
python N` after a fixed amount of work."""

import asyncio

import poll_loop

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    OutgoingBody,
    OutgoingRequest,
    OutgoingResponse,
    ResponseOutparam,
    Scheme_Http,
)


def render(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


async def fetch(port):
    request = OutgoingRequest(Fields.from_list([]))
    request.set_scheme(Scheme_Http())
    request.set_authority(f"127.0.0.1:{port}")
    request.set_path_with_query("/downstream")
    response = await poll_loop.send(request)
    return response.status()


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        path = request.path_with_query() or "/"
        if path.startswith("/trap"):
            raise RuntimeError("asked to fail")
        while path.startswith("/spin"):
            render(1000)
        print("handling", path)
        text = f"hello from python {render(1000)}\n"
        if path.startswith("/fetch?port="):
            port = path.split("=", 1)[1]
            loop = poll_loop.PollLoop()
            asyncio.set_event_loop(loop)
            text = f"downstream said {loop.run_until_complete(fetch(port))}\n"
        response = OutgoingResponse(Fields.from_list([("content-type", b"text/plain")]))
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        stream = body.write()
        stream.blocking_write_and_flush(text.encode())
        stream.__exit__(None, None, None)
        OutgoingBody.finish(body, None)
