# Many threads fetching from tests/compat/python/http_server.py with urllib.request, every
# answer checked against what the server must send (item_body).
#   urllib_clients.py PORT THREADS REQUESTS
# Thread T asks for /item/(T * REQUESTS + R), R = 0 .. REQUESTS - 1; after its first answer
# it waits on a barrier for the others, so that with REPORT_OS_THREADS=1 the OS threads are
# counted while every thread exists ("os-threads peak"). Prints deterministic totals and
# exits 1 when any answer was wrong.
import sys
import threading
import urllib.request

from http_server import item_body
from os_threads import report_os_threads

port, threads, requests = (int(a) for a in sys.argv[1:4])
all_started = threading.Barrier(threads + 1)
results = {}
lock = threading.Lock()


def fetch(k):
    url = 'http://127.0.0.1:%d/item/%d' % (port, k)
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers['Server'], r.headers['Content-Type'], r.read()


def client(t):
    got = []
    for r in range(requests):
        got.append(fetch(t * requests + r))
        if r == 0:
            all_started.wait()
    with lock:
        results[t] = got


ts = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
for t in ts:
    t.start()
all_started.wait()
report_os_threads('peak')
for t in ts:
    t.join()

wrong = 0
for t in range(threads):
    for r, (status, server, ctype, body) in enumerate(results.get(t, [])):
        if (status, server, ctype, body) != (200, 'gp-compat', 'text/plain',
                                            item_body(t * requests + r)):
            wrong += 1
            print('FAILED: thread %d request %d: %r' % (t, r, (status, server, ctype, body[:40])))
answers = sum(len(v) for v in results.values())
print('%d threads x %d requests: %d answers, %d body bytes, %d wrong'
      % (threads, requests, answers, sum(len(b) for v in results.values() for *_, b in v), wrong))
sys.exit(0 if wrong == 0 and answers == threads * requests else 1)
