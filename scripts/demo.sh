#!/bin/sh
# The main job, end to end on this machine: validate the shipped policies and
# configs, and ask them for decisions as the gateway will.
set -u
bin=${1:-build/agentsh}
top=$(cd "$(dirname "$0")/.." && pwd)
compat="$top/tests/data/compat"
ws=/workspace/proj

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ agentsh %s\n' "$*"; "$bin" "$@"; printf '(exit %d)\n' $?; }

step "version"
show version

step "the original Daytona v0.7.10 policy loads unchanged; the linter finds rules first-match hides"
show policy check "$compat/daytona-v0.7.10/default.yaml"

step "the v0.7.2 policy loads too (its glob args_patterns are kept, with a warning)"
show policy check "$compat/daytona-v0.7.2/default.yaml"

step "our default policy: the same rules, reordered so every rule can match"
show policy check "$top/etc/policies/default.yaml"

step "server configs (unknown keys are reported with their line, not ignored)"
show config check "$compat/daytona-v0.7.10/config.yaml" "$compat/daytona-v0.7.2/config.yaml" "$top/etc/config.yaml"

t() { pol=$1; shift; show policy test --policy "$pol" --var PROJECT_ROOT=$ws "$@"; }
old="$compat/daytona-v0.7.10/default.yaml"
new="$top/etc/policies/default.yaml"

step "sudo is denied, with the rule named"
t "$new" --op exec -- sudo whoami

step "git push --force: allowed by the original's order, denied by ours"
t "$old" --op exec -- git push --force origin main
t "$new" --op exec -- git push --force origin main

step "evil.com is blocked and the message template is rendered"
t "$new" --op connect --host evil.com --port 443 --ip 203.0.113.7

step "the metadata service, spelled in octal, is still the metadata service"
t "$new" --op connect --host 0251.0376.0251.0376 --port 80

step "approve without an approver is a deny, not a silent allow"
t "$new" --op connect --host example.org --port 443 --json

step "deleting a workspace file is a soft delete"
t "$new" --op delete --path $ws/notes.txt

step "secrets stay out of the environment"
t "$new" --op env --name AWS_SECRET_ACCESS_KEY

step "the gateway: daemon + shell shim in a test root (needs root for bubblewrap)"
/usr/bin/python3 "$top/scripts/demo_gateway.py"
