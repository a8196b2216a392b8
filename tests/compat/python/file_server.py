# The files of DIR over HTTP/1.0 on 127.0.0.1:PORT: http.server's own file handler on the
# ThreadingHTTPServer of http_server.py, whose listen backlog holds many clients connecting
# at once (`python3 -m http.server` listens with a backlog of 5: the connections beyond it
# wait for SYN retransmits, seconds). Usage: file_server.py PORT DIR. SIGTERM: status 0.
import functools
import http.server
import signal
import sys

from http_server import Server, stop

if __name__ == '__main__':
    signal.signal(signal.SIGTERM, stop)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
    handler.func.log_message = lambda self, format, *args: None
    with Server(('127.0.0.1', int(sys.argv[1])), handler) as server:
        server.serve_forever()
