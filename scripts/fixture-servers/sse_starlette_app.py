"""sse-starlette app streaming the legacy cases with EventSourceResponse, served by uvicorn.

sse-starlette is not packaged by Debian: the recorder installs it (with the Starlette and uvicorn
it needs) into a cache directory put on PYTHONPATH. Keep-alives come from EventSourceResponse's own
ping task (`ping=` seconds); the "keepalive-event-ping" case sets `ping_message_factory` to what
older releases sent by default (issue 15), `event: ping` with the server's clock as data.

Run: PYTHONPATH=<deps> /usr/bin/python3 scripts/fixture-servers/sse_starlette_app.py
"""

import asyncio
import json
import socket

import uvicorn
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from legacy_cases import ANSWER, CASES, HTTP_ERROR, announce, clock

# The ping interval is short so a recording sees keep-alives within a second.
PING_SECONDS = 0.3

SLOW_START = [["sleep", 0.7], *ANSWER]
EXTRA_CASES = {"keepalive-comment": SLOW_START, "keepalive-event-ping": SLOW_START}


def to_event(step):
    kind = step[0]
    if kind == "frame":
        return ServerSentEvent(data=json.dumps(step[1]))
    if kind == "named":
        data = step[2] if isinstance(step[2], str) else json.dumps(step[2])
        return ServerSentEvent(data=data, event=step[1])
    if kind == "comment":
        return ServerSentEvent(comment=step[1])
    if kind == "ping":
        return ServerSentEvent(data=clock(), event="ping")
    raise ValueError(kind)


async def chat(request):
    try:
        body = await request.json()
    except ValueError:
        body = {}
    case = body.get("fixture", "legacy-answer")
    if case == "http-error":
        return JSONResponse(HTTP_ERROR["body"], status_code=HTTP_ERROR["status"])
    steps = EXTRA_CASES.get(case) or CASES[case]

    async def generate():
        for step in steps:
            if step[0] in ("sleep", "hang"):
                await asyncio.sleep(step[1])
            else:
                yield to_event(step)

    if case == "keepalive-event-ping":
        return EventSourceResponse(
            generate(),
            ping=PING_SECONDS,
            ping_message_factory=lambda: ServerSentEvent(data=clock(), event="ping"),
        )
    if case == "keepalive-comment":
        return EventSourceResponse(generate(), ping=PING_SECONDS)
    return EventSourceResponse(generate())


app = Starlette(routes=[Route("/chat", chat, methods=["POST"])])

if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    announce(sock.getsockname()[1])
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
