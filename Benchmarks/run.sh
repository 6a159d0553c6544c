#!/usr/bin/env bash
# Benchmarks: the agent next to direct access, side by side in one run, release builds.
#   Benchmarks/run.sh            everything (the generated repository is cached in Benchmarks/.cache)
#   Benchmarks/run.sh --no-git   only the gh proxy, GraphQL policy and footprint figures
#   Benchmarks/run.sh --only graphql,proxy,git   a subset (to profile one figure)
set -euo pipefail
cd "$(dirname "$0")/.."
# The product binaries are built as the images ship them (static Swift runtime), in a build folder
# of their own (.build-static; the first build takes several minutes); the harness is an
# ordinary release build.
static=(swift build -c release --static-swift-stdlib --scratch-path .build-static)
for product in command-agent agent-status git-remote-agent; do "${static[@]}" --product "$product" >&2; done
AGENT_PRODUCTS_DIR="$("${static[@]}" --show-bin-path)"
export AGENT_PRODUCTS_DIR
swift build -c release --product agent-benchmarks >&2
exec "$(swift build -c release --show-bin-path)/agent-benchmarks" "$PWD/Benchmarks/.cache" "$@"
