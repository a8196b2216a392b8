"""The WSGI application of scripts/bench-python's eventlet and gevent servers: the
equivalent of bench/py_threading_server.py's handler (HTTP/1.1 keep-alive, the same fixed
body with its Content-Length)."""

BODY = b"Hello, World!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
