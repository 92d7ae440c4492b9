#!/bin/sh
# Build and run the policy matcher unit tests without meson: once with gcc,
# once with clang under ASan+UBSan. Usage: tests/unit/policy/build_tests.sh
set -eu

root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${TMPDIR:-/tmp}/agentsh-policy-tests
mkdir -p "$out"

FLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
-Wvla -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual \
-Wnull-dereference -Wpointer-arith -Wundef -Wimplicit-fallthrough \
-fno-common -I$root/src"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer"

run() {
	name=$1
	shift
	for cc in gcc clang; do
		extra="-O2"
		[ "$cc" = clang ] && extra="-O1 -g $SAN"
		# shellcheck disable=SC2086
		$cc $FLAGS $extra -o "$out/$name-$cc" "$@" -lcmocka
		echo "== $name ($cc)"
		"$out/$name-$cc"
	done
}

run test_glob "$root/tests/unit/policy/test_glob.c" "$root/src/policy/glob.c"
if [ -f "$root/tests/unit/policy/test_ipaddr.c" ]; then
	run test_ipaddr "$root/tests/unit/policy/test_ipaddr.c" \
		"$root/src/policy/ipaddr.c"
fi
