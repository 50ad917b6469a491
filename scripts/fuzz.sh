#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the libFuzzer target tests/fuzz/fuzz_pipeline.c with clang (ASan +
# UBSan + libFuzzer), together with every dataplane source and instrumented
# libudp_responder.so and libkv.so, and fuzzes the receive path for SECONDS
# (default 60), seeded from tests/fuzz/seeds. With FUZZ_WORKERS=2 the engine
# has two workers: frames are steered in software, kv hands requests off
# between them, replies go back through the TX queue's owner.
#
# usage: scripts/fuzz.sh [SECONDS]     (0: no time limit, until a finding or ^C)
#
# Exit status: 0 when the run ended without a finding; non-zero on a build
# failure or a finding (crash, sanitizer report, leaked mbuf, stuck event,
# timeout). On a finding the last lines printed are "fuzz: FINDING: PATH"
# (the reproducer, kept in $FUZZ_BUILD/artifacts, or artifacts-w2 with two
# workers) and its hexdump, then the command that reproduces it:
#   FUZZ_WORKERS=N FUZZ_RESPONDER=$FUZZ_BUILD/libudp_responder.so \
#   FUZZ_KV=$FUZZ_BUILD/libkv.so $FUZZ_BUILD/fuzz_pipeline PATH
#
# Environment:
#   FUZZ_BUILD      build and artefact directory (default $BUILD/fuzz when
#                   BUILD is set, else /tmp/tern-fuzz-build)
#   FUZZ_WORKERS    1 (default) or 2 engine workers
#   FUZZ_CORPUS     writable corpus directory the fuzzer grows (default
#                   $FUZZ_BUILD/corpus, or corpus-w2 with two workers; kept
#                   between runs)
#   FUZZ_RESPONDER  a libudp_responder.so to use instead of building one
#   FUZZ_KV         a libkv.so to use instead of building one
#   FUZZ_JOBS       parallel compile jobs (default: number of CPUs)
#   CC              the compiler (default clang; must support -fsanitize=fuzzer)
# Packages: clang, libclang-rt-14-dev (libFuzzer's runtime), libdpdk-dev,
# liburcu-dev, libssl-dev. Needs root (EAL, as for the unit tests).
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SECONDS_TO_RUN=${1:-60}
if [ -n "${BUILD:-}" ]; then
	FUZZ_BUILD=${FUZZ_BUILD:-$BUILD/fuzz}
else
	FUZZ_BUILD=${FUZZ_BUILD:-/tmp/tern-fuzz-build}
fi
WORKERS=${FUZZ_WORKERS:-1}
case $WORKERS in
1) SFX= ;;
2) SFX=-w2 ;;
*) echo "fuzz: FUZZ_WORKERS must be 1 or 2, not '$WORKERS'" >&2; exit 2 ;;
esac
FUZZ_CORPUS=${FUZZ_CORPUS:-$FUZZ_BUILD/corpus$SFX}
ARTIFACTS=$FUZZ_BUILD/artifacts$SFX
CC=${CC:-clang}
JOBS=${FUZZ_JOBS:-$(nproc)}

say() { echo "fuzz: $*"; }
die() { echo "fuzz: $*" >&2; exit 2; }

case $SECONDS_TO_RUN in
'' | *[!0-9]*) die "SECONDS must be a whole number of seconds, not '$SECONDS_TO_RUN'" ;;
esac
command -v "$CC" >/dev/null || die "$CC not found: apt-get install clang libclang-rt-14-dev"
pkg-config --exists libdpdk liburcu-qsbr libcrypto ||
	die "pkg-config cannot find libdpdk, liburcu-qsbr or libcrypto: apt-get install libdpdk-dev liburcu-dev libssl-dev"

mkdir -p "$FUZZ_BUILD/obj" "$ARTIFACTS" "$FUZZ_CORPUS" || die "cannot create $FUZZ_BUILD"

# The dataplane sources, as dataplane/meson.build lists them.
mapfile -t SOURCES < <(sed -n "s/^[[:space:]]*'\([a-z_0-9/]*\.c\)',\$/\1/p" \
	"$ROOT/dataplane/meson.build")
# Its folders, each on the include path.
INCS="-I$ROOT/dataplane/include"
for d in "$ROOT"/dataplane/*/; do
	[ "$(basename "$d")" = include ] || INCS="$INCS -I${d%/}"
done
[ ${#SOURCES[@]} -gt 0 ] || die "no sources found in dataplane/meson.build"

# A generated Makefile does the incremental, parallel build (-MMD: header
# dependencies), so a second run only relinks what changed. The recipes are
# make syntax, written literally:
# shellcheck disable=SC2016
write_makefile() {
	local s o objs=()

	{
		echo "CC := $CC"
		echo "SAN := -fsanitize=address,undefined -fno-sanitize-recover=all"
		echo "CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer \$(SAN) -MMD -MP" \
			"-DALLOW_EXPERIMENTAL_API -DTERN_VERSION='\"fuzz\"'" \
			"$INCS" \
			"$(pkg-config --cflags libdpdk liburcu-qsbr libcrypto)"
		echo "LIBS := $(pkg-config --libs libdpdk liburcu-qsbr libcrypto) -lpthread -ldl -lm"
		echo "all: fuzz_pipeline libudp_responder.so libkv.so"
		for s in "${SOURCES[@]}"; do
			o=obj/$(basename "${s%.c}").o
			objs+=("$o")
			echo "$o: $ROOT/dataplane/$s"
			printf '\t$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<\n'
		done
		echo "obj/fuzz_pipeline.o: $ROOT/tests/fuzz/fuzz_pipeline.c"
		printf '\t$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<\n'
		echo "fuzz_pipeline: obj/fuzz_pipeline.o ${objs[*]}"
		printf '\t$(CC) $(SAN) -fsanitize=fuzzer -rdynamic -o $@ $^ $(LIBS)\n'
		for s in udp_responder service_time sockperf; do
			echo "obj/app_$s.o: $ROOT/apps/udp_responder/$s.c"
			printf '\t$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -fPIC -c -o $@ $<\n'
		done
		echo "libudp_responder.so: obj/app_udp_responder.o obj/app_service_time.o" \
			"obj/app_sockperf.o"
		printf '\t$(CC) $(SAN) -shared -o $@ $^ $(LIBS)\n'
		# kv, as apps/kv/meson.build puts it together.
		for s in kv kv_num kv_proto kv_store kv_text; do
			echo "obj/app_$s.o: $ROOT/apps/kv/$s.c"
			printf '\t$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -fPIC -c -o $@ $<\n'
		done
		echo "libkv.so: obj/app_kv.o obj/app_kv_num.o obj/app_kv_proto.o" \
			"obj/app_kv_store.o obj/app_kv_text.o"
		printf '\t$(CC) $(SAN) -shared -o $@ $^ $(LIBS)\n'
		echo "-include obj/*.d"
	} >"$FUZZ_BUILD/Makefile.new"
	# Keep the old Makefile (and its timestamps) when nothing changed.
	if cmp -s "$FUZZ_BUILD/Makefile.new" "$FUZZ_BUILD/Makefile"; then
		rm -f "$FUZZ_BUILD/Makefile.new"
	else
		mv "$FUZZ_BUILD/Makefile.new" "$FUZZ_BUILD/Makefile"
		rm -f "$FUZZ_BUILD"/obj/*.o
	fi
}

write_makefile
say "building in $FUZZ_BUILD"
make -s -C "$FUZZ_BUILD" -j"$JOBS" all >"$FUZZ_BUILD/build.log" 2>&1 || {
	tail -n 40 "$FUZZ_BUILD/build.log" >&2
	die "build failed (full log: $FUZZ_BUILD/build.log)"
}
RESPONDER=${FUZZ_RESPONDER:-$FUZZ_BUILD/libudp_responder.so}
[ -r "$RESPONDER" ] || die "no responder at $RESPONDER"
KV=${FUZZ_KV:-$FUZZ_BUILD/libkv.so}
[ -r "$KV" ] || die "no kv app at $KV"

PREFIX=tern-fuzz-$$
LOG=$FUZZ_BUILD/fuzz$SFX.log
cleanup() {
	rm -rf "/var/run/dpdk/$PREFIX" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$PREFIX"
}
trap cleanup EXIT

say "running ${SECONDS_TO_RUN}s with $WORKERS worker(s); corpus $FUZZ_CORPUS;" \
	"seeds tests/fuzz/seeds; log $LOG"
rm -f "$ARTIFACTS"/*
# halt_on_error: UBSan findings stop the run like ASan's; leak checking on
# (libFuzzer checks inputs that allocated more than they freed).
FUZZ_WORKERS=$WORKERS FUZZ_RESPONDER=$RESPONDER FUZZ_KV=$KV FUZZ_PREFIX=$PREFIX FUZZ_STATS=1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	"$FUZZ_BUILD/fuzz_pipeline" \
	-max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 \
	-max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$ARTIFACTS/" \
	"$FUZZ_CORPUS" "$ROOT/tests/fuzz/seeds" >"$LOG" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$LOG" | tail -n 1)
corp=$(find "$FUZZ_CORPUS" -type f | wc -l)
say "exit status $rc; ${execs:-?} executions, ${rate:-?}/s; ${cov:-cov: ?}; corpus $corp inputs"
# What the inputs reached (FUZZ_STATS): per worker, frames steered, handed
# off, sent through another worker, deferred; on the port, full rings.
awk '/^fuzz_pipeline: (worker|port) [0-9]+:/ {
	line = "fuzz: " $2 " " $3
	for (i = 4; i <= NF; i++)
		if ($i ~ /^((tx_)?handoff|steered)_(in|out)=|^deferred=|^(rx|tx|drop_bus_full)=/)
			line = line " " $i
	print line
}' "$LOG"

mapfile -t FOUND < <(find "$ARTIFACTS" -type f)
if [ "$rc" -ne 0 ] || [ ${#FOUND[@]} -gt 0 ]; then
	grep -E -B2 -A40 \
		'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|fuzz_pipeline: ' \
		"$LOG" | head -n 80
	for f in "${FOUND[@]}"; do
		say "FINDING: $f"
		xxd "$f" | head -n 40
	done
	[ ${#FOUND[@]} -gt 0 ] || say "FINDING: no reproducer written; see $LOG"
	say "reproduce: FUZZ_WORKERS=$WORKERS FUZZ_RESPONDER=$RESPONDER FUZZ_KV=$KV" \
		"$FUZZ_BUILD/fuzz_pipeline REPRODUCER"
	exit 1
fi
say "no findings"
