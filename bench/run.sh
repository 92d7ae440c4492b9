#!/bin/sh
# Run every benchmark against an optimised build; each prints its figures
# and a ratio against a baseline measured in the same run.
set -eu
build=${1:-build-release}
top=$(cd "$(dirname "$0")/.." && pwd)
echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
status=0
"$build/bench/bench_policy" "$top/tests/data/compat/daytona-v0.7.10/default.yaml" || status=1
/usr/bin/python3 "$top/bench/bench_gateway.py" "$build" || status=1
/usr/bin/python3 "$top/bench/bench_workloads.py" "$build" || status=1
/usr/bin/python3 "$top/bench/bench_workloads.py" "$build" --fast-reads || status=1
/usr/bin/python3 "$top/bench/bench_proxy.py" "$build" || status=1
/usr/bin/python3 "$top/bench/bench_llmproxy.py" "$build" || status=1
"$build/bench/bench_audit" || status=1
"$build/bench/bench_dlp" "$top/src" || status=1
"$build/bench/bench_llm" || status=1
# Clean code: this repository, the C headers and the Python library that
# every Debian machine has after scripts/install-deps.sh (64 MB at most).
"$build/bench/bench_dlp_quality" --gate "$top/src" /usr/include /usr/lib/python3* || status=1
"$build/bench/bench_ptracer" || status=1
"$build/bench/bench_supervisor" || status=1
exit $status
