# Threads, a queue, sleeps, a threaded TCP exchange on 127.0.0.1 and subprocesses: the
# everyday blocking calls of a Python program. Prints deterministic lines (results are
# sorted before printing) and exits 0 when every check held; the test runs it natively and
# under the shim and compares stdout and exit status byte for byte.
# With REPORT_OS_THREADS=1 it writes "os-threads peak: N" and "pool-workers peak: M" to
# stderr while all its threads are alive (os_threads.py).
import queue
import socket
import subprocess
import sys
import threading
import time

from os_threads import report_os_threads

WORKERS = 8
JOBS = 64
CLIENTS = 32
ROUNDS = 5
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


# 1. A pool of workers fed by a queue; each job sleeps a little, so that they interleave.
def queue_workers():
    jobs, results = queue.Queue(), queue.Queue()

    def worker(wid):
        while True:
            n = jobs.get()
            if n is None:
                jobs.task_done()
                return
            time.sleep(0.001 * (n % 3))
            results.put((n, n * n, wid))
            jobs.task_done()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for n in range(JOBS):
        jobs.put(n)
    for _ in threads:
        jobs.put(None)
    jobs.join()
    for t in threads:
        t.join()
    got = sorted(results.get_nowait()[:2] for _ in range(JOBS))
    check(got == [(n, n * n) for n in range(JOBS)], 'queue results')
    print('queue: %d jobs on %d workers, sum of squares %d'
          % (len(got), WORKERS, sum(sq for _, sq in got)))


# 2. A threaded TCP server (a thread per connection) and CLIENTS client threads, each
#    sending ROUNDS lines and reading each answer; a barrier holds them all connected while
#    the OS threads are counted.
def tcp_exchange():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(CLIENTS)
    port = srv.getsockname()[1]
    all_connected = threading.Barrier(CLIENTS + 1)
    answers = {}
    lock = threading.Lock()

    def serve(conn):
        with conn, conn.makefile('rwb', buffering=0) as f:
            while True:
                line = f.readline()
                if not line:
                    return
                conn.sendall(line.upper().rstrip(b'\n') + b' ' + str(len(line)).encode() + b'\n')

    def acceptor():
        handlers = []
        for _ in range(CLIENTS):
            conn, _ = srv.accept()
            t = threading.Thread(target=serve, args=(conn,))
            t.start()
            handlers.append(t)
        for t in handlers:
            t.join()

    def client(cid):
        with socket.create_connection(('127.0.0.1', port)) as s, s.makefile('rb') as f:
            all_connected.wait()
            got = []
            for r in range(ROUNDS):
                s.sendall(b'client %d round %d\n' % (cid, r))
                got.append(f.readline())
                time.sleep(0.001)
            with lock:
                answers[cid] = got

    acc = threading.Thread(target=acceptor)
    acc.start()
    clients = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in clients:
        t.start()
    all_connected.wait()
    report_os_threads('peak')
    for t in clients:
        t.join()
    acc.join()
    srv.close()
    for cid in range(CLIENTS):
        want = [b'CLIENT %d ROUND %d %d\n' % (cid, r, len(b'client %d round %d\n' % (cid, r)))
                for r in range(ROUNDS)]
        check(answers.get(cid) == want, 'answers of client %d' % cid)
    total = sum(len(a) for got in answers.values() for a in got)
    print('tcp: %d clients x %d rounds, %d answer bytes, first %r, last %r'
          % (len(answers), ROUNDS, total, answers[0][0], answers[CLIENTS - 1][-1]))


# 3. Subprocesses: from several threads at once, a child that echoes its input back
#    through pipes, and the exit status of another.
def subprocesses():
    out = {}
    lock = threading.Lock()

    def run(i):
        p = subprocess.run(['/usr/bin/tr', 'a-z', 'A-Z'], input=b'child %d says hi\n' % i,
                           stdout=subprocess.PIPE, check=True)
        q = subprocess.run(['/bin/sh', '-c', 'exit %d' % (i % 5)])
        with lock:
            out[i] = (p.stdout, q.returncode)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in sorted(out):
        check(out[i] == (b'CHILD %d SAYS HI\n' % i, i % 5), 'child %d' % i)
        print('subprocess %d: %r, exit %d' % (i, out[i][0], out[i][1]))
    p = subprocess.Popen(['/bin/cat'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    data, _ = p.communicate(b'x' * 200000, timeout=20)
    check(len(data) == 200000 and p.returncode == 0, 'communicate')
    print('communicate: %d bytes back, exit %d' % (len(data), p.returncode))


# 4. Timed waits: a condition waited for with a timeout that expires, then one that is met.
def timed_waits():
    cond = threading.Condition()
    with cond:
        t0 = time.monotonic()
        woke = cond.wait(timeout=0.05)
        slept = time.monotonic() - t0
    check(not woke and slept >= 0.045, 'condition timeout')
    ev = threading.Event()
    threading.Timer(0.02, ev.set).start()
    check(ev.wait(timeout=10), 'event set by a timer')
    print('timed waits: timeout %s, event %s' % (not woke, ev.is_set()))


queue_workers()
tcp_exchange()
subprocesses()
timed_waits()
print('failures: %d' % len(failures))
for f in failures:
    print('FAILED:', f)
sys.exit(1 if failures else 0)
