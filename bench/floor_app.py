"""The floor of this stack: a bare Starlette endpoint answering a fixed body, served as jmapd is.

    python bench/floor_app.py PORT BODY_FILE
"""

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

PORT, BODY = int(sys.argv[1]), open(sys.argv[2], "rb").read()


async def endpoint(request):
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", endpoint, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=PORT, loop="uvloop", http="httptools", access_log=False,
            log_level="warning", server_header=False)
