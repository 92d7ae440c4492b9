#!/bin/sh
# Install the Debian packages agentsh needs to build, test and benchmark.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -eu

PKGS="build-essential pkg-config meson ninja-build clang llvm libclang-rt-14-dev \
libyaml-dev libpcre2-dev libseccomp-dev libsqlite3-dev sqlite3 libssl-dev \
libzstd-dev zlib1g-dev libcmocka-dev python3-pytest git \
libjson-c-dev node-llhttp curl bubblewrap tmux procps \
libldns-dev dnsmasq-base openssl wrk tinyproxy nodejs npm zstd \
libnftables-dev"

# Hyperscan needs x86-64 with SSSE3; Vectorscan covers other machines.
case "$(uname -m)" in
x86_64) PKGS="$PKGS libhyperscan-dev" ;;
*) PKGS="$PKGS libvectorscan-dev" ;;
esac

# A node from elsewhere (e.g. a vendor's nodejs package, which bundles npm
# and conflicts with Debian's npm) serves as well: only a missing command
# asks for Debian's package.
missing=""
for p in $PKGS; do
	case "$p" in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
