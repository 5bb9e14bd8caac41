"""The floor of this stack: a bare Starlette endpoint answering a fixed body, served as jmapd is.

    python bench/floor_app.py PORT BODY_FILE [WORKERS]

With several workers, uvicorn imports this module in each worker process: the body's file name
travels in FLOOR_BODY.
"""

import os
import sys

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = open(os.environ["FLOOR_BODY"], "rb").read() if "FLOOR_BODY" in os.environ else b""


async def endpoint(request):
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", endpoint, methods=["POST"])])

if __name__ == "__main__":
    import uvicorn

    port, body, workers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ["FLOOR_BODY"] = body
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    uvicorn.run("floor_app:app", host="127.0.0.1", port=port, workers=workers, loop="uvloop", http="httptools",
                access_log=False, log_level="warning", server_header=False)
