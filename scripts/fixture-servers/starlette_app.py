"""Starlette app streaming the legacy cases with StreamingResponse, served by uvicorn.

Run: /usr/bin/python3 scripts/fixture-servers/starlette_app.py  -> prints "LISTENING <port>".
"""

import asyncio
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from legacy_cases import CASES, HTTP_ERROR, announce, to_sse_text


async def chat(request):
    try:
        body = await request.json()
    except ValueError:
        body = {}
    case = body.get("fixture", "legacy-answer")
    if case == "http-error":
        return JSONResponse(HTTP_ERROR["body"], status_code=HTTP_ERROR["status"])
    steps = CASES[case]

    async def generate():
        for step in steps:
            if step[0] in ("sleep", "hang"):
                await asyncio.sleep(step[1])
            else:
                yield to_sse_text(step)

    return StreamingResponse(
        generate(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


app = Starlette(routes=[Route("/chat", chat, methods=["POST"])])

if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    announce(sock.getsockname()[1])
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
