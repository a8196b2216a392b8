// pthread_exit and cancellation in C++: glibc ends a thread by forced unwinding, so the
// destructors of the objects on its stack run, innermost first, and catch blocks see the
// unwinding (abi::__forced_unwind, catch (...)) and must rethrow it. Under the shim each
// thread's stack is a fiber with nothing below the start routine: the unwinding must stop
// there cleanly, and the thread then ends as natively.
//
//  - pthread_exit two calls deep, with objects in both frames;
//  - catch (abi::__forced_unwind &) and catch (...) that rethrow;
//  - pthread_cleanup_push in C++ (an object whose destructor runs the handler);
//  - a thread cancelled while it sleeps, with objects on its stack;
//  - an ordinary exception thrown and caught inside a thread, before it exits;
//  - a std::thread calling pthread_exit;
//  - main calling pthread_exit with an object on its stack, joined by another thread.
#include "thread_prog.h"
#include "thr_steps.h"

#include <cxxabi.h>
#include <stdexcept>
#include <stdint.h>
#include <thread>
#include <unistd.h>

namespace {

struct Noisy {
    const char *name;
    explicit Noisy(const char *n) : name(n) {}
    ~Noisy() { printf("  destructor: %s\n", name); }
};

pthread_t start(void *(*fn)(void *)) { return start_thread(nullptr, fn, nullptr); }

void *join(pthread_t t) { return join_or_die(t); }

__attribute__((noinline)) void exit_two_deep()
{
    Noisy inner("inner (the function that calls pthread_exit)");
    pthread_exit(reinterpret_cast<void *>(7));
}

void *nested(void *)
{
    Noisy outer("outer (the start routine)");
    exit_two_deep();
    return nullptr;
}

void *catches_forced_unwind(void *)
{
    Noisy outer("outside the try");
    try {
        Noisy inside("inside the try");
        pthread_exit(nullptr);
    } catch (abi::__forced_unwind &) {
        printf("  catch (abi::__forced_unwind &): rethrows\n");
        throw;
    }
    return nullptr;
}

void *catches_all(void *)
{
    try {
        Noisy inside("inside the try");
        pthread_exit(nullptr);
    } catch (...) {
        printf("  catch (...): rethrows\n");
        throw;
    }
    return nullptr;
}

void say(void *what) { printf("  cleanup handler: %s\n", static_cast<const char *>(what)); }

void *cleanup_in_cxx(void *)
{
    Noisy outer("outside the handler");
    pthread_cleanup_push(say, const_cast<char *>("pushed in C++"));
    Noisy inner("inside the handler's scope");
    pthread_exit(nullptr);
    pthread_cleanup_pop(0);
    return nullptr;
}

void *sleeps(void *)
{
    Noisy outer("of the sleeping thread");
    set_step(1);
    report_os_threads("sleeper-alive");
    sleep(10);
    printf("  sleep RETURNED\n");
    return nullptr;
}

void *throws_and_catches(void *)
{
    Noisy outer("of the thread that threw");
    try {
        Noisy inside("unwound by the exception");
        throw std::runtime_error("thrown in a thread");
    } catch (const std::exception &e) {
        printf("  caught: %s\n", e.what());
    }
    pthread_exit(reinterpret_cast<void *>(3));
}

pthread_t main_thread;

void *joins_main(void *)
{
    void *value = join(main_thread);
    printf("a thread joins main: value %d\n", static_cast<int>(reinterpret_cast<intptr_t>(value)));
    return nullptr;
}

} // namespace

int main()
{
    setvbuf(stdout, nullptr, _IOLBF, 0);
    alarm(10);
    printf("thr_cxx start\n");

    printf("pthread_exit two calls deep:\n");
    printf("  join: %d\n", static_cast<int>(reinterpret_cast<intptr_t>(join(start(nested)))));

    printf("catch (abi::__forced_unwind &):\n");
    join(start(catches_forced_unwind));
    printf("catch (...):\n");
    join(start(catches_all));
    printf("pthread_cleanup_push in C++:\n");
    join(start(cleanup_in_cxx));

    printf("cancelled while it sleeps:\n");
    pthread_t sleeper = start(sleeps);
    wait_step(1);
    usleep(20000);
    pthread_cancel(sleeper);
    printf("  join: %s\n", join(sleeper) == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "WRONG");

    printf("an exception caught in a thread, then pthread_exit:\n");
    printf("  join: %d\n", static_cast<int>(reinterpret_cast<intptr_t>(join(start(throws_and_catches)))));

    printf("a std::thread calls pthread_exit:\n");
    std::thread t([] {
        Noisy in_lambda("in the std::thread's function");
        pthread_exit(nullptr);
    });
    t.join();
    printf("  std::thread joined\n");

    printf("main calls pthread_exit:\n");
    main_thread = pthread_self();
    Noisy on_main("on main's stack");
    start(joins_main);
    pthread_exit(reinterpret_cast<void *>(9));
}
