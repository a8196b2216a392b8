# The OS threads of this process, for the test (REPORT_OS_THREADS=1): the lines
# "os-threads WHERE: N" and "pool-workers WHERE: M" on stderr, where M counts the shim's
# pool workers (named greenpatch-pool), which run what cannot be made cooperative
# (getaddrinfo, for one); tests/compat/compat.c counts the same way.
import os
import sys


def is_pool_worker(tid):
    try:
        with open('/proc/self/task/%s/comm' % tid) as f:
            return f.read() == 'greenpatch-pool\n'
    except FileNotFoundError:
        return False


def report_os_threads(where):
    if os.environ.get('REPORT_OS_THREADS') != '1':
        return
    tids = os.listdir('/proc/self/task')
    pool = sum(is_pool_worker(t) for t in tids)
    print('os-threads %s: %d\npool-workers %s: %d' % (where, len(tids), where, pool),
          file=sys.stderr, flush=True)
