"""The seed's world, the thread-per-connection way: Python's http.server.ThreadingHTTPServer
with a minimal BaseHTTPRequestHandler (HTTP/1.1 keep-alive, a fixed body with its
Content-Length). Run natively and under the shim by scripts/bench-python; it is the same
program both times. Its two changes from the library's defaults are made the same way in
every server of the benchmark: a listen backlog of 1024 (request_queue_size is 5 by default,
which makes 1,000 connecting clients see refused and retried connections natively and under
the shim alike), and TCP_NODELAY on the listening socket, which the connections inherit
(the handler writes the headers and the body in two sends: with Nagle's algorithm the body
waits for the client's delayed ACK, 40 ms, and every server that writes twice serves one
response per 40 ms per connection, whatever its speed).
Usage: py_threading_server.py PORT"""
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"Hello, World!\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 1024

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
