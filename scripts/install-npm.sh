#!/bin/sh
# Install the npm packages the end-to-end tests drive (the official LLM
# SDKs in tests/e2e/llm), exactly as locked. Needs node and npm
# (scripts/install-deps.sh) and the npm registry.
set -eu
cd "$(dirname "$0")/../tests/e2e/llm"
npm ci --no-audit --no-fund --ignore-scripts
