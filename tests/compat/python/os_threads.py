# The OS threads of this process, for the test (REPORT_OS_THREADS=1): the lines
# "os-threads WHERE: N" and "pool-workers WHERE: M" on stderr, where M counts the threads
# that block every signal that can be blocked: under the shim those are its pool's workers
# (runtime/pool.c), which run what cannot be made cooperative (getaddrinfo, for one);
# Python's own threads block none (tests/compat/compat.c counts the same way).
import os
import signal
import sys

UNBLOCKABLE = (1 << (signal.SIGKILL - 1) | 1 << (signal.SIGSTOP - 1)
               | 1 << 31 | 1 << 32)   # and glibc's SIGCANCEL and SIGSETXID


def blocks_everything(tid):
    try:
        with open('/proc/self/task/%s/status' % tid) as f:
            for line in f:
                if line.startswith('SigBlk:'):
                    return int(line.split()[1], 16) | UNBLOCKABLE == (1 << 64) - 1
    except FileNotFoundError:
        pass
    return False


def report_os_threads(where):
    if os.environ.get('REPORT_OS_THREADS') != '1':
        return
    tids = os.listdir('/proc/self/task')
    pool = sum(blocks_everything(t) for t in tids)
    print('os-threads %s: %d\npool-workers %s: %d' % (where, len(tids), where, pool),
          file=sys.stderr, flush=True)
