"""The legacy-dialect answers the Python fixture servers stream (legacy-cases.json), per case.

Each case is a list of steps the app turns into bytes with its own framework's writer:
  ["frame", obj]            an unnamed event whose data is json.dumps(obj)
  ["named", name, data]     an event with an `event:` field; data is a str (sent as is) or JSON
  ["comment", text]         a comment line (keep-alive)
  ["ping"]                  a named keep-alive `event: ping` whose data is the server's clock
  ["sleep", seconds]        a pause, so keep-alives and kills land between frames
  ["hang", seconds]         stop writing and wait; the recorder kills the server meanwhile
The recorder (scripts/record-fixtures.ts) picks the case with the request body's "fixture" key.
"""

import datetime
import json
import pathlib

_DATA = json.loads((pathlib.Path(__file__).parent / "legacy-cases.json").read_text())
CASES = _DATA["cases"]
HTTP_ERROR = _DATA["httpError"]
ANSWER = CASES["legacy-answer"]


def clock() -> str:
    """The timestamp older sse-starlette put in its `event: ping` data (str of a naive UTC time)."""
    return str(datetime.datetime.utcnow())


def to_sse_text(step) -> str:
    """One step as the hand-rolled `text/event-stream` lines Flask and Starlette apps yield."""
    kind = step[0]
    if kind == "frame":
        return f"data: {json.dumps(step[1])}\n\n"
    if kind == "named":
        data = step[2] if isinstance(step[2], str) else json.dumps(step[2])
        return f"event: {step[1]}\ndata: {data}\n\n"
    if kind == "comment":
        return f": {step[1]}\n\n"
    if kind == "ping":
        return f"event: ping\ndata: {clock()}\n\n"
    raise ValueError(kind)


def announce(port: int) -> None:
    """Tells the recorder which port the server listens on (it binds port 0)."""
    print(f"LISTENING {port}", flush=True)
