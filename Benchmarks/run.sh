#!/usr/bin/env bash
# Benchmarks: the agent next to direct access, side by side in one run, release build.
#   Benchmarks/run.sh            everything (the generated repository is cached in Benchmarks/.cache)
#   Benchmarks/run.sh --no-git   only the gh proxy, GraphQL policy and footprint figures
#   Benchmarks/run.sh --only graphql,proxy,git   a subset (to profile one figure)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product command-agent >&2
swift build -c release --product agent-status >&2
swift build -c release --product git-remote-agent >&2
swift build -c release --product agent-benchmarks >&2
exec "$(swift build -c release --show-bin-path)/agent-benchmarks" "$PWD/Benchmarks/.cache" "$@"
