# agentsh: this Makefile drives meson/ninja. Targets:
#   make         build build/agentsh (gcc, -Werror)
#   make check   unit tests (gcc), the same under ASan+UBSan (clang),
#                end-to-end and security tests (pytest) and a bounded fuzz run
#   make security  the bypass suite (tests/security, docs/SECURITY.md)
#   make bench   benchmarks (optimised build), ratios printed per run
#   make demo    the main job end to end on this machine
#   make deps    install the Debian packages (needs root)

MESON ?= meson
NINJA ?= ninja
PYTHON ?= /usr/bin/python3
FUZZ_SECONDS ?= 20

BUILD := build
ASAN := build-asan
REL := build-release
FUZZ := build-fuzz

.PHONY: all check unit asan e2e security fuzz bench demo deps clean format

all: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

$(BUILD)/build.ninja:
	CC=gcc $(MESON) setup $(BUILD) --buildtype=debugoptimized

$(ASAN)/build.ninja:
	CC=clang $(MESON) setup $(ASAN) --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false

$(REL)/build.ninja:
	CC=gcc $(MESON) setup $(REL) --buildtype=release -Dtests=false

$(FUZZ)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ) --buildtype=debug -Dfuzz=true \
		-Dtests=false -Db_lundef=false

unit: all
	$(MESON) test -C $(BUILD) --print-errorlogs

asan: $(ASAN)/build.ninja
	$(NINJA) -C $(ASAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		$(MESON) test -C $(ASAN) --print-errorlogs
	ASAN_OPTIONS=detect_leaks=1 AGENTSH_BUILD=$(CURDIR)/$(ASAN) \
		AGENTSH_BIN=$(CURDIR)/$(ASAN)/agentsh $(PYTHON) -m pytest -q tests/e2e
	ASAN_OPTIONS=detect_leaks=1 AGENTSH_BUILD=$(CURDIR)/$(ASAN) \
		$(PYTHON) -m pytest -q tests/security

e2e: all
	AGENTSH_BUILD=$(CURDIR)/$(BUILD) AGENTSH_BIN=$(CURDIR)/$(BUILD)/agentsh \
		$(PYTHON) -m pytest -q tests/e2e

fuzz: $(FUZZ)/build.ninja
	$(NINJA) -C $(FUZZ)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh $(FUZZ)

security: all
	AGENTSH_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) -m pytest -q tests/security

check: unit asan e2e security fuzz
	@echo "make check: all test suites passed"

bench: $(REL)/build.ninja
	$(NINJA) -C $(REL)
	sh bench/run.sh $(REL)

demo: all
	sh scripts/demo.sh $(BUILD)/agentsh

deps:
	sh scripts/install-deps.sh
	sh scripts/install-npm.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'fuzz/*.c' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN) $(REL) $(FUZZ)
