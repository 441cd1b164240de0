"""A3: the Flask-SocketIO rewrite a team would otherwise write: Flask-SocketIO on eventlet, the
upstream read with requests, SSE lines parsed by hand. Run with Debian's python3 (apt packages
python3-flask-socketio, python3-eventlet, python3-requests); bench/run.ts starts it with the port
and upstream URL in BENCH_PORT and BENCH_UPSTREAM_URL and prints "ready" handling to stdout."""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402

import requests  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit  # noqa: E402

UPSTREAM = os.environ["BENCH_UPSTREAM_URL"]
app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", cors_allowed_origins="*", logger=False,
                    engineio_logger=False)
session = requests.Session()


@socketio.on("chat_message")
def chat_message(message):
    sid = request.sid
    request_id = message["request_id"]

    def relay():
        seq = 0
        with session.post(UPSTREAM, data=json.dumps(message), stream=True) as res:
            for line in res.iter_lines(chunk_size=None, decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                frame = json.loads(line[5:])
                data = {"type": frame["type"], "content": frame.get("content", {}),
                        "request_id": request_id, "seq": seq}
                seq += 1
                socketio.emit("chat_response", data, to=sid)

    socketio.start_background_task(relay)


if __name__ == "__main__":
    print("ready", flush=True)
    socketio.run(app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), log_output=False)
