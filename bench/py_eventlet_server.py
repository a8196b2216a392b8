"""The seed's world, eventlet's way: eventlet.wsgi.server on eventlet.listen, serving
bench/py_wsgi_app.py, with the same listen backlog of 1024 and TCP_NODELAY on the listening
socket. Run by scripts/bench-python.
Usage: py_eventlet_server.py PORT"""
import socket
import sys

import eventlet
import eventlet.wsgi
from py_wsgi_app import app

listener = eventlet.listen(("127.0.0.1", int(sys.argv[1])), backlog=1024)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
eventlet.wsgi.server(listener, app, log_output=False)
