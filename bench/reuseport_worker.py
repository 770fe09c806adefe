"""One web-app worker process on a port that other workers share, each with its own socket.

``python -m bench.reuseport_worker HOST PORT MODULE:FACTORY``: binds its own listening
socket with ``SO_REUSEPORT``, so the kernel spreads new connections over the workers' sockets.
``uvicorn --workers N`` instead shares one socket, and with a few keep-alive connections the
first worker to wake takes them all (``bench/token_endpoint.py`` measured 16 of 16 in four
runs out of five), which measures one worker.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main(host: str, port: int, factory: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections the kernel routes here wait until uvicorn serves them
    config = uvicorn.Config(factory, factory=True, access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
