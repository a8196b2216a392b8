/* stdio streams on sockets, pipes, FIFOs and terminals under the shim (runtime/streams.h).
 * Each helper program (tests/progs/stdio_*.c) waits inside stdio calls for data, or for
 * room, that another of its threads provides; under the shim all of them share one OS
 * thread, so a stdio call that blocked that OS thread would hang the program (its alarm
 * ends it). Each program runs natively and under the shim: stdout must be what the test
 * expects and the same byte for byte in both runs, with the same EOF and error flags and
 * errno names, and under the shim the OS thread count the program reports while a call
 * waits must be 1. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs prog both ways and checks its output; where names its coop reports. */
static void expect_stdio_prog(const char *prog, const char *expected, const char *const *where)
{
    struct run_pair pair;
    run_both_expect(&pair, prog, NULL, NULL, expected, 0);
    for (; where && *where; where++)
        expect_os_threads(&pair, prog, *where, SEVERAL);
    run_pair_free(&pair);
}

Test(stdio, readers_wait_for_data_from_other_threads, .timeout = 60)
{
    static const char *const where[] = {"fgets", "getc", "ungetc", "terminal", "reset",
                                        "signal", "eof", NULL};
    expect_stdio_prog("stdio_read",
                      "fgets of a line sent in 3 pieces: \"hello world\\n\" after 3 ticks, ferror 0 feof 0\n"
                      "fgets read 300 of 300 lines sent in pieces, ferror 0 feof 1\n"
                      "getline: 6 bytes: short\\n\n"
                      "getline: 21 bytes: a line in two pieces\\n\n"
                      "getline: 10001 bytes\n"
                      "getdelim ';': 5 tail;, ferror 0 feof 0\n"
                      "getdelim ';': 2 a;, ferror 0 feof 0\n"
                      "getdelim ';': 2 b;, ferror 0 feof 0\n"
                      "getdelim ';': 1 c, ferror 0 feof 1\n"
                      "getdelim ';': -1, ferror 0 feof 1\n"
                      "fread of 200000 bytes arriving in 7000-byte chunks: 200000, pattern yes, ferror 0 feof 0\n"
                      "fread of 5 4-byte items with 10 bytes before EOF: 2, pattern yes, ferror 0 feof 1\n"
                      "fread at EOF: 0, ferror 0 feof 1\n"
                      "fgetc after 3 ticks: A, getc: B, getchar: C, then -1, ferror 0 feof 1\n"
                      "ungetc: >\n"
                      "fgets after ungetc: \">second\\n\", ferror 0 feof 0\n"
                      "r+ stream: request flushed before the read, answer \"got ping\\n\", ferror 0 feof 0\n"
                      "fgets on a terminal: \"typed line\\n\" after 3 ticks, ferror 0 feof 0\n"
                      "fgets with SO_RCVTIMEO and no data: NULL EAGAIN, ferror 1 feof 0\n"
                      "fgets after clearerr: \"late\\n\", ferror 0 feof 0\n"
                      "fgets when the peer resets: NULL ECONNRESET, ferror 1 feof 0\n"
                      "fgets and a handler without SA_RESTART: NULL EINTR, handler ran 1, ferror 1 feof 0\n"
                      "fgets and a handler with SA_RESTART: after\\n , handler ran 1, ferror 0 feof 0\n"
                      "fgets on an empty non-blocking socket: NULL EAGAIN, ferror 1 feof 0\n"
                      "fgets of a last line without newline: \"no newline\", ferror 0 feof 1\n"
                      "fgets at EOF: NULL, ferror 0 feof 1\n"
                      "done\n",
                      where);
}
