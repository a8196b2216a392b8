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

Test(stdio, writers_wait_for_room_made_by_other_threads, .timeout = 60)
{
    static const char *const where[] = {"slow-reader", "fflush", NULL};
    expect_stdio_prog("stdio_write",
                      "slow reader: 2000 of 2000 lines in order, 41600 of 41600 bytes, failed calls 0, ferror 0, fclose 0\n"
                      "fflush of 200000 buffered bytes into a pipe drained later: 0 after 3 ticks, reader got 200000 bytes, pattern yes, ferror 0 feof 0\n"
                      "line-buffered, no newline yet: \"\"\n"
                      "line-buffered, after a newline: \"abcdef\\n\"\n"
                      "line-buffered, two more lines: \"ghijkl\\nmno\\n\"\n"
                      "line-buffered, putc of a newline: \"pq\\n\"\n"
                      "unbuffered, fputs: \"one\"\n"
                      "unbuffered, fprintf: \"2-two\"\n"
                      "unbuffered, putc: \"3\"\n"
                      "dprintf of 100000 bytes to a slow reader: 100000, then fclose with output pending: 0, reader got 100017 bytes, pattern yes, tail \"pending at fclose\"\n"
                      "EPIPE: fputs 1, fflush -1 EPIPE, SIGPIPE handled 1, ferror 1 feof 0\n"
                      "after clearerr, fflush again: 0 (the buffer was dropped), ferror 0 feof 0\n"
                      "fprintf 5, fflush -1 EPIPE, SIGPIPE handled 2\n"
                      "fwrite of 1 MiB with SO_SNDTIMEO and nobody reading: short yes, EAGAIN, ferror 1 feof 0\n"
                      "putw/getw on a pipe: 0, 0x12345678 -2 -1, ferror 0 feof 1\n"
                      "regular file w+: ftell 36000, read back \"record 0100\\n\", ftell after overwrite 1224, 3000 lines, 1 overwritten, ferror 0 feof 1\n"
                      "append: ftell 36009; r+: read \"record \", tail \"appended\\n\", ftell 36009, second record \"record 0002\\n\", 16 bytes read, ferror 0 feof 0\n"
                      "done\n",
                      where);
}

Test(stdio, scanf_waits_where_glibc_would_and_leaves_the_rest, .timeout = 60)
{
    static const char *const where[] = {"fscanf", "number", "mismatch", "scanf", NULL};
    expect_stdio_prog("stdio_scanf",
                      "fscanf %d %d over two lines: 2 (12, 34) after 3 ticks, then fgets \" rest\\n\", ferror 0 feof 0\n"
                      "fscanf of a number cut by a pause: 1, 1234, %n 4; at EOF: -1, ferror 0 feof 1\n"
                      "fscanf of 1000 numbers in pieces: 1000 read, sum 998500, last result -1, ferror 0 feof 1\n"
                      "fscanf %d on letters: 0, value -1, then fgets \"abc 7\\n\", ferror 0 feof 0\n"
                      "scanf %ms %d: 2 \"word\" 5; vscanf: 1 6; scanf (GNU): 2 7 \"xyz\"; fscanf (GNU): 1 8; vfscanf (GNU): 1 9; at EOF: -1, ferror 0 feof 1\n"
                      "done\n",
                      where);
}

/* The helper really binds to the names the test is about (the compiler picks them). */
static void expect_imports(const char *prog, const char *const *names)
{
    struct run_opts opts = {.mode = RUN_NATIVE, .timeout_s = 30};
    const char *args[] = {"-T", prog_path(prog), NULL};
    struct run_result r;
    run_program(&r, &opts, "/usr/bin/objdump", args);
    cr_assert_eq(r.exit_code, 0, "objdump -T %s failed: %s", prog, r.err);
    for (; *names; names++) {
        char want[128];
        snprintf(want, sizeof want, " %s\n", *names);
        cr_expect(strstr(r.out, want), "%s does not import %s", prog, *names);
    }
    run_result_free(&r);
}

static const char stdio_unlocked_out[] =
    "fgets_unlocked of a line in pieces: \"unlocked line\\n\" after 3 ticks, ferror 0 feof 0\n"
    "fgetc_unlocked after 3 ticks: x, getc_unlocked: y, getchar_unlocked: z, fread_unlocked of 8: 8 \"12345678\", then -1, ferror 0 feof 1\n"
    "fread_unlocked of 50000 bytes in chunks: 50000, pattern yes, ferror 0 feof 1\n"
    "unlocked writes to a slow reader: 3000 of 3000 records, block pattern yes, 62000 bytes, failed calls 0, fflush_unlocked 0\n"
    "putchar_unlocked to stdout\n"
    "done\n";

static void expect_unlocked_prog(const char *prog, const char *const *names)
{
    static const char *const where[] = {"fgets_unlocked", "getc_unlocked", "writes_unlocked",
                                        NULL};
    expect_imports(prog, names);
    expect_stdio_prog(prog, stdio_unlocked_out, where);
}

Test(stdio, unlocked_calls_inlined_to_uflow_and_overflow, .timeout = 60)
{
    static const char *const names[] = {"__uflow", "__overflow", "fgets_unlocked",
                                        "fread_unlocked", "fputs_unlocked", "fwrite_unlocked",
                                        "fflush_unlocked", NULL};
    expect_unlocked_prog("stdio_unlocked", names);
}

Test(stdio, unlocked_calls_as_functions, .timeout = 60)
{
    static const char *const names[] = {"fgetc_unlocked", "getc_unlocked", "getchar_unlocked",
                                        "fgets_unlocked", "fread_unlocked", "fputc_unlocked",
                                        "putc_unlocked", "putchar_unlocked", "fputs_unlocked",
                                        "fwrite_unlocked", "fflush_unlocked", NULL};
    expect_unlocked_prog("stdio_unlocked_calls", names);
}

Test(stdio, fortified_names, .timeout = 60)
{
    static const char *const names[] = {"__fgets_chk", "__fgets_unlocked_chk", "__fread_chk",
                                        "__fread_unlocked_chk", "__printf_chk", "__fprintf_chk",
                                        "__vfprintf_chk", "__vprintf_chk", "__dprintf_chk",
                                        "__vdprintf_chk", NULL};
    static const char *const where[] = {"fgets_chk", "printf_chk", NULL};
    expect_imports("stdio_fortify", names);
    expect_stdio_prog("stdio_fortify",
                      "__fgets_chk after 3 ticks: \"fortified\\n\", __fgets_unlocked_chk: \"unlocked\\n\", ferror 0 feof 0\n"
                      "__fread_chk: 40000, pattern yes; __fread_unlocked_chk: 40000, pattern yes; ferror 0 feof 0\n"
                      "__fprintf_chk and __vfprintf_chk to a slow reader: 1000 of 1000 pairs, returned 27021, tail \"dprintf 1|vdprintf 2|\"\n"
                      "__printf_chk: 42\n"
                      "__vprintf_chk: yes\n"
                      "done\n",
                      where);
}

Test(stdio, threads_sharing_a_file_take_turns, .timeout = 60)
{
    static const char *const where[] = {"fprintf", "flockfile", "ftrylockfile", NULL};
    expect_stdio_prog("stdio_locking",
                      "fprintf and fprintf from two threads: 300 and 300 of 300 records whole, 364200 bytes\n"
                      "putc_unlocked under flockfile and fprintf from two threads: 300 and 300 of 300 records whole, 364200 bytes\n"
                      "ftrylockfile while another thread waits in fwrite under flockfile: busy; after it finished: 0; reader got 300000 bytes\n"
                      "done\n",
                      where);
}

Test(stdio, stdout_pipe_read_by_the_harness, .timeout = 60)
{
    size_t cap = 80000, len = 0;
    char *expected = malloc(cap);
    cr_assert(expected);
    for (int i = 0; i < 3000; i++) {
        const char *fixed[] = {NULL, "a line from puts\n", "a line from fputs\n",
                               "a line from putchar\n", "a line from fwrite\n", NULL};
        if (fixed[i % 6])
            len += (size_t)snprintf(expected + len, cap - len, "%s", fixed[i % 6]);
        else if (i % 6 == 0)
            len += (size_t)snprintf(expected + len, cap - len,
                                    "line %04d from printf, with an argument\n", i);
        else
            len += (size_t)snprintf(expected + len, cap - len, "line %04d from fprintf\n", i);
    }
    snprintf(expected + len, cap - len, "done\n");
    static const char *const where[] = {"stdout", NULL};
    expect_stdio_prog("stdio_stdout", expected, where);
    free(expected);
}
