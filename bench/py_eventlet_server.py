"""The seed's world, eventlet's way: eventlet.wsgi.server on eventlet.listen, serving the
WSGI equivalent of bench/py_threading_server.py's handler (HTTP/1.1 keep-alive, the same
fixed body with its Content-Length), with the same listen backlog of 1024 and TCP_NODELAY on
the listening socket. Run by scripts/bench-python.
Usage: py_eventlet_server.py PORT"""
import socket
import sys

import eventlet
import eventlet.wsgi

BODY = b"Hello, World!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]


listener = eventlet.listen(("127.0.0.1", int(sys.argv[1])), backlog=1024)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
eventlet.wsgi.server(listener, app, log_output=False)
