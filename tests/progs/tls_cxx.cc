// C++ thread_local objects with constructors and destructors, as natively:
//  - a function-local thread_local object is constructed once per thread, on its first use in
//    that thread (its guard is per thread too), and each thread sees its own objects across
//    every yield (tls_util.h), at the same address;
//  - at a thread's exit (its start routine returns, it calls pthread_exit, a std::thread's
//    function returns) its objects are destroyed, in that thread, in the reverse order of
//    their construction, before pthread_join (or std::thread::join) returns in the joiner;
//  - a thread that never uses them constructs and destroys nothing;
//  - a detached thread's destructors run at its exit too (the destructor posts a semaphore);
//  - main's object lives through the other threads' exits, and is destroyed by exit();
//  - with the argument "main-pthread-exit": main ends with pthread_exit while a thread it
//    started lives on, and glibc (2.36) runs no destructor of main's then (its start code
//    deallocates main's keys only); the thread joins main and says so.
// glibc runs the destructors that the compiler registered with __cxa_thread_atexit_impl.
// Main prints every thread's events after it has ended, in thread order.
#include "tls_util.h"

#include <semaphore.h>
#include <thread>

namespace {

enum { WORKERS = 10, KINDS = 5, STEPS = 60, MAIN = 0, MAIN_VALUE = 1000 };

// Numbered threads: 0 is main, 1 .. WORKERS the others. Trivially initialised thread_local
// ints need neither a guard nor a destructor.
thread_local int thread_number = -1;
thread_local int constructed_here;

// Written only by the thread of that number (its destructors run in it, natively), read by
// main once that thread has ended.
char events[WORKERS + 1][160];
int destroyed[WORKERS + 1];
sem_t detached_done;

enum Kind { FIRST_THEN_SECOND, SECOND_THEN_FIRST_PTHREAD_EXIT, NEITHER, STD_THREAD, DETACHED };

const char *const kind_names[KINDS] = {
    "first, then second", "second, then first, then pthread_exit", "uses neither",
    "std::thread, first, then second", "detached, first only"};

Kind kind_of(int number) { return static_cast<Kind>((number - 1) % KINDS); }

void note(int owner, const char *what, const char *name)
{
    char *e = events[owner];
    size_t used = strlen(e);
    snprintf(e + used, sizeof events[owner] - used, "%s%s %s", used ? ", " : "", what, name);
}

struct Tracked {
    const char *name;
    int owner;
    long value = 0;
    explicit Tracked(const char *n) : name(n), owner(thread_number)
    {
        constructed_here++;
        note(owner, "construct", name);
    }
    ~Tracked()
    {
        if (thread_number != owner)
            tls_fail("%s of thread %d destroyed in thread %d", name, owner, thread_number);
        long expected = owner == MAIN ? MAIN_VALUE : STEPS;
        if (value != expected)
            tls_fail("%s of thread %d destroyed with value %ld, not %ld", name, owner, value,
                     expected);
        note(owner, "destroy", name);
        destroyed[owner]++;
        if (owner == MAIN)
            printf("main's %s destroyed by exit(), value %ld\n", name, value);
        else if (kind_of(owner) == DETACHED)
            sem_post(&detached_done);
    }
    Tracked(const Tracked &) = delete;
    Tracked &operator=(const Tracked &) = delete;
};

Tracked &first()
{
    thread_local Tracked object("first");
    return object;
}

Tracked &second()
{
    thread_local Tracked object("second");
    return object;
}

// Uses the thread's objects in the order its kind says, then counts them up across STEPS
// yields, checking at every step that they are its own.
void work(int number)
{
    thread_number = number;
    Kind kind = kind_of(number);
    Tracked *used[2] = {nullptr, nullptr};
    int count = 0;
    if (kind == SECOND_THEN_FIRST_PTHREAD_EXIT) {
        used[count++] = &second();
        used[count++] = &first();
    } else if (kind != NEITHER) {
        used[count++] = &first();
        if (kind != DETACHED)
            used[count++] = &second();
    }
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < count; i++)
            used[i]->value++;
        tls_yield(step);
        bool same = count == 0 || (used[0] == (kind == SECOND_THEN_FIRST_PTHREAD_EXIT
                                                    ? &second() : &first()));
        for (int i = 0; i < count; i++)
            same = same && used[i]->owner == number && used[i]->value == step + 1;
        if (!same || constructed_here != count || thread_number != number) {
            tls_fail("thread %d after step %d (yield kind %d): objects its own: %s, constructed "
                     "here: %d (used %d), thread_number %d",
                     number, step, step % TLS_YIELD_KINDS, yes_no(same), constructed_here, count,
                     thread_number);
            break;
        }
    }
    // A failed run must still end with the values the destructors expect: no second report.
    for (int i = 0; i < count; i++)
        used[i]->value = STEPS;
    if (kind == SECOND_THEN_FIRST_PTHREAD_EXIT)
        pthread_exit(nullptr);
}

void *work_routine(void *arg)
{
    work(static_cast<int>(reinterpret_cast<intptr_t>(arg)));
    return nullptr;
}

int expected_destroyed(Kind kind)
{
    return kind == NEITHER ? 0 : kind == DETACHED ? 1 : 2;
}

pthread_t main_thread;

void *outlive_main(void *)
{
    thread_number = 1;
    first().value = STEPS;
    must_succeed(pthread_join(main_thread, nullptr), "pthread_join of main");
    printf("main ended with pthread_exit; its first destroyed: %s\n", yes_no(destroyed[MAIN] > 0));
    return nullptr;
}

// Main's objects outlive main when it calls pthread_exit.
void main_pthread_exit()
{
    thread_number = MAIN;
    first().value = MAIN_VALUE;
    main_thread = pthread_self();
    start_thread(nullptr, outlive_main, nullptr);
    pthread_exit(nullptr);
}

} // namespace

int main(int argc, char **argv)
{
    setvbuf(stdout, nullptr, _IOLBF, 0);
    alarm(TLS_ALARM_S);
    if (argc > 1 && strcmp(argv[1], "main-pthread-exit") == 0)
        main_pthread_exit();
    printf("tls_cxx start\n");
    thread_number = MAIN;
    Tracked *main_first = &first();
    main_first->value = MAIN_VALUE;
    must_succeed(sem_init(&detached_done, 0, 0) ? errno : 0, "sem_init");

    pthread_t feeder = tls_feeder_start(WORKERS * tls_pipe_reads(STEPS));
    pthread_t threads[WORKERS + 1];
    std::thread std_threads[WORKERS + 1];
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    for (int n = 1; n <= WORKERS; n++) {
        void *arg = reinterpret_cast<void *>(static_cast<intptr_t>(n));
        if (kind_of(n) == STD_THREAD)
            std_threads[n] = std::thread(work, n);
        else
            threads[n] = start_thread(kind_of(n) == DETACHED ? &detached : nullptr,
                                      work_routine, arg);
    }
    report_os_threads("workers-alive");

    bool before_join_returned = true;
    struct timespec detached_deadline = deadline_in(CLOCK_REALTIME, 3000);
    for (int n = 1; n <= WORKERS; n++) {
        Kind kind = kind_of(n);
        if (kind == DETACHED) {
            if (sem_timedwait(&detached_done, &detached_deadline) != 0)
                tls_fail("thread %d (detached): its destructor did not run within 3 s", n);
            continue;
        }
        if (kind == STD_THREAD)
            std_threads[n].join();
        else
            join_or_die(threads[n]);
        if (destroyed[n] != expected_destroyed(kind)) {
            before_join_returned = false;
            tls_fail("thread %d: %d of its objects destroyed when join returned, not %d", n,
                     destroyed[n], expected_destroyed(kind));
        }
    }
    join_or_die(feeder);

    printf("main: %s\n", events[MAIN]);
    for (int n = 1; n <= WORKERS; n++)
        printf("thread %d (%s): %s\n", n, kind_names[kind_of(n)],
               events[n][0] ? events[n] : "nothing");
    printf("each thread's destructors had run when its join returned: %s\n",
           yes_no(before_join_returned));
    bool main_kept = &first() == main_first && main_first->value == MAIN_VALUE &&
                     constructed_here == 1 && destroyed[MAIN] == 0;
    printf("main's first kept through %d threads' exits, constructed once, not destroyed: %s\n",
           WORKERS, yes_no(main_kept));
    if (!main_kept)
        tls_fail("main's first: value %ld, constructed here %d, destroyed %d", main_first->value,
                 constructed_here, destroyed[MAIN]);
    int status = tls_exit_status();
    printf("tls_cxx end\n");
    return status;
}
