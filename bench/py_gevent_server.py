"""The seed's world, gevent's way: gevent.pywsgi.WSGIServer serving the WSGI equivalent of
bench/py_threading_server.py's handler (HTTP/1.1 keep-alive, the same fixed body with its
Content-Length), with the same listen backlog of 1024 and TCP_NODELAY on the listening
socket. Run by scripts/bench-python.
Usage: py_gevent_server.py PORT"""
import socket
import sys

from gevent.pywsgi import WSGIServer

BODY = b"Hello, World!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]


server = WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, backlog=1024)
server.init_socket()
server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
server.serve_forever()
