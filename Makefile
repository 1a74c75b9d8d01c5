# routerd: one plain Makefile, pkg-config for the Debian libraries.
#
#   make            build build/routerd and build/routerctl
#   make run        install packages, build, serve conf/routerd.yaml in the foreground
#   make test       install packages, build, run every test (unit, sanitizers, fuzz, integration)
#   make bench      compare routerd with NSD, Knot and gdnsd (see BENCHMARKS.md)

CC      ?= cc
PKGS    := ldns libuv yaml-0.1 jansson libcrypto libsystemd
CFLAGS  ?= -O2 -g
# llhttp is built from the sources Debian's node-llhttp package ships.
LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -pthread -D_GNU_SOURCE -Irouterd -I$(LLHTTP_INC) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm

B       := build
SRCS    := $(wildcard routerd/*.c)
LIBSRCS := $(filter-out routerd/main.c,$(SRCS))
LLHTTP  := $(B)/llhttp/api.o $(B)/llhttp/http.o $(B)/llhttp/llhttp.o
OBJS    := $(LIBSRCS:routerd/%.c=$(B)/obj/%.o) $(LLHTTP)
UNITS   := $(wildcard test/unit/test_*.c)

# Sanitizer build: same sources, separate objects, used by unit and integration tests.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_OBJS  := $(LIBSRCS:routerd/%.c=$(B)/san/%.o) $(LLHTTP)

.PHONY: all deps run test unit unit-san integration fuzz bench clean format

all: $(B)/routerd $(B)/routerctl

$(B)/obj/%.o: routerd/%.c $(wildcard routerd/*.h) | $(B)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/san/%.o: routerd/%.c $(wildcard routerd/*.h) | $(B)/san
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(B)/obj $(B)/san $(B)/unit $(B)/unit-san $(B)/llhttp:
	mkdir -p $@

# Third-party code: built with its own warnings, not ours.
$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c | $(B)/llhttp
	$(CC) -O2 -g -I$(LLHTTP_INC) -c -o $@ $<

$(B)/routerd: $(B)/obj/main.o $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/routerd-san: routerd/main.c $(SAN_OBJS)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

# routerctl draws the propagation picture (--svg) with the daemon's svg.o.
$(B)/routerctl: tools/routerctl.c $(B)/obj/svg.o | $(B)/obj
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The propagation simulator, linked with the daemon's modules like the unit tests.
.PHONY: propsim propsim-check
propsim: $(B)/propsim

$(B)/propsim: tools/propsim.c tools/propsim_pop.c tools/propsim.h $(OBJS)
	$(CC) $(CFLAGS) -Itools -o $@ $(filter-out %.h,$^) $(LDLIBS) -lm

# The estimator against a simulated population of 20,000 resolvers (a
# second): fails when its expected share misses the truth by over 6 points.
# Serve-stale caches whose copy expired before the flip cannot be seen and
# are about 5 points at the flip in the default mix (BENCHMARKS.md).
propsim-check: $(B)/propsim
	$(B)/propsim -n 20000 --seed 1 --max-error-pp 6

# Unit tests: one cmocka binary per test/unit/test_<module>.c, linked with every module.
$(B)/unit/%: test/unit/%.c $(OBJS) | $(B)/unit
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/unit-san/%: test/unit/%.c $(SAN_OBJS) | $(B)/unit-san
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

deps:
	tools/install-deps.sh

run: deps all
	$(B)/routerd -c conf/routerd.yaml

unit: $(UNITS:test/unit/%.c=$(B)/unit/%)
	@set -e; for t in $^; do echo "== $$t"; (cd test/unit && ../../$$t); done

unit-san: $(UNITS:test/unit/%.c=$(B)/unit-san/%)
	@set -e; for t in $^; do echo "== $$t (asan+ubsan)"; (cd test/unit && ../../$$t); done

integration: all $(B)/routerd-san
	test/integration/run-all.sh

fuzz:
	test/fuzz/run.sh

# Integration last: its closing "N passed, N failed" line ends the output.
test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) fuzz
	$(MAKE) propsim-check
	$(MAKE) integration

bench: deps all
	test/bench/run.sh

format:
	clang-format -i routerd/*.c routerd/*.h tools/*.c test/unit/*.c test/fuzz/*.c

clean:
	rm -rf $(B)
