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
  --logs      Follow the command agent's log, audit lines shown readably (--logs --json: raw JSON).
  --status    Show the containers, agent-status and what the workspace guard quarantined.
  --quarantine  Show only what the workspace guard quarantined (no containers needed).
  --restore ID  Put one quarantined item back after you have reviewed it (the session must
              have ended; a running agent is stopped so that it does not take the item again).
  --test      Check (and, as root, install) what the tests need, then lint, build and run every
              test, ending with the container end-to-end test.
  --agent     Build and run the command agent here, in the foreground (no containers).
  --help      Show this help.

Settings come from the environment and from .env beside this script (see .env.example).
Secrets go to the command agent only:
  GitHub token      GITHUB_TOKEN=... (environment or .env)
  Anthropic key     the file ~/.anthropic_key, or ANTHROPIC_API_KEY_FILE=path, or ANTHROPIC_API_KEY=...
  Claude login      CLAUDE_CODE_OAUTH_TOKEN=... (from `claude setup-token`), or CLAUDE_CODE_OAUTH_TOKEN_FILE=path
  none of the two   Claude Code asks you to log in; the login is kept in the claude-home volume
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

# Picks the Anthropic credential the agent will hold (at most one source) and tells compose how to
# pass it: a file becomes the secret `anthropic_credential`, mounted into the agent only.
choose_anthropic_credential() {
    local sources=() key
    ANTHROPIC_API_KEY_FILE=${ANTHROPIC_API_KEY_FILE:-${ANTHROPIC_KEY_FILE:-}}
    for key in ANTHROPIC_API_KEY ANTHROPIC_API_KEY_FILE CLAUDE_CODE_OAUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN_FILE; do
        [ -z "${!key:-}" ] || sources+=("$key")
    done
    if [ ${#sources[@]} -eq 0 ] && [ -e "$HOME/.anthropic_key" ]; then
        ANTHROPIC_API_KEY_FILE=$HOME/.anthropic_key
        sources=(ANTHROPIC_API_KEY_FILE)
    fi
    ANTHROPIC_CREDENTIAL_FILE=/dev/null AGENT_ANTHROPIC_API_KEY_FILE= AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE=
    if [ ${#sources[@]} -gt 1 ]; then
        problems+=("set only one Anthropic credential, not ${sources[*]}")
    elif [ ${#sources[@]} -eq 0 ]; then
        say "no Anthropic credential for the agent (~/.anthropic_key, ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN): Claude Code will ask you to log in, and keeps the login in the claude-home volume"
    elif [[ "${sources[0]}" == *_FILE ]]; then
        ANTHROPIC_CREDENTIAL_FILE=${!sources[0]}
        if [ ! -f "$ANTHROPIC_CREDENTIAL_FILE" ] || [ ! -r "$ANTHROPIC_CREDENTIAL_FILE" ]; then
            problems+=("${sources[0]}: $ANTHROPIC_CREDENTIAL_FILE is not a readable file")
        else
            ANTHROPIC_CREDENTIAL_FILE=$(cd "$(dirname "$ANTHROPIC_CREDENTIAL_FILE")" && pwd)/$(basename "$ANTHROPIC_CREDENTIAL_FILE")
            secret_files+=("$ANTHROPIC_CREDENTIAL_FILE")
        fi
        if [ "${sources[0]}" = ANTHROPIC_API_KEY_FILE ]; then
            AGENT_ANTHROPIC_API_KEY_FILE=/run/secrets/anthropic_credential
        else
            AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE=/run/secrets/anthropic_credential
        fi
    fi
    # The agent reads the file through the secret, never through these host paths.
    unset ANTHROPIC_API_KEY_FILE ANTHROPIC_KEY_FILE CLAUDE_CODE_OAUTH_TOKEN_FILE
    export ANTHROPIC_CREDENTIAL_FILE AGENT_ANTHROPIC_API_KEY_FILE AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE
}

# Whether PATH (a file that exists) lies inside DIRECTORY, links resolved.
is_inside() {
    local file directory
    file=$(realpath -e -- "$1" 2>/dev/null) || return 1
    directory=$(realpath -e -- "$2" 2>/dev/null) || return 1
    [ "$directory" = / ] || [[ "$file" == "$directory"/* ]]
}

# One line per problem with the settings; nothing is started when there is one.
validate_settings() {
    local problems=() secret_files=() key value file
    [ ! -f "$ROOT/.env" ] || secret_files+=("$ROOT/.env")
    if [ -n "${GITHUB_APP_ID:-}" ]; then
        [ -z "${GITHUB_TOKEN:-}" ] || problems+=("GITHUB_TOKEN and GITHUB_APP_ID are both set: keep one (a token, or a GitHub App)")
        [[ "$GITHUB_APP_ID" =~ ^[0-9]+$ ]] || problems+=("GITHUB_APP_ID must be the App's id (a number), not '$GITHUB_APP_ID'")
        [ -r "${GITHUB_APP_PRIVATE_KEY_FILE:-}" ] || problems+=("GITHUB_APP_ID needs GITHUB_APP_PRIVATE_KEY_FILE, the App's private key (PEM) file")
        [ ! -f "${GITHUB_APP_PRIVATE_KEY_FILE:-}" ] || secret_files+=("$GITHUB_APP_PRIVATE_KEY_FILE")
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
    choose_anthropic_credential
    if [ ! -d "$PROJECT_DIR" ]; then
        problems+=("PROJECT_DIR $PROJECT_DIR is not a directory")
    else
        # The project is mounted into the claude container: it must not hold the secrets this run reads.
        for file in "${secret_files[@]}"; do
            if is_inside "$file" "$PROJECT_DIR"; then
                problems+=("will not mount $PROJECT_DIR into the claude container: it contains $file, which holds secrets (run ./run.sh from your project's directory, or set PROJECT_DIR)")
                break
            fi
        done
    fi
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'run.sh: %s\n' "${problems[@]}" >&2
        exit 1
    fi
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
}

# BINARIES=prebuilt: the Swift products built on this machine, stripped, into .container-bin/
# (the images hold no Swift toolchain). By default a release build in .build-static/ with the Swift
# runtime linked in (the benchmarks build the same way into the same folder).
# PREBUILT_CONFIGURATION=debug takes the debug build `swift build` (and the tests) made in .build/
# as it is, with the Swift runtime libraries it loads in .container-bin/lib/ (the images put them
# beside the binaries, where the binaries look): no second compile, and no relink with other flags
# (a static relink there would recompile what changed for the static runtime, which a later
# `swift build` could no longer link). The end-to-end test's way: seconds instead of minutes.
compile_products_here() {
    local configuration=${PREBUILT_CONFIGURATION:-release} build product bin
    case "$configuration" in
        release) build=(swift build -c release --static-swift-stdlib --scratch-path "$ROOT/.build-static") ;;
        debug) build=(swift build) ;;
        *) die "PREBUILT_CONFIGURATION must be release or debug, not '$configuration'" ;;
    esac
    say "the Swift binaries, built on this machine ($configuration, BINARIES=prebuilt)"
    if [ "$configuration" = debug ]; then
        "${build[@]}" >&2  # every product at once: nothing to do after the tests' build
    else
        for product in command-agent agent-status git-remote-agent; do "${build[@]}" --product "$product" >&2; done
    fi
    bin=$("${build[@]}" --show-bin-path)
    rm -rf "$ROOT/.container-bin"
    mkdir -p "$ROOT/.container-bin/lib"
    for product in command-agent agent-status git-remote-agent; do
        strip -o "$ROOT/.container-bin/$product" "$bin/$product"
    done
    [ "$configuration" = release ] || copy_swift_runtime "$bin"
}

# The Swift runtime's shared libraries (the toolchain's lib/swift/linux) that the products in BIN
# load, into .container-bin/lib/.
copy_swift_runtime() {
    local product library
    for product in command-agent agent-status git-remote-agent; do ldd "$1/$product"; done |
        awk '$2 == "=>" && $3 ~ /\/lib\/swift\/linux\// { print $3 }' | sort -u |
        while read -r library; do cp -L "$library" "$ROOT/.container-bin/lib/"; done
    [ -n "$(ls "$ROOT/.container-bin/lib")" ] || die "found no Swift runtime library in what the debug binaries load (ldd)"
}

build_images() {
    [ "${BINARIES:-build}" != prebuilt ] || compile_products_here
    # One Containerfile, two targets: the second build takes the compiled products from the cache.
    "${COMPOSE[@]}" build agent
    "${COMPOSE[@]}" build claude
}

images_exist() {
    "$ENGINE" image inspect localhost/claude-code-agent:latest localhost/claude-code-claude:latest >/dev/null 2>&1
}

# Asks the agent for its state from the claude side, as Claude Code will reach it (the agent's
# image holds no status client); --wait gives a just-started agent time to listen.
agent_status() {
    "${COMPOSE[@]}" run --rm --no-deps -T --entrypoint agent-status claude "$@"
}

# Leaves the agent's status (JSON) in AGENT_STATUS_JSON.
wait_for_agent() {
    AGENT_STATUS_JSON=$(agent_status --wait 30 --timeout 2 --json 2>/dev/null) && return 0
    "${COMPOSE[@]}" logs agent >&2 || true
    die "the command agent did not become healthy (its log is above)"
}

start_claude() {
    validate_settings
    find_compose
    images_exist || build_images
    forget_socket_volume
    "${COMPOSE[@]}" up -d agent >/dev/null
    wait_for_agent
    # ALLOWED_REPOS defaults to the workspace's GitHub remotes; without any, every write is refused.
    if grep -q '"reach_allowed_repos":\[\]' <<<"$AGENT_STATUS_JSON"; then
        say "no GitHub remote in $PROJECT_DIR and no ALLOWED_REPOS: git push and gh writes are refused until ALLOWED_REPOS is set"
    fi
    "${COMPOSE[@]}" run --rm claude "$@"
}

# The agent's log: audit lines made readable by agent-status (from the claude image: this machine
# may have no Swift), or raw with --json.
show_logs() {
    local container
    container=$("$ENGINE" ps -a -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_NAME:-claude-code}" \
        --filter label=com.docker.compose.service=agent | head -n 1)
    [ -n "$container" ] || die "no agent container (start it with ./run.sh)"
    if [ "${1:-}" = --json ]; then
        exec "$ENGINE" logs -f "$container"
    fi
    "$ENGINE" logs -f "$container" 2>&1 | "$ENGINE" run --rm -i --network none --read-only --cap-drop ALL \
        --security-opt no-new-privileges --entrypoint agent-status localhost/claude-code-claude:latest --format-log
}

# Stops and removes every container of the project: the sessions `compose run` started are not
# the service's own container, so `down` alone would leave them (and the agent they require).
stop_all() {
    local sessions
    sessions=$("$ENGINE" ps -a -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_NAME:-claude-code}" \
        --filter label=com.docker.compose.service=claude)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$sessions" ] || "$ENGINE" rm -f $sessions >/dev/null
    "${COMPOSE[@]}" down
    forget_socket_volume
}

# The socket volume holds only sockets; made afresh, it takes its owner and mode from the agent
# image (a volume an older image made may have others; the agent refuses those). Kept while an
# agent runs.
forget_socket_volume() {
    local project=${COMPOSE_PROJECT_NAME:-claude-code}
    [ -n "$("$ENGINE" ps -q --filter "label=com.docker.compose.project=$project" --filter label=com.docker.compose.service=agent)" ] ||
        "$ENGINE" volume rm -f "${project}_agent-run" >/dev/null 2>&1 || true
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
    --build) prepare; find_compose; build_images ;;
    --stop) prepare; find_compose; stop_all ;;
    --shell) prepare; validate_settings; find_compose; forget_socket_volume; "${COMPOSE[@]}" up -d agent >/dev/null; wait_for_agent; "${COMPOSE[@]}" run --rm claude bash ;;
    --logs) prepare; find_compose; show_logs "${2:-}" ;;
    --status) prepare; find_compose; "${COMPOSE[@]}" ps; agent_status || true; show_quarantine ;;
    --quarantine) load_env_file "$ROOT/.env"; show_quarantine ;;
    --restore) load_env_file "$ROOT/.env"; restore_quarantined "${2:-}" ;;
    --test) run_tests ;;
    --agent) run_agent_locally ;;
    --help | -h) usage ;;
    *) usage >&2; die "unknown command: $1" ;;
esac
