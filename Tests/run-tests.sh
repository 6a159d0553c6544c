#!/usr/bin/env bash
# The README's test command (./run.sh --test) and CI's (.ci/run): checks or installs what the tests
# need, lints, builds, runs the Swift test suite, then the container end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'run-tests: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Debian packages, by the command that proves each is there.
missing=()
command -v swift >/dev/null || die "swift is not installed (a Swift 6 toolchain is needed: https://www.swift.org/install)"
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libgit2 2>/dev/null || missing+=(libgit2-dev)
command -v git >/dev/null || missing+=(git)
command -v gh >/dev/null || missing+=(gh)
command -v socat >/dev/null || missing+=(socat)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
command -v setpriv >/dev/null || missing+=(util-linux)
[ -x /usr/sbin/lighttpd ] || missing+=(lighttpd)
command -v strip >/dev/null || missing+=(binutils)
command -v tmux >/dev/null || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        # The lighttpd package starts a system server; the tests run their own.
        { command -v systemctl >/dev/null && systemctl disable --now lighttpd >/dev/null 2>&1; } || true
    else
        die "missing: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}"
    fi
fi

say "lint (swift format)"
swift format lint --strict -r Sources Tests Package.swift
say "build"
swift build --build-tests
say "unit and integration tests"
swift test

if [ "${SKIP_CONTAINER_TESTS:-}" = 1 ]; then
    say "container end-to-end test skipped (SKIP_CONTAINER_TESTS=1)"
elif [ "$(id -u)" = 0 ] || { command -v podman >/dev/null && command -v podman-compose >/dev/null; }; then
    say "container end-to-end test"
    Tests/EndToEnd/containers.sh
    # The pod test takes the images the container test built (tagged per checkout, as there).
    IMAGE_TAG=e2e-$(printf '%s' "$(pwd -P)" | cksum | cut -d ' ' -f 1) Tests/EndToEnd/k8s-pod.sh
else
    say "container end-to-end test skipped: it needs root (to set up podman) or podman + podman-compose"
fi
