# libgreenpatch build. `make` builds build/libgreenpatch.so; `make test` installs what is
# missing, builds and runs every test; `make asan` does the same under ASan + UBSan;
# `make demo` runs the side-by-side echo server demo.

CC      ?= gcc
CXX     ?= g++
BUILD   ?= build
SAN     ?=
OPT     ?= -O2

# The release, in one place: the library, the wrapper's --version, pkg-config, the man pages.
VERSION := $(shell cat VERSION)

WARN    := -Wall -Wextra -Werror
CFLAGS_LIB := -std=gnu11 $(OPT) -g $(WARN) -fPIC -fvisibility=hidden \
              -ftls-model=initial-exec -fno-strict-aliasing -D_GNU_SOURCE -Iruntime $(SAN) \
              -DGP_VERSION='"$(VERSION)"'
# Helper programs stand for "unmodified programs": plain C (or C++), built as anyone would
# build them.
CFLAGS_PROG := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread
CXXFLAGS_PROG := -std=c++20 -O2 -g -Wall -Wextra -Werror -pthread

BOOST_CONTEXT_A := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libboost_context.a /usr/lib/libboost_context.a))

RUNTIME_SRC := $(sort $(wildcard runtime/*.c))
SHIM_SRC    := $(sort $(wildcard shim/*.c))
RUNTIME_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(RUNTIME_SRC))
LIB_OBJ     := $(RUNTIME_OBJ) $(patsubst %.c,$(BUILD)/%.o,$(SHIM_SRC))
LIB         := $(BUILD)/libgreenpatch.so
MAP         := shim/libgreenpatch.map

PROGS_SRC    := $(sort $(wildcard tests/progs/*.c))
PROGS_CXX_SRC := $(sort $(wildcard tests/progs/*.cc))
PROGS        := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROGS_SRC)) \
                $(patsubst tests/progs/%.cc,$(BUILD)/tests/progs/%,$(PROGS_CXX_SRC))
# Shared libraries of the helper programs: tests/progs/lib/NAME.c -> libNAME.so beside them
# (the programs find them through an rpath of $ORIGIN).
PROG_LIBS_SRC := $(sort $(wildcard tests/progs/lib/*.c))
PROG_LIBS     := $(patsubst tests/progs/lib/%.c,$(BUILD)/tests/progs/lib%.so,$(PROG_LIBS_SRC))
EXAMPLES_SRC := $(sort $(wildcard examples/*.c))
EXAMPLES     := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLES_SRC))
BENCH_SRC    := $(sort $(wildcard bench/*.c))
BENCH        := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC)) \
                $(BUILD)/bench/tls_yield_1k $(BUILD)/bench/tls_yield_64k
TESTS_SRC    := $(sort $(wildcard tests/test_*.c))
TESTS        := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TESTS_SRC))
# Real programs under the shim (tests/compat/): Criterion tests and the clients they run.
COMPAT_SRC   := $(sort $(wildcard tests/compat/test_*.c))
COMPAT       := $(patsubst tests/%.c,$(BUILD)/tests/%,$(COMPAT_SRC))
COMPAT_PROGS_SRC := $(sort $(wildcard tests/compat/progs/*.c))
COMPAT_PROGS := $(patsubst tests/compat/progs/%.c,$(BUILD)/tests/compat/progs/%,$(COMPAT_PROGS_SRC))

# Extra libraries for individual helper programs: PROG_LDLIBS_<name>.
PROG_LDLIBS_libevent_user := -levent
PROG_LDLIBS_syscall_glib  := $(shell pkg-config --libs glib-2.0)
CFLAGS_syscall_glib       := $(shell pkg-config --cflags glib-2.0)
PROG_LDLIBS_api_user      := -L$(BUILD) -lgreenpatch -Wl,-rpath,$(abspath $(BUILD)) $(SAN)
CFLAGS_api_user           := -Iruntime
PROG_LDLIBS_api_offload   := $(PROG_LDLIBS_api_user)
CFLAGS_api_offload        := -Iruntime
PROG_LDLIBS_api_objects   := $(PROG_LDLIBS_api_user)
CFLAGS_api_objects        := -Iruntime
PROG_LDLIBS_api_timeout   := $(PROG_LDLIBS_api_user)
CFLAGS_api_timeout        := -Iruntime
PROG_LDLIBS_api_threads   := $(PROG_LDLIBS_api_user)
CFLAGS_api_threads        := -Iruntime
PROG_LDLIBS_tls_libs      := -L$(BUILD)/tests/progs -ltls_counters -Wl,-rpath,'$$ORIGIN'
# The library tls_libs loads with dlopen whose variables use the initial-exec model.
CFLAGS_tls_loaded_ie      := -ftls-model=initial-exec -DTLS_LIB_BLOCK=64
# Preloaded in sanitized runs (scripts/run-tests): its constructor runs before all others.
CFLAGS_asan_init_first    := -Wl,-z,initfirst
# A strict ISO C program: glibc's headers send its signal() to __sysv_signal.
CFLAGS_strict_signal      := -std=c11 -U_GNU_SOURCE -D_POSIX_C_SOURCE=200809L
# A fortified program: its poll, ppoll and open calls go to the __*_chk and __open_2 names.
CFLAGS_poll_fortified     := -D_FORTIFY_SOURCE=2
# The unlocked stdio calls as real calls, not <bits/stdio.h>'s inlines.
CFLAGS_stdio_unlocked_calls := -O0
# The names a fortified build binds to: __printf_chk, __fgets_chk, __fread_chk, ...
CFLAGS_stdio_fortify      := -O2 -D_FORTIFY_SOURCE=2
# Cleanup handlers as cleanup attributes (pthread.h with __EXCEPTIONS).
CFLAGS_thr_cleanup_eh     := -fexceptions
# Readable backtraces: the detector's report names the functions the executable exports.
PROG_LDLIBS_detect_spin   := -rdynamic
PROG_LDLIBS_detect_block  := -rdynamic
PROG_LDLIBS_tools_states  := -rdynamic
PROG_LDLIBS_tools_stats   := -rdynamic
# Client libraries of the compat clients (tests/compat/progs/): COMPAT_LDLIBS_<name>.
COMPAT_LDLIBS_hiredis_client  := $(shell pkg-config --libs hiredis)
COMPAT_LDLIBS_postgres_client := $(shell pkg-config --libs libpq)
CFLAGS_postgres_client        := $(shell pkg-config --cflags libpq)
# Extra libraries for individual examples: EXAMPLE_LDLIBS_<name>.
EXAMPLE_LDLIBS_ws_echo_server := -lcrypto
EXAMPLE_LDLIBS_ws_echo_client := -lcrypto
# The examples of the explicit API include greenpatch.h and link with -lgreenpatch, as a
# user's program would (tests/test_examples runs them).
API_EXAMPLES := $(patsubst %,$(BUILD)/examples/%,two_sleepers crawler pipeline offload_server)
$(API_EXAMPLES): CFLAGS_PROG += -Iruntime
$(API_EXAMPLES): API_LDLIBS := $(PROG_LDLIBS_api_user)
# Extra libraries for individual benchmark programs: BENCH_LDLIBS_<name>.
BENCH_LDLIBS_tls_switch   := $(BOOST_CONTEXT_A)
BENCH_LDLIBS_green_switch := $(PROG_LDLIBS_api_user) $(BOOST_CONTEXT_A)
CFLAGS_green_switch       := -Iruntime
BENCH_LDLIBS_http_libev   := -lev

# Where `make install` puts things (DESTDIR, if set, is prepended to each: a staging root).
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# greenpatch(3) documents these; each also gets a page that points to it (man gp_spawn).
API_PAGES    := gp_detach gp_equal gp_event_create gp_event_destroy gp_event_ready \
                gp_event_reset gp_event_send gp_event_wait gp_getname gp_join gp_kill \
                gp_offload gp_pile_create gp_pile_destroy gp_pile_next gp_pile_spawn \
                gp_pool_create gp_pool_destroy gp_pool_free gp_pool_running gp_pool_spawn \
                gp_pool_waitall gp_queue_close gp_queue_create gp_queue_destroy gp_queue_get \
                gp_queue_len gp_queue_put gp_self gp_sem_acquire gp_sem_create \
                gp_sem_destroy gp_sem_release gp_sem_value gp_setname gp_sleep gp_spawn \
                gp_spawn_after gp_timeout_left gp_timeout_pop gp_timeout_push \
                gp_timeout_scope_end gp_yield
INSTALLED    := $(BINDIR)/greenpatch $(LIBDIR)/libgreenpatch.so $(INCLUDEDIR)/greenpatch.h \
                $(PKGCONFIGDIR)/greenpatch.pc $(MANDIR)/man1/greenpatch.1 \
                $(MANDIR)/man3/greenpatch.3 $(API_PAGES:%=$(MANDIR)/man3/%.3)

.PHONY: all test asan demo clean setup progs examples tests coverage bench bench-progs install uninstall
.DEFAULT_GOAL := all

all: $(LIB) progs examples

$(BUILD)/%.o: %.c $(wildcard runtime/*.h shim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@

$(BUILD)/runtime/init.o: VERSION

# boost.context is linked statically (its fcontext objects are position-independent
# assembly, no libstdc++); libev is loaded privately at run time (see runtime/hub.c).
# The library's own calls into libc are bound lazily (no -z now), as the real-function
# table is (runtime/real.c): binding all ~150 of them at load was a fifth of what a program
# that never makes a thread paid for the shim at exec.
$(LIB): $(LIB_OBJ) $(MAP)
	@test -n "$(BOOST_CONTEXT_A)" || { echo "libboost_context.a not found: run scripts/setup" >&2; exit 1; }
	$(CC) -shared -o $@ $(LIB_OBJ) $(SAN) -Wl,--version-script=$(MAP) \
	      -Wl,--exclude-libs,ALL $(BOOST_CONTEXT_A) -ldl

progs: $(PROGS) $(PROG_LIBS)
examples: $(EXAMPLES)
tests: $(TESTS) $(COMPAT) $(COMPAT_PROGS)
# Benchmark programs, run by their scripts (scripts/bench-*), never by `make test`.
bench-progs: $(BENCH)
# The benchmark suite: installs its tools, runs every benchmark, writes docs/benchmarks.md.
bench:
	scripts/bench

$(BUILD)/tests/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h) | $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) $(CFLAGS_$*) $< -o $@ $(PROG_LDLIBS_$*)

$(BUILD)/tests/progs/%: tests/progs/%.cc | $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_PROG) $< -o $@ $(PROG_LDLIBS_$*)

# The libraries' sources may include each other (one library built several ways).
$(BUILD)/tests/progs/lib%.so: tests/progs/lib/%.c $(PROG_LIBS_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) $(CFLAGS_$*) -fPIC -shared $< -o $@

$(BUILD)/tests/progs/tls_libs: $(BUILD)/tests/progs/libtls_counters.so

# thr_cleanup_eh.c is thr_cleanup.c built another way.
$(BUILD)/tests/progs/thr_cleanup_eh: tests/progs/thr_cleanup.c

$(BUILD)/examples/%: examples/%.c $(wildcard examples/*.h) | $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) $(CFLAGS_$*) $< -o $@ $(EXAMPLE_LDLIBS_$*) $(API_LDLIBS)

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h) | $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) $(CFLAGS_$*) $< -o $@ $(BENCH_LDLIBS_$*)

# tls_yield.c with 1 KiB and 64 KiB of thread-local storage (scripts/bench-tls).
$(BUILD)/bench/tls_yield_%: bench/tls_yield.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) -DTLS_BYTES=$(subst k,*1024,$*) $< -o $@

# Runtime unit tests link the runtime objects directly (never the shim: the Criterion runner
# must not be interposed); shim tests only run helper programs under the preload.
$(BUILD)/tests/test_%: tests/test_%.c tests/harness.c tests/harness.h $(RUNTIME_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -Iruntime -Itests $(SAN) $< tests/harness.c \
	      $(RUNTIME_OBJ) $(BOOST_CONTEXT_A) -o $@ -lcriterion -ldl -pthread

# Compat tests only run programs: they link the harness, never the runtime.
$(BUILD)/tests/compat/test_%: tests/compat/test_%.c tests/compat/compat.c tests/compat/compat.h \
                              tests/harness.c tests/harness.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -Itests -Itests/compat $(SAN) $< \
	      tests/compat/compat.c tests/harness.c -o $@ -lcriterion -pthread

# The compat clients: plain programs, with COMPAT_LDLIBS_<name> for the client libraries
# (and CFLAGS_<name> for their headers).
$(BUILD)/tests/compat/progs/%: tests/compat/progs/%.c $(wildcard tests/compat/progs/*.h) $(wildcard tests/progs/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PROG) $(CFLAGS_$*) $< -o $@ $(COMPAT_LDLIBS_$*)

# The wrapper is installed with the version and the installed library's path written in;
# the pkg-config file and the pages' version are written at install time too. The paths
# are the final ones (without DESTDIR), and must be absolute: the wrapper is run from
# anywhere.
install: $(LIB)
	@case "$(LIBDIR)" in /*) ;; *) echo "make install: PREFIX/LIBDIR must be absolute: $(LIBDIR)" >&2; exit 2 ;; esac
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" \
	        "$(DESTDIR)$(PKGCONFIGDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man3"
	install -m 755 $(LIB) "$(DESTDIR)$(LIBDIR)/libgreenpatch.so"
	sed -e 's|^installed_version=$$|installed_version=$(VERSION)|' \
	    -e 's|^installed_lib=$$|installed_lib="$(LIBDIR)/libgreenpatch.so"|' \
	    scripts/greenpatch > "$(DESTDIR)$(BINDIR)/greenpatch"
	chmod 755 "$(DESTDIR)$(BINDIR)/greenpatch"
	install -m 644 runtime/greenpatch.h "$(DESTDIR)$(INCLUDEDIR)/greenpatch.h"
	printf '%s\n' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' 'Name: greenpatch' \
	    'Description: green threads for C programs, the library behind the greenpatch preload' \
	    'Version: $(VERSION)' 'Libs: -L$${libdir} -lgreenpatch' 'Cflags: -I$${includedir}' \
	    > "$(DESTDIR)$(PKGCONFIGDIR)/greenpatch.pc"
	chmod 644 "$(DESTDIR)$(PKGCONFIGDIR)/greenpatch.pc"
	for page in man/greenpatch.1 man/greenpatch.3; do \
	    sed -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBDIR@|$(LIBDIR)|' $$page > "$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/}" && \
	    chmod 644 "$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/}" || exit 1; \
	done
	for name in $(API_PAGES); do \
	    echo '.so man3/greenpatch.3' > "$(DESTDIR)$(MANDIR)/man3/$$name.3" && \
	    chmod 644 "$(DESTDIR)$(MANDIR)/man3/$$name.3" || exit 1; \
	done

# Removes exactly the files install wrote; the directories stay (they may be shared).
uninstall:
	rm -f $(foreach f,$(INSTALLED),"$(DESTDIR)$(f)")

setup:
	@scripts/setup

# The test binaries are run one after another; each is a Criterion runner that is never
# preloaded itself: it runs helper programs under the shim.
test: setup
	@$(MAKE) --no-print-directory all tests
	@scripts/run-tests $(BUILD)

asan: setup
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all tests
	@GP_SANITIZED=1 scripts/run-tests build-asan

demo: setup
	@$(MAKE) --no-print-directory all
	@scripts/demo $(BUILD)

# docs/coverage.md is generated from the code (tests/test_coverage.c checks it is current).
coverage:
	@mkdir -p docs && scripts/coverage > docs/coverage.md
	@scripts/coverage --readme > README.md.new && mv README.md.new README.md

clean:
	rm -rf build build-asan
