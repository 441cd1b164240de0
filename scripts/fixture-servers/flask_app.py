"""Flask app streaming the legacy cases, served by Werkzeug's threaded server (Debian packages).

Run: /usr/bin/python3 scripts/fixture-servers/flask_app.py  -> prints "LISTENING <port>".
"""

import json
import sys
import time

from flask import Flask, Response, request
from werkzeug.serving import make_server

from legacy_cases import CASES, HTTP_ERROR, announce, to_sse_text

app = Flask(__name__)


@app.post("/chat")
def chat():
    case = (request.get_json(silent=True) or {}).get("fixture", "legacy-answer")
    if case == "http-error":
        return Response(
            json.dumps(HTTP_ERROR["body"]), status=HTTP_ERROR["status"], mimetype="application/json"
        )
    steps = CASES[case]

    def generate():
        for step in steps:
            if step[0] in ("sleep", "hang"):
                time.sleep(step[1])
            else:
                yield to_sse_text(step)

    return Response(generate(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, threaded=True)
    announce(server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
