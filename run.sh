#!/usr/bin/env bash
# The one entry point: run the product, or test it.
#   ./run.sh --test     check/install what the tests need, then lint, build and run every test
#   ./run.sh --agent    build and run the command agent locally, in the foreground
#   ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
PROJECT_ROOT=$(pwd)

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    cat <<'TXT'
Usage: ./run.sh [COMMAND]

  --agent     Build and run the command agent here, in the foreground (Ctrl-C stops it).
              Settings come from the environment and from .env (see .env.example); locally the
              socket directory defaults to ./.run and the workspace to the current directory.
  --test      Check (and, as root, install) what the tests need, then lint, build and test.
  --help      Show this help.

Starting Claude Code in its containers (./run.sh with no command, --build, --stop, --shell,
--logs, --status) is not built yet: see the README.
TXT
}

# Reads KEY=VALUE lines of .env without executing them; the environment wins over the file.
load_env_file() {
    local file=$1 line key value
    [ -f "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$file: cannot read line: ${line%%=*}=…"
        key=${BASH_REMATCH[2]}
        value=${BASH_REMATCH[3]}
        if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
        [ -n "${!key+set}" ] || export "$key=$value"
    done < "$file"
}

# What the tests need: Debian packages, by the command that proves each is there.
test_requirements() {
    local missing=()
    command -v swift >/dev/null || die "swift is not installed (Swift 6 toolchain needed: https://www.swift.org/install)"
    pkg-config --exists libgit2 2>/dev/null || missing+=(libgit2-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v git >/dev/null || missing+=(git)
    command -v gh >/dev/null || missing+=(gh)
    command -v socat >/dev/null || missing+=(socat)
    command -v curl >/dev/null || missing+=(curl)
    command -v setpriv >/dev/null || missing+=(util-linux)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        die "missing: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}"
    fi
}

run_tests() {
    test_requirements
    say "lint (swift format)"
    swift format lint --strict -r Sources Tests Package.swift
    say "build"
    swift build --build-tests
    say "unit and integration tests"
    swift test
}

run_agent_locally() {
    load_env_file "$PROJECT_ROOT/.env"
    export AGENT_SOCKET_DIR=${AGENT_SOCKET_DIR:-$PROJECT_ROOT/.run}
    export AGENT_WORKSPACE=${AGENT_WORKSPACE:-$PROJECT_ROOT}
    swift build --product command-agent >&2
    say "agent-status: AGENT_SOCKET_DIR=$AGENT_SOCKET_DIR $(swift build --show-bin-path)/agent-status"
    exec "$(swift build --show-bin-path)/command-agent"
}

case "${1:-}" in
    --test) run_tests ;;
    --agent) run_agent_locally ;;
    --help | -h) usage ;;
    "") usage; exit 1 ;;
    *) usage >&2; die "unknown command: $1" ;;
esac
