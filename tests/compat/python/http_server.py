# http.server.ThreadingHTTPServer (a thread per connection) speaking HTTP/1.1 with
# keep-alive on 127.0.0.1:PORT, serving deterministic content, every response byte
# predictable (fixed Server and Date headers):
#   GET /item/K    "item K\n" and then 100 + K * 37 % 2000 letters, the J-th 'a' + (K + J) % 26
#   GET /threads   threading.active_count(): this thread, the main one and one per open
#                  connection
# Usage: http_server.py PORT. SIGTERM ends it with status 0. Clients import item_body.
import http.server
import signal
import sys
import threading


def item_body(k):
    return b'item %d\n' % k + bytes(97 + (k + j) % 26 for j in range(100 + k * 37 % 2000))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def version_string(self):
        return 'gp-compat'

    def date_time_string(self, timestamp=None):
        return 'Thu, 01 Jan 1970 00:00:00 GMT'

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path.startswith('/item/'):
            body = item_body(int(self.path[6:]))
        elif self.path == '/threads':
            body = b'%d\n' % threading.active_count()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 2048   # the listen backlog: 1,000 clients connect at once


def stop(signum, frame):
    sys.exit(0)


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, stop)
    with Server(('127.0.0.1', int(sys.argv[1])), Handler) as server:
        server.serve_forever()
