"""The seed's world, gevent's way: gevent.pywsgi.WSGIServer serving bench/py_wsgi_app.py,
with the same listen backlog of 1024 and TCP_NODELAY on the listening socket. Run by
scripts/bench-python.
Usage: py_gevent_server.py PORT"""
import socket
import sys

from gevent.pywsgi import WSGIServer
from py_wsgi_app import app

server = WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None, backlog=1024)
server.init_socket()
server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
server.serve_forever()
