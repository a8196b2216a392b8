# The OS threads of this process, for the test (REPORT_OS_THREADS=1): the lines
# "os-threads WHERE: N" and "pool-workers WHERE: M" on stderr, where M counts the shim's
# pool workers (named greenpatch-pool), which run what cannot be made cooperative
# (getaddrinfo, for one). A worker seen before it has named itself blocks every signal
# already: it is watched until it has its name or is gone, at most 2 s
# (tests/compat/compat.c counts the same way).
import os
import signal
import sys
import time

UNBLOCKABLE = (1 << (signal.SIGKILL - 1) | 1 << (signal.SIGSTOP - 1)
               | 1 << 31 | 1 << 32)   # and glibc's SIGCANCEL and SIGSETXID


def task_file(tid, name):
    try:
        with open('/proc/self/task/%s/%s' % (tid, name)) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError):
        return ''


def is_pool_worker(tid):
    if task_file(tid, 'comm') == 'greenpatch-pool\n':
        return True
    blocked = [int(line.split()[1], 16) for line in task_file(tid, 'status').splitlines()
               if line.startswith('SigBlk:')]
    if int(tid) == os.getpid() or not blocked or blocked[0] | UNBLOCKABLE != (1 << 64) - 1:
        return False
    for _ in range(2000):
        time.sleep(0.001)
        comm = task_file(tid, 'comm')
        if comm in ('greenpatch-pool\n', ''):
            return comm != ''
    return False


def report_os_threads(where):
    if os.environ.get('REPORT_OS_THREADS') != '1':
        return
    tids = os.listdir('/proc/self/task')
    pool = sum(is_pool_worker(t) for t in tids)
    print('os-threads %s: %d\npool-workers %s: %d' % (where, len(tids), where, pool),
          file=sys.stderr, flush=True)
