#!/bin/sh
# Run every libFuzzer target for FUZZ_SECONDS each, seeded from tests/data.
# A crash, leak or sanitizer report fails the run.
set -eu
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
	name=$1
	seeds=$2
	mkdir -p "$work/$name"
	# Seed corpus: copies, so the fuzzer may add files without touching git.
	for f in $seeds; do
		[ -f "$f" ] && cp "$f" "$work/$name/"
	done
	echo "fuzz: $name for ${secs}s"
	"$build/fuzz/$name" -max_total_time="$secs" -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		-artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1 || {
		tail -n 60 "$work/$name.log"
		echo "fuzz: $name FAILED"
		exit 1
	}
	tail -n 1 "$work/$name.log"
}

run fuzz_policy "$(ls "$top"/tests/data/compat/*/default.yaml "$top"/tests/data/policies/*.yaml 2>/dev/null)"
run fuzz_config "$(ls "$top"/tests/data/compat/*/config.yaml 2>/dev/null)"
run fuzz_audit_journal ""
run fuzz_shparse ""
run fuzz_dlp ""
run fuzz_dlp_tok "$(ls "$top"/tests/unit/dlp/fuzz-seeds/* 2>/dev/null)"
run fuzz_dlp_rulefile ""
run fuzz_http_request "$(ls "$top"/tests/unit/api/fuzz-seeds/* 2>/dev/null)"
run fuzz_proxy_request "$(ls "$top"/tests/unit/proxy/fuzz-seeds/* 2>/dev/null)"
run fuzz_proxy_sni ""
run fuzz_proxy_sniff ""
run fuzz_trash_manifest "$(ls "$top"/tests/data/trash/*.json 2>/dev/null)"
run fuzz_llmproxy "$(ls "$top"/tests/unit/api/fuzz-seeds/* 2>/dev/null)"
run fuzz_dns_msg "$(ls "$top"/tests/unit/dns/fuzz-seeds/* 2>/dev/null)"
run fuzz_llm_json "$(ls "$top"/tests/fixtures/llm/req_*.json 2>/dev/null)"
run fuzz_llm_sse "$(ls "$top"/tests/fixtures/llm/resp_*.sse "$top"/tests/fixtures/llm/resp_*.json 2>/dev/null)"
echo "fuzz: all targets ran clean"
