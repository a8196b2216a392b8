/* Thread-local storage per green thread.
 *
 * Green threads share one OS thread, so by themselves they would share its thread-local
 * storage: every __thread, _Thread_local and thread_local variable of the program and of
 * its libraries. Each green thread gets its own values by copying (docs/tls-spike.md has
 * the measurements behind the choice):
 *
 *  - Which bytes: each module's TLS block in the scheduler's OS thread, from
 *    dl_iterate_phdr (its PT_TLS header: size, initialisation image) and the block's
 *    address there (dlpi_tls_data, or __tls_get_addr for a dlopen'd module whose block
 *    that thread has not touched yet). Static blocks (the executable, the libraries loaded
 *    at start) and dynamic ones (dlopen'd general-dynamic libraries) alike: the addresses
 *    never change, so pointers that code took to its thread variables stay valid.
 *  - When: lazily. The live blocks belong to one green thread, the owner; resuming the
 *    owner (after a trip to the hub, the common case around a wait) copies nothing.
 *    Resuming another thread saves the owner's values to its save area and loads the
 *    resumed thread's, or the modules' images for a thread that has not run yet, as glibc
 *    initialises a new thread's blocks. A program whose only TLS is libc's pays nothing.
 *  - Not copied: libgreenpatch's own block (the runtime's state of the OS thread),
 *    sanitizer runtimes' blocks (their state of the OS thread), and libc's, whose items are
 *    decided one by one:
 *      errno           per green thread: saved by value at each switch (scheduler.c);
 *      h_errno         per green thread: saved by value at each switch (here);
 *      uselocale       per green thread: the shim records each thread's locale and
 *                      installs it when the thread is resumed (here);
 *      _res            per green thread: resolver.c;
 *      thread_local destructors (glibc's list behind __cxa_thread_atexit_impl): per green
 *                      thread, run at its exit (here);
 *      malloc's tcache and arena: shared, as by every user of one OS thread: malloc never
 *                      switches, and any thread may free any block;
 *      stdio's lock owner: shared; the shim's green FILE locks order green threads;
 *      dlerror's message, strerror's and strsignal's buffers for unknown numbers: shared
 *                      (a switch between the call and the read of its result is needed
 *                      to see another thread's).
 *
 * GREENPATCH_TLS=shared turns the copying off (every green thread sees the OS thread's
 * thread variables, the fastest switch) and leaves thread_local destructors to glibc;
 * libc's items above stay per green thread in both modes.
 *
 * Everything here runs on the scheduler's OS thread. */
#ifndef GP_TLS_H
#define GP_TLS_H

#include "scheduler.h"

#include <locale.h>

/* The scheduler adopts the OS thread: main owns the live blocks. */
void gp__tls_adopt_main(struct gp_thread *main);
/* A new green thread: its save area, so that running out of memory fails pthread_create
 * with EAGAIN as natively rather than a later switch. Returns 0 or -ENOMEM. */
int gp__tls_spawned(struct gp_thread *t);
/* The green thread whose per-thread state of libc and of the program is live in the OS
 * thread: its thread-local blocks (when copying), h_errno, locale and resolver state. The
 * hub touches none of them, so a wait (a thread to the hub and back) leaves them in place;
 * NULL after the owner's exit. */
extern struct gp_thread *gp__tls_owner;
/* Bumped by any OS thread that loads or unloads a module; the value last looked at. */
extern unsigned gp__tls_modules_generation, gp__tls_modules_seen;
/* Makes t the owner (saving the old owner's state), after bringing the module list up to
 * date. */
void gp__tls_install(struct gp_thread *t);

/* t (a green thread, not the hub) is about to continue: its values become the live ones.
 * Inline: the scheduler calls it on every switch, and most of them need nothing. */
static inline void gp__tls_switch_in(struct gp_thread *t)
{
    if (t != gp__tls_owner ||
        __atomic_load_n(&gp__tls_modules_generation, __ATOMIC_ACQUIRE) != gp__tls_modules_seen)
        gp__tls_install(t);
}
/* t is exiting: runs its thread_local destructors (before its thread-specific data
 * destructors, in glibc's order), except main's, as glibc. */
void gp__tls_exit(struct gp_thread *t);
/* t is gone: frees what it kept. */
void gp__tls_forget_thread(struct gp_thread *t);

/* Modules may come (dlopen: any OS thread may call): the set of blocks is looked at again
 * before the next green thread is resumed. */
void gp__tls_modules_changed(void);
/* Modules may have gone (dlclose): on the scheduler's thread the set is looked at at once;
 * from another OS thread, as gp__tls_modules_changed (a module unloaded there and loaded
 * again before the scheduler's next switch is taken for the old one). */
void gp__tls_modules_unloaded(void);

/* uselocale for a green thread: sets and records its locale. */
locale_t gp__tls_uselocale(struct gp_thread *t, locale_t locale);
/* __cxa_thread_atexit_impl: registers a thread_local object's destructor for the calling
 * green thread, or before any green thread exists, for main. Returns 0, or -1 when it is
 * glibc's to do (GREENPATCH_TLS=shared, an OS thread that is no green thread). */
int gp__tls_thread_atexit(void (*fn)(void *), void *obj, void *dso_symbol);

#endif
