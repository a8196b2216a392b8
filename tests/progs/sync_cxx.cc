// A C++20 program on the standard library's threads, which libstdc++ builds on the pthread
// functions (pthread_create, pthread_mutex_*, pthread_cond_* and pthread_cond_clockwait,
// pthread_rwlock_* and pthread_rwlock_clock*, pthread_once):
//  - std::thread, join and std::this_thread::sleep_for;
//  - std::mutex and std::condition_variable: main waits (wait, wait_for) while a ticker
//    thread ticks and then notifies; wait_for with nobody notifying times out; a queue
//    between producers and a consumer;
//  - std::shared_mutex: main waits for lock_shared while a writer holds it until the
//    ticker has ticked; three readers inside at once; writers alone;
//    std::shared_timed_mutex::try_lock_for times out while a reader holds it;
//  - std::call_once while another thread runs the function, which sleeps.
// With REPORT_OS_THREADS=1 it reports the OS thread count on stderr while main waits.
// (std::counting_semaphore, std::latch and std::atomic::wait wait with futex system calls
// of their own, not through these functions.)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <functional>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

namespace {

const char *yes_no(bool b) { return b ? "yes" : "no"; }

int os_thread_count()
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return -1;
    int count = 0;
    while (dirent *e = readdir(dir))
        if (e->d_name[0] != '.')
            count++;
    closedir(dir);
    return count;
}

// The ticker of tests/progs/coop.h: a few short sleeps, a report of the OS thread count,
// then what ends main's wait.
struct Ticker {
    static constexpr int ticks_wanted = 3;
    std::atomic<int> ticks{0};
    std::thread thread;

    Ticker(const char *where, std::function<void()> wake)
        : thread([this, where, wake] {
              for (int i = 0; i < ticks_wanted; i++) {
                  std::this_thread::sleep_for(2ms);
                  ticks++;
              }
              const char *wanted = std::getenv("REPORT_OS_THREADS");
              if (wanted && std::strcmp(wanted, "1") == 0)
                  std::fprintf(stderr, "os-threads %s: %d\n", where, os_thread_count());
              if (wake)
                  wake();
          })
    {
    }
    ~Ticker() { thread.join(); }
};

std::mutex m;
std::condition_variable cv;
bool flag;

void notify_flag()
{
    std::lock_guard<std::mutex> g(m);
    flag = true;
    cv.notify_one();
}

void condition_variables()
{
    int ticks;
    {
        flag = false;
        std::unique_lock<std::mutex> lk(m);
        Ticker t("condition_variable::wait", notify_flag);
        cv.wait(lk, [] { return flag; });
        ticks = t.ticks;
        lk.unlock();
    }
    std::printf("condition_variable::wait until notified: ticks meanwhile: %d\n", ticks);
    bool got;
    {
        flag = false;
        std::unique_lock<std::mutex> lk(m);
        Ticker t("condition_variable::wait_for", notify_flag);
        got = cv.wait_for(lk, 10s, [] { return flag; });
        ticks = t.ticks;
        lk.unlock();
    }
    std::unique_lock<std::mutex> lk(m);
    flag = false;
    bool timed_out = cv.wait_for(lk, 30ms) == std::cv_status::timeout;
    std::printf("condition_variable::wait_for until notified: %s, ticks meanwhile: %d; with "
                "nobody notifying: timeout: %s\n",
                yes_no(got), ticks, yes_no(timed_out));
}

void producers_and_consumer()
{
    std::queue<int> q;
    std::mutex qm;
    std::condition_variable qcv;
    constexpr int producers = 4, items = 200;
    std::vector<std::thread> ps;
    for (int p = 0; p < producers; p++)
        ps.emplace_back([&, p] {
            for (int i = 0; i < items; i++) {
                {
                    std::lock_guard<std::mutex> g(qm);
                    q.push(p * items + i);
                }
                qcv.notify_one();
                if (i % 50 == 0)
                    std::this_thread::sleep_for(1ms);
            }
        });
    long sum = 0;
    int got = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lk(qm);
        while (got < producers * items) {
            qcv.wait(lk, [&] { return !q.empty(); });
            sum += q.front();
            q.pop();
            got++;
        }
    });
    for (auto &p : ps)
        p.join();
    consumer.join();
    long n = producers * items;
    std::printf("%d producers, one consumer: items %d, sum right: %s\n", producers, got,
                yes_no(sum == n * (n - 1) / 2));
}

std::shared_mutex rw;

void shared_mutexes()
{
    // A writer holds it; main waits to read until the ticker has the writer let go.
    std::mutex gate;
    std::condition_variable gate_cv;
    bool holds = false, release = false;
    std::thread writer([&] {
        std::unique_lock<std::shared_mutex> w(rw);
        std::unique_lock<std::mutex> g(gate);
        holds = true;
        gate_cv.notify_all();
        gate_cv.wait(g, [&] { return release; });
    });
    {
        std::unique_lock<std::mutex> g(gate);
        gate_cv.wait(g, [&] { return holds; });
    }
    bool try_shared = rw.try_lock_shared();
    int ticks;
    {
        Ticker t("shared_mutex::lock_shared", [&] {
            std::lock_guard<std::mutex> g(gate);
            release = true;
            gate_cv.notify_all();
        });
        rw.lock_shared();
        ticks = t.ticks;
        rw.unlock_shared();
    }
    writer.join();
    std::printf("shared_mutex::lock_shared while a writer holds it: ticks meanwhile: %d "
                "(try_lock_shared: %s)\n",
                ticks, yes_no(try_shared));

    std::atomic<int> inside{0}, most{0}, writers_inside{0}, overlaps{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; i++)
        readers.emplace_back([&] {
            std::shared_lock<std::shared_mutex> r(rw);
            int now = ++inside;
            for (int k = 0; k < 500 && inside < 3; k++)
                std::this_thread::sleep_for(1ms);
            if (inside > now)
                now = inside;
            if (now > most)
                most = now;
            inside--;
        });
    for (auto &r : readers)
        r.join();
    int counter = 0;
    std::vector<std::thread> writers;
    for (int i = 0; i < 3; i++)
        writers.emplace_back([&] {
            for (int k = 0; k < 10; k++) {
                std::unique_lock<std::shared_mutex> w(rw);
                if (++writers_inside > 1)
                    overlaps++;
                int before = counter;
                std::this_thread::sleep_for(200us);
                counter = before + 1;
                writers_inside--;
            }
        });
    for (auto &w : writers)
        w.join();
    std::printf("shared_mutex: 3 readers inside at once: %s, writers' count: %d of 30, "
                "overlaps: %d\n",
                yes_no(most == 3), counter, overlaps.load());

    std::shared_timed_mutex stm;
    stm.lock_shared();
    bool got_it = true;
    std::thread t([&] { got_it = stm.try_lock_for(30ms); });
    t.join();
    stm.unlock_shared();
    std::printf("shared_timed_mutex::try_lock_for while a reader holds it: %s\n",
                got_it ? "locked" : "timed out");
}

void once()
{
    std::once_flag of;
    std::atomic<int> runs{0};
    std::atomic<bool> finished{false};
    auto routine = [&] {
        runs++;
        std::this_thread::sleep_for(40ms);
        finished = true;
    };
    std::thread first([&] { std::call_once(of, routine); });
    while (runs == 0)
        std::this_thread::sleep_for(1ms);
    bool after;
    int ticks;
    {
        Ticker t("call_once", nullptr);
        std::call_once(of, routine);
        after = finished;
        ticks = t.ticks;
    }
    first.join();
    std::printf("std::call_once while another thread runs the function: returned after it "
                "finished: %s, runs: %d, ticker ran meanwhile: %s\n",
                yes_no(after), runs.load(), yes_no(ticks > 0));
}

} // namespace

int main()
{
    alarm(30);
    std::printf("sync_cxx start\n");
    int result = 0;
    std::thread t([&] {
        std::this_thread::sleep_for(10ms);
        result = 7;
    });
    t.join();
    std::printf("std::thread ran and joined: %d\n", result);
    condition_variables();
    producers_and_consumer();
    shared_mutexes();
    once();
    std::printf("sync_cxx done\n");
    return 0;
}
