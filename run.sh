#!/usr/bin/env bash
# Claude Code in a container whose git and gh go through the command agent.
# ./run.sh --help lists the commands.
set -euo pipefail
CALLER_DIR=$(pwd)
cd "$(dirname "$0")"
ROOT=$(pwd)

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    cat <<'TXT'
Usage: ./run.sh [COMMAND]

  (none)      Start Claude Code in its container, attached to this terminal. The current
              directory is the project (mounted at /workspace); PROJECT_DIR=... picks another.
  --build     Build (or rebuild) the agent and claude images.
  --stop      Stop and remove the containers (Claude's login and settings are kept).
  --shell     Open a shell in the claude container.
  --logs      Follow the command agent's log and audit lines.
  --status    Show the containers, agent-status and what the workspace guard quarantined.
  --quarantine  Show only what the workspace guard quarantined (no containers needed).
  --restore ID  Put one quarantined item back after you have reviewed it (the session must
              have ended; a running agent is stopped so that it does not take the item again).
  --test      Check (and, as root, install) what the tests need, then lint, build and run every
              test, ending with the container end-to-end test.
  --agent     Build and run the command agent here, in the foreground (no containers).
  --help      Show this help.

Settings come from the environment and from .env beside this script (see .env.example).
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

# podman + podman-compose, or docker + docker compose, whichever is installed.
find_compose() {
    if command -v podman >/dev/null && command -v podman-compose >/dev/null; then
        ENGINE=podman
        COMPOSE=(podman-compose)
    elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
        ENGINE=docker
        COMPOSE=(docker compose)
    elif command -v docker >/dev/null && command -v docker-compose >/dev/null; then
        ENGINE=docker
        COMPOSE=(docker-compose)
    else
        cat >&2 <<'TXT'
run.sh: neither podman + podman-compose nor docker + docker compose is installed. Install one:
  macOS:          brew install podman podman-compose && podman machine init && podman machine start
  Fedora/RHEL:    sudo dnf install podman podman-compose
  Ubuntu/Debian:  sudo apt install podman && pip install podman-compose
TXT
        exit 1
    fi
    COMPOSE+=(-p "${COMPOSE_PROJECT_NAME:-claude-code}" -f "$ROOT/compose.yml")
    for extra in ${COMPOSE_EXTRA_FILES:-}; do COMPOSE+=(-f "$extra"); done
}

# One line per problem with the settings; nothing is started when there is one.
validate_settings() {
    local problems=() key value
    if [ -n "${GITHUB_APP_ID:-}" ]; then
        [ -z "${GITHUB_TOKEN:-}" ] || problems+=("GITHUB_TOKEN and GITHUB_APP_ID are both set: keep one (a token, or a GitHub App)")
        [[ "$GITHUB_APP_ID" =~ ^[0-9]+$ ]] || problems+=("GITHUB_APP_ID must be the App's id (a number), not '$GITHUB_APP_ID'")
        [ -r "${GITHUB_APP_PRIVATE_KEY_FILE:-}" ] || problems+=("GITHUB_APP_ID needs GITHUB_APP_PRIVATE_KEY_FILE, the App's private key (PEM) file")
    elif [ -n "${GITHUB_APP_PRIVATE_KEY_FILE:-}${GITHUB_APP_INSTALLATION_ID:-}" ]; then
        problems+=("GITHUB_APP_PRIVATE_KEY_FILE and GITHUB_APP_INSTALLATION_ID need GITHUB_APP_ID too")
    elif [ -z "${GITHUB_TOKEN:-}" ]; then
        problems+=("GITHUB_TOKEN is not set: export it, or put GITHUB_TOKEN=... in $ROOT/.env (or set up a GitHub App: GITHUB_APP_ID)")
    elif [[ "$GITHUB_TOKEN" =~ [[:space:]] ]]; then
        problems+=("GITHUB_TOKEN contains spaces or newlines")
    fi
    for key in BLOCKED_BRANCHES ALLOWED_BRANCH_PATTERNS ALLOWED_API_WRITES EGRESS_ALLOWED_HOSTS ALLOWED_REPOS PR_BASE_BRANCHES PROTECTED_PATHS SECRET_SCAN_ALLOW; do
        value=${!key:-}
        if [[ -n "$value" && "$value" != \[* && ( "$value" == *, || "$value" == ,* || "$value" == *,,* ) ]]; then
            problems+=("$key is neither a JSON list nor a comma-separated list without empty entries: $value")
        fi
        [[ "$value" == \[* ]] || continue
        if command -v python3 >/dev/null && ! python3 -c 'import json,sys; v=json.loads(sys.argv[1]); assert isinstance(v,list) and all(isinstance(x,str) for x in v)' "$value" 2>/dev/null; then
            problems+=("$key is not a JSON list of strings: $value")
        fi
    done
    for key in ALLOW_TAG_UPDATES ALLOW_PR_MERGE ALLOW_OTHER_REPO_READS ALLOW_PR_APPROVE GITHUB_APP_WORKFLOWS; do
        value=${!key:-}
        [[ -z "$value" || "$value" =~ ^(true|false|TRUE|FALSE|True|False|1|0|yes|no)$ ]] || problems+=("$key must be true or false, not '$value'")
    done
    [[ -z "${SECRET_SCAN:-}" || "$SECRET_SCAN" =~ ^(block|warn|off)$ ]] || problems+=("SECRET_SCAN must be block, warn or off, not '$SECRET_SCAN'")
    for key in ALLOW_FORCE_PUSH ALLOW_BRANCH_DELETE; do
        value=${!key:-}
        [[ -z "$value" || "$value" =~ ^(true|false|TRUE|FALSE|True|False|1|0|yes|no|own|OWN|Own)$ ]] || problems+=("$key must be true, false or own, not '$value'")
    done
    ANTHROPIC_KEY_FILE=${ANTHROPIC_KEY_FILE:-$HOME/.anthropic_key}
    if [ -e "$ANTHROPIC_KEY_FILE" ] && [ ! -r "$ANTHROPIC_KEY_FILE" ]; then
        problems+=("$ANTHROPIC_KEY_FILE exists but cannot be read")
    elif [ ! -e "$ANTHROPIC_KEY_FILE" ]; then
        say "no $ANTHROPIC_KEY_FILE: Claude Code will ask you to log in (the login is kept between runs)"
        ANTHROPIC_KEY_FILE=/dev/null
    fi
    [ -d "$PROJECT_DIR" ] || problems+=("PROJECT_DIR $PROJECT_DIR is not a directory")
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'run.sh: %s\n' "${problems[@]}" >&2
        exit 1
    fi
    export ANTHROPIC_KEY_FILE
}

prepare() {
    load_env_file "$ROOT/.env"
    PROJECT_DIR=${PROJECT_DIR:-$CALLER_DIR}
    # Absolute, when it exists; validate_settings reports it when it does not.
    if [ -d "$PROJECT_DIR" ]; then PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd); fi
    export PROJECT_DIR
    export CLAUDE_UID=${CLAUDE_UID:-$(id -u)} CLAUDE_GID=${CLAUDE_GID:-$(id -g)}
    # Root's files in the workspace would be root's in the container too; use the default user then.
    [ "$CLAUDE_UID" != 0 ] || export CLAUDE_UID=1000 CLAUDE_GID=1000
    find_compose
}

build_images() {
    if [ "${BINARIES:-build}" = prebuilt ]; then
        # PREBUILT_CONFIGURATION=debug links the debug build the tests already compiled (a relink,
        # not a second compilation); release (the default) is what people should run.
        local configuration=${PREBUILT_CONFIGURATION:-release} build product
        case "$configuration" in
            release) build=(swift build -c release --static-swift-stdlib) ;;
            # FoundationEssentials' static archive needs these two named in a debug link.
            debug) build=(swift build --static-swift-stdlib -Xlinker -l_FoundationCollections -Xlinker -l_FoundationCShims) ;;
            *) die "PREBUILT_CONFIGURATION must be release or debug" ;;
        esac
        say "building the Swift binaries on this machine (BINARIES=prebuilt, $configuration)"
        mkdir -p "$ROOT/.container-bin"
        for product in command-agent agent-status git-remote-agent; do
            "${build[@]}" --product "$product" >&2
            cp "$("${build[@]}" --show-bin-path)/$product" "$ROOT/.container-bin/$product"
            strip "$ROOT/.container-bin/$product"
        done
    fi
    "${COMPOSE[@]}" build
}

images_exist() {
    "$ENGINE" image inspect localhost/claude-code-agent:latest localhost/claude-code-claude:latest >/dev/null 2>&1
}

wait_for_agent() {
    local tries=0
    until "${COMPOSE[@]}" exec -T agent agent-status --timeout 2 >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 60 ]; then
            "${COMPOSE[@]}" logs agent >&2 || true
            die "the command agent did not become healthy (its log is above)"
        fi
        sleep 0.5
    done
}

start_claude() {
    validate_settings
    images_exist || build_images
    "${COMPOSE[@]}" up -d agent
    wait_for_agent
    # ALLOWED_REPOS defaults to the workspace's GitHub remotes; without any, every write is refused.
    if "${COMPOSE[@]}" exec -T agent agent-status --json 2>/dev/null | grep -q '"reach_allowed_repos":\[\]'; then
        say "no GitHub remote in $PROJECT_DIR and no ALLOWED_REPOS: git push and gh writes are refused until ALLOWED_REPOS is set"
    fi
    "${COMPOSE[@]}" run --rm claude "$@"
}

run_tests() {
    "$ROOT/Tests/run-tests.sh"
}

run_agent_locally() {
    load_env_file "$ROOT/.env"
    export AGENT_SOCKET_DIR=${AGENT_SOCKET_DIR:-$ROOT/.run}
    export AGENT_WORKSPACE=${AGENT_WORKSPACE:-$ROOT}
    # Outside the workspace (the agent refuses a state directory the session could write).
    export AGENT_STATE_DIR=${AGENT_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/command-agent}
    mkdir -p "$(dirname "$AGENT_STATE_DIR")"
    swift build --product command-agent >&2
    say "agent-status: AGENT_SOCKET_DIR=$AGENT_SOCKET_DIR $(swift build --show-bin-path)/agent-status"
    exec "$(swift build --show-bin-path)/command-agent"
}

# The workspace guard (README: "The workspace guard"): what the agent took out of the project's
# git metadata waits in records under .git/agent-quarantine/ID (or .agent-quarantine/ID). These
# run here, on the host, with your own tools; the claude container cannot start them.
quarantine_field() {  # quarantine_field MANIFEST KEY: the value, control characters dropped
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "${line%%=*}" = "$2" ]; then printf '%s' "${line#*=}" | LC_ALL=C tr -d '\000-\037\177'; return 0; fi
    done <"$1"
}

quarantine_records() {  # NUL-separated record directories under PROJECT_DIR (links never followed)
    local manifest
    find -P "$1" -maxdepth 12 -type f -name manifest -path '*agent-quarantine/*/manifest' -print0 2>/dev/null |
        while IFS= read -r -d '' manifest; do printf '%s\0' "${manifest%/manifest}"; done | sort -z
}

show_quarantine() {
    local project=${PROJECT_DIR:-$CALLER_DIR} record count=0 key
    [ -d "$project" ] || return 0
    while IFS= read -r -d '' record; do
        [ $count -gt 0 ] || say "the workspace guard quarantined (review it, then ./run.sh --restore ID, or delete the record):"
        count=$((count + 1))
        key=$(quarantine_field "$record/manifest" key)
        printf '  %s  %s%s: %s\n' "$(quarantine_field "$record/manifest" id)" "${key:+$key in }" \
            "$(quarantine_field "$record/manifest" origin)" "$(quarantine_field "$record/manifest" rule)" >&2
        printf '      %s\n' "${record#"$project"/}" | LC_ALL=C tr -d '\000-\011\013-\037\177' >&2
    done < <(quarantine_records "$project")
}

# No symbolic link between DIRECTORY (physical) and PATH below it, component by component.
quarantine_no_links() {
    local path=$1 rest=$2 part
    while [ -n "$rest" ]; do
        part=${rest%%/*}
        [ "$part" = "$rest" ] && rest= || rest=${rest#*/}
        [ -n "$part" ] || continue
        path=$path/$part
        [ ! -L "$path" ] || return 1
    done
}

# Stops what would race the restore: a running Claude session refuses it, a running agent is
# stopped (it would quarantine the item again; its next start takes it into its baseline).
quarantine_quiet_containers() {
    (find_compose) >/dev/null 2>&1 || return 0
    find_compose
    local name=${COMPOSE_PROJECT_NAME:-claude-code} service ids
    for service in claude agent; do
        ids=$({ "$ENGINE" ps -q --filter "label=com.docker.compose.project=$name" --filter "label=com.docker.compose.service=$service"
            "$ENGINE" ps -q --filter "label=io.podman.compose.project=$name" --filter "label=com.docker.compose.service=$service"; } 2>/dev/null | sort -u) || true
        [ -n "$ids" ] || continue
        [ "$service" = agent ] || die "a Claude session is running: end it before restoring anything"
        say "stopping the agent, which would quarantine the item again (the next ./run.sh starts it with the item in its baseline)"
        # shellcheck disable=SC2086
        "$ENGINE" stop $ids >/dev/null
    done
}

restore_quarantined() {
    local id=${1:-} project record records=() kind origin target answer
    [[ "$id" =~ ^[0-9]{8}-[0-9]{6}-[0-9]{4}$ ]] || die "--restore needs a record id as ./run.sh --status lists it (YYYYMMDD-HHMMSS-NNNN)"
    project=$(cd "${PROJECT_DIR:-$CALLER_DIR}" && pwd -P) || die "PROJECT_DIR is not a directory"
    while IFS= read -r -d '' record; do [ "${record##*/}" != "$id" ] || records+=("$record"); done < <(quarantine_records "$project")
    [ ${#records[@]} -eq 1 ] || die "found ${#records[@]} quarantine records named $id under $project (expected one)"
    record=${records[0]}
    kind=$(quarantine_field "$record/manifest" kind)
    origin=$(quarantine_field "$record/manifest" origin)
    [ "$(quarantine_field "$record/manifest" restore)" != by-hand ] || die "record $id must be restored by hand (see $record/manifest)"
    [[ -n "$origin" && "$origin" != /* && "/$origin/" != */../* && "$origin" =~ ^[][A-Za-z0-9._/@+:=,~\ -]+$ ]] ||
        die "record $id names a place this command does not write to; restore it by hand"
    target=$project/$origin
    quarantine_no_links "$project" "${record#"$project"/}" && quarantine_no_links "$project" "$origin" ||
        die "a symbolic link lies on the way to $origin or to the record; restore it by hand"
    quarantine_quiet_containers
    case "$kind" in
        config-entry)
            [ -f "$record/entry.gitconfig" ] && [ -f "$target" ] || die "$origin or the record's entry.gitconfig is missing or not a file"
            say "this goes back at the end of $origin:"
            LC_ALL=C cat -v "$record/entry.gitconfig" >&2
            ;;
        file)
            [ ! -e "$target" ] && [ ! -L "$target" ] || die "$origin exists again: move it away first"
            [ -d "$(dirname "$target")" ] || die "the folder of $origin is gone"
            say "this goes back to $origin:"
            if [ -L "$record/item" ]; then printf 'a symbolic link to %s\n' "$(readlink "$record/item")" | LC_ALL=C cat -v >&2
            elif [ -f "$record/item" ]; then ls -l "$record/item" >&2; LC_ALL=C head -c 65536 "$record/item" | LC_ALL=C cat -v >&2
            else ls -la "$record/item" >&2; fi
            ;;
        *) die "record $id has an unknown kind" ;;
    esac
    printf 'run.sh: restore it? [y/N] ' >&2
    read -r answer || answer=
    [[ "$answer" =~ ^[Yy]([Ee][Ss])?$ ]] || die "nothing restored"
    if [ "$kind" = config-entry ]; then
        [ -z "$(tail -c 1 "$target")" ] || printf '\n' >>"$target"
        cat "$record/entry.gitconfig" >>"$target"
        rm -f "$record/entry.gitconfig"
    else
        mv -n "$record/item" "$target" && [ ! -e "$record/item" ] && [ ! -L "$record/item" ] || die "could not move it back"
    fi
    rm -f "$record/manifest"
    rmdir "$record" 2>/dev/null || true
    say "restored $id to $origin"
}

case "${1:-}" in
    "") prepare; trap show_quarantine EXIT; start_claude ;;
    --build) prepare; build_images ;;
    --stop) prepare; "${COMPOSE[@]}" down ;;
    --shell) prepare; validate_settings; "${COMPOSE[@]}" up -d agent; wait_for_agent; "${COMPOSE[@]}" run --rm claude bash ;;
    --logs) prepare; "${COMPOSE[@]}" logs -f agent ;;
    --status) prepare; "${COMPOSE[@]}" ps; "${COMPOSE[@]}" exec -T agent agent-status || true; show_quarantine ;;
    --quarantine) load_env_file "$ROOT/.env"; show_quarantine ;;
    --restore) load_env_file "$ROOT/.env"; restore_quarantined "${2:-}" ;;
    --test) run_tests ;;
    --agent) run_agent_locally ;;
    --help | -h) usage ;;
    *) usage >&2; die "unknown command: $1" ;;
esac
