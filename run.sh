#!/usr/bin/env bash
# Claude Code in a container whose git and gh go through the command agent.
# ./run.sh --help lists the commands.
set -euo pipefail
CALLER_DIR=$(pwd)
case $0 in */*) cd "${0%/*}" ;; esac
# Physical: the checkout reached through a link or another spelling is the same checkout (its
# sessions' labels, the refusal of projects that hold it).
cd -P .
ROOT=$(pwd)
# An empty file: compose's env file (compose reads no .env of its own), and the stand-in for a
# secret the session does not have (docker-compose 1.29 refuses /dev/null for both).
EMPTY_FILE=$ROOT/images/empty

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    cat <<'TXT'
Usage: ./run.sh [COMMAND]

  (none)      Start Claude Code in its container, attached to this terminal. The current
              directory is the project (mounted at /workspace); PROJECT_DIR=... picks another.
              Each project has its own session: its own agent, volumes and containers.
  --build     Build (or rebuild) the agent and claude images.
  --stop      Stop and remove this project's session (Claude's login and settings are kept).
  --stop --all  Stop every session this checkout started, for every project.
  --shell     Open a shell in this project's claude container.
  --logs      Follow this project's command agent log, audit lines shown readably (--logs --json: raw JSON).
  --status    Show this project's containers, agent-status and what the workspace guard quarantined.
  --quarantine  Show only what the workspace guard quarantined (no containers needed).
  --restore ID  Put one quarantined item back after you have reviewed it (the session must
              have ended; a running agent is stopped so that it does not take the item again).
  --test      Check (and, as root, install) what the tests need, then lint, build and run every
              test, ending with the container end-to-end test.
  --agent     Build and run the command agent here, in the foreground (no containers).
  --help      Show this help.

Settings come from the environment and from .env beside this script (see .env.example; only
the keys listed there are read from .env). Secrets go to the command agent only, as files:
  GitHub token      GITHUB_TOKEN=... or GITHUB_TOKEN_FILE=path (environment or .env)
  Anthropic key     the file ~/.anthropic_key, or ANTHROPIC_API_KEY_FILE=path, or ANTHROPIC_API_KEY=...
  Claude login      CLAUDE_CODE_OAUTH_TOKEN=... (from `claude setup-token`), or CLAUDE_CODE_OAUTH_TOKEN_FILE=path
  none of the two   Claude Code asks you to log in; the login is kept in the project's claude-home volume
TXT
}

# The keys .env may set (.env.example documents each); anything else in .env is ignored with a
# warning, so that a .env cannot steer run.sh or compose (PYTHONPATH, LD_PRELOAD, BASH_ENV, COMPOSE_*).
SETTINGS=(
    GITHUB_TOKEN GITHUB_TOKEN_FILE GITHUB_APP_ID GITHUB_APP_PRIVATE_KEY_FILE GITHUB_APP_INSTALLATION_ID GITHUB_APP_WORKFLOWS
    ALLOWED_REPOS ALLOW_OTHER_REPO_READS ALLOW_PR_APPROVE PR_BASE_BRANCHES
    ANTHROPIC_API_KEY_FILE ANTHROPIC_KEY_FILE ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN_FILE
    BLOCKED_BRANCHES ALLOWED_BRANCH_PATTERNS ALLOW_FORCE_PUSH ALLOW_BRANCH_DELETE ALLOW_TAG_UPDATES
    ALLOW_PR_MERGE ALLOWED_API_WRITES PROTECTED_PATHS SECRET_SCAN SECRET_SCAN_ALLOW
    AGENT_SOCKET_DIR AGENT_WORKSPACE AGENT_ALLOWED_UIDS GITHUB_URL GITHUB_API_URL ANTHROPIC_API_URL AGENT_CA_FILE
    AGENT_AUDIT_LOG AGENT_STATE_DIR AGENT_WORKSPACE_GUARD EGRESS_ALLOWED_HOSTS
    PROJECT_DIR CLAUDE_UID CLAUDE_GID AGENT_UID AGENT_GID CLAUDE_HOME_VOLUME CONTAINER_ENGINE
    AGENT_MEMORY_LIMIT CLAUDE_MEMORY_LIMIT
    INSTALL_CLAUDE CLAUDE_INSTALL BUILDER_IMAGE BASE_IMAGE BINARIES PREBUILT_CONFIGURATION IMAGE_TAG
)
is_setting() {
    local key
    for key in "${SETTINGS[@]}"; do [ "$key" != "$1" ] || return 0; done
    return 1
}

# Secrets given as values: run.sh keeps them in its own variables, never in a program's
# environment (not even podman's or compose's), and writes them into files for the agent.
is_secret() { [[ "$1" == GITHUB_TOKEN || "$1" == ANTHROPIC_API_KEY || "$1" == CLAUDE_CODE_OAUTH_TOKEN ]]; }

# The programs run.sh itself needs (the container tools are checked in find_compose).
require_tools() {
    local tool missing=()
    for tool in realpath cksum find sort tr head tail cat grep mkdir mktemp mv rm chmod id; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] || die "needs ${missing[*]}, not found on PATH (coreutils, findutils, grep)"
}

# Reads .env as data, never as a script: KEY=VALUE lines (optionally `export KEY=VALUE`, values
# optionally in matching quotes), # comments. Only documented keys are taken; a value the
# environment already has (non-empty) wins. A malformed line is named by its number only (it
# may be a pasted secret), a value no program could be given (over 128 KiB) by its key.
load_env_file() {
    local file=$1 line key value number=0 problems=() LC_ALL=C
    [ -f "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        number=$((number + 1))
        line=${line%$'\r'}
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        if ! [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
            problems+=("$file: line $number is not KEY=VALUE (its text is not shown: it may hold a secret)")
            continue
        fi
        key=${BASH_REMATCH[2]}
        value=${BASH_REMATCH[3]}
        if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
        if ! is_setting "$key"; then
            say "$file: line $number sets $key, which is not a setting of run.sh (see .env.example): ignored"
            continue
        fi
        # A program gets at most 128 KiB per environment entry (MAX_ARG_STRLEN, KEY=VALUE and its NUL).
        if [ $((${#key} + ${#value} + 2)) -gt 131072 ]; then
            problems+=("$file: the value of $key is longer than 128 KiB (${#value} bytes): no program can be given it")
            continue
        fi
        [ -z "${!key:-}" ] || continue
        if is_secret "$key"; then printf -v "$key" '%s' "$value"; else export "$key=$value"; fi
    done <"$file"
    if [ ${#problems[@]} -gt 0 ]; then
        printf 'run.sh: %s\n' "${problems[@]}" >&2
        exit 1
    fi
}

# podman + podman-compose, or docker + docker compose (or docker-compose), whichever is
# installed (CONTAINER_ENGINE=podman|docker picks one); each missing piece is named, and an
# engine that does not answer (no Docker daemon, no podman machine) is one line.
find_compose() {
    local wanted=${CONTAINER_ENGINE:-}
    [[ -z "$wanted" || "$wanted" == podman || "$wanted" == docker ]] || die "CONTAINER_ENGINE must be podman or docker, not '$wanted'"
    if [[ "$wanted" != docker ]] && command -v podman >/dev/null && command -v podman-compose >/dev/null; then
        ENGINE=podman
        COMPOSE=(podman-compose)
    elif [[ "$wanted" != podman ]] && command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
        ENGINE=docker
        COMPOSE=(docker compose)
    elif [[ "$wanted" != podman ]] && command -v docker >/dev/null && command -v docker-compose >/dev/null; then
        ENGINE=docker
        COMPOSE=(docker-compose)
    else
        if [[ "$wanted" != docker ]] && command -v podman >/dev/null; then
            say "podman is installed, but podman-compose is not: pip install podman-compose (or install docker and docker compose)"
        elif [[ "$wanted" != podman ]] && command -v docker >/dev/null; then
            say "docker is installed, but neither docker compose (the plugin) nor docker-compose is"
        fi
        cat >&2 <<'TXT'
run.sh: neither podman + podman-compose nor docker + docker compose is installed. Install one:
  macOS:          brew install podman podman-compose && podman machine init && podman machine start
  Fedora/RHEL:    sudo dnf install podman podman-compose
  Ubuntu/Debian:  sudo apt install podman && pip install podman-compose
TXT
        exit 1
    fi
    if ! "$ENGINE" info >/dev/null 2>&1; then
        [ "$ENGINE" = docker ] && die "docker cannot reach the Docker daemon ('docker info' fails): start it (sudo systemctl start docker), or use podman"
        die "podman does not answer ('podman info' fails): on macOS, start its machine (podman machine start)"
    fi
    # No project .env for compose: it would honour any variable there (COMPOSE_*, PODMAN_*).
    COMPOSE+=(--env-file "$EMPTY_FILE" -p "$SESSION" -f "$ROOT/compose.yml")
    for extra in ${COMPOSE_EXTRA_FILES:-}; do COMPOSE+=(-f "$extra"); done
    # Docker gives a non-root user none of the capabilities compose adds (they stay in the
    # bounding set: moby#8460), and the agent needs two to write into your workspace: under
    # Docker it runs as uid 0, still not claude's uid, with only those two.
    if [ -z "${AGENT_UID:-}" ]; then
        if [ "$ENGINE" = docker ]; then AGENT_UID=0 AGENT_GID=0; else AGENT_UID=64000 AGENT_GID=64000; fi
    fi
    AGENT_GID=${AGENT_GID:-$AGENT_UID}
    [ "$AGENT_UID" != "$CLAUDE_UID" ] || die "AGENT_UID and CLAUDE_UID are both $CLAUDE_UID: the agent needs a uid of its own, or claude could replace its sockets"
    # The Containerfile uses RUN --mount, which needs BuildKit: docker-compose 1.29 and Docker 20.10
    # would use the legacy builder (which also builds every stage, the Swift one too).
    [ "$ENGINE" != docker ] || export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
    # podman and Docker spell a tmpfs's owner differently; claude's home is one.
    if [ "$ENGINE" = podman ]; then CLAUDE_HOME_TMPFS=mode=0700,U; else CLAUDE_HOME_TMPFS=mode=0700,uid=$CLAUDE_UID,gid=$CLAUDE_GID; fi
    export AGENT_UID AGENT_GID CLAUDE_HOME_TMPFS
}

# Picks the Anthropic credential the agent will hold (at most one source) and how it gets there:
# always as the file secret `anthropic_credential`, mounted into the agent only (a value given
# in the environment is written to the session's secret folder first).
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
    ANTHROPIC_CREDENTIAL_FILE=$EMPTY_FILE AGENT_ANTHROPIC_API_KEY_FILE= AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE=
    ANTHROPIC_CREDENTIAL_SOURCE=
    if [ ${#sources[@]} -gt 1 ]; then
        problems+=("set only one Anthropic credential, not ${sources[*]}")
    elif [ ${#sources[@]} -eq 0 ]; then
        say "no Anthropic credential for the agent (~/.anthropic_key, ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN): Claude Code will ask you to log in, and keeps the login in the project's claude-home volume"
    else
        ANTHROPIC_CREDENTIAL_SOURCE=${sources[0]}
        if [[ "${sources[0]}" == *_FILE ]]; then
            ANTHROPIC_CREDENTIAL_FILE=${!sources[0]}
            if [ ! -f "$ANTHROPIC_CREDENTIAL_FILE" ] || [ ! -r "$ANTHROPIC_CREDENTIAL_FILE" ]; then
                problems+=("${sources[0]}: $ANTHROPIC_CREDENTIAL_FILE is not a readable file")
            else
                ANTHROPIC_CREDENTIAL_FILE=$(realpath -- "$ANTHROPIC_CREDENTIAL_FILE")
                secret_files+=("$ANTHROPIC_CREDENTIAL_FILE")
            fi
        elif [[ "${!sources[0]}" =~ [[:space:]] ]]; then
            problems+=("${sources[0]} contains spaces or newlines")
        fi
        case "${sources[0]}" in
            ANTHROPIC_API_KEY*) AGENT_ANTHROPIC_API_KEY_FILE=/run/secrets/anthropic_credential ;;
            *) AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE=/run/secrets/anthropic_credential ;;
        esac
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
    [ "$directory" = / ] || [ "$file" = "$directory" ] || [[ "$file" == "$directory"/* ]]
}

# Whether directory A is directory B or lies below it, compared by identity (device and inode):
# another path to the same folder (a bind mount, another spelling) is seen through.
is_within() {
    local a
    a=$(realpath -e -- "$1" 2>/dev/null) || return 1
    while :; do
        [ ! "$a" -ef "$2" ] || return 0
        [ "$a" != / ] || return 1
        a=${a%/*} a=${a:-/}
    done
}

# One line per problem with the settings; nothing is started when there is one.
validate_settings() {
    local problems=() secret_files=() key value file
    [ ! -f "$ROOT/.env" ] || secret_files+=("$ROOT/.env")
    GITHUB_TOKEN_SOURCE=
    if [ -n "${GITHUB_APP_ID:-}" ]; then
        [ -z "${GITHUB_TOKEN:-}${GITHUB_TOKEN_FILE:-}" ] || problems+=("GITHUB_TOKEN and GITHUB_APP_ID are both set: keep one (a token, or a GitHub App)")
        [[ "$GITHUB_APP_ID" =~ ^[0-9]+$ ]] || problems+=("GITHUB_APP_ID must be the App's id (a number), not '$GITHUB_APP_ID'")
        [ -r "${GITHUB_APP_PRIVATE_KEY_FILE:-}" ] || problems+=("GITHUB_APP_ID needs GITHUB_APP_PRIVATE_KEY_FILE, the App's private key (PEM) file")
        [ ! -f "${GITHUB_APP_PRIVATE_KEY_FILE:-}" ] || secret_files+=("$GITHUB_APP_PRIVATE_KEY_FILE")
    elif [ -n "${GITHUB_APP_PRIVATE_KEY_FILE:-}${GITHUB_APP_INSTALLATION_ID:-}" ]; then
        problems+=("GITHUB_APP_PRIVATE_KEY_FILE and GITHUB_APP_INSTALLATION_ID need GITHUB_APP_ID too")
    elif [ -n "${GITHUB_TOKEN:-}" ] && [ -n "${GITHUB_TOKEN_FILE:-}" ]; then
        problems+=("GITHUB_TOKEN and GITHUB_TOKEN_FILE are both set: keep one")
    elif [ -n "${GITHUB_TOKEN_FILE:-}" ]; then
        if [ -f "$GITHUB_TOKEN_FILE" ] && [ -r "$GITHUB_TOKEN_FILE" ]; then
            GITHUB_TOKEN_SOURCE=$(realpath -- "$GITHUB_TOKEN_FILE")
            secret_files+=("$GITHUB_TOKEN_SOURCE")
        else
            problems+=("GITHUB_TOKEN_FILE: $GITHUB_TOKEN_FILE is not a readable file")
        fi
    elif [ -z "${GITHUB_TOKEN:-}" ]; then
        problems+=("GITHUB_TOKEN is not set: export it, or put GITHUB_TOKEN=... in $ROOT/.env (or set up a GitHub App: GITHUB_APP_ID)")
    elif [[ "$GITHUB_TOKEN" =~ [[:space:]] ]]; then
        problems+=("GITHUB_TOKEN contains spaces or newlines")
    else
        GITHUB_TOKEN_SOURCE=value
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
    [[ -z "${IMAGE_TAG:-}" || "$IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || problems+=("IMAGE_TAG is not an image tag: '$IMAGE_TAG'")
    for key in CLAUDE_UID CLAUDE_GID AGENT_UID AGENT_GID; do
        value=${!key:-}
        [[ -z "$value" || "$value" =~ ^[0-9]+$ ]] || problems+=("$key must be a number, not '$value'")
    done
    choose_anthropic_credential
    if [ ! -d "$PROJECT_DIR" ]; then
        problems+=("PROJECT_DIR $PROJECT_DIR is not a directory")
    else
        # The project is mounted into the claude container, writable: it must not hold what you
        # run next (this tool), nor the secrets this run reads.
        local holds_tool=
        for file in "$ROOT/run.sh" "$ROOT/compose.yml" "$ROOT/images" "$ROOT/.env"; do
            if [ -e "$file" ] && is_inside "$file" "$PROJECT_DIR"; then
                problems+=("will not mount $PROJECT_DIR into the claude container: it holds this tool's own files ($file), which the session could change before you run them next (run ./run.sh from your project's directory, or set PROJECT_DIR)")
                holds_tool=1
                break
            fi
        done
        # Inside the checkout (its sources and images/ go into the agent's image), or the checkout
        # under another path (a bind mount): compared by device and inode.
        if [ -z "$holds_tool" ] && is_within "$ROOT" "$PROJECT_DIR"; then
            problems+=("will not mount $PROJECT_DIR into the claude container: it holds this tool's checkout ($ROOT) under another path, which the session could change before you run it next (run ./run.sh from your project's directory, or set PROJECT_DIR)")
            holds_tool=1
        elif [ -z "$holds_tool" ] && is_within "$PROJECT_DIR" "$ROOT"; then
            problems+=("will not mount $PROJECT_DIR into the claude container: it lies inside this tool's checkout ($ROOT), which the session could change before you run it next (run ./run.sh from your project's directory, or set PROJECT_DIR)")
            holds_tool=1
        fi
        # The folder the token file is written to (secrets_dir) must not be in the workspace.
        file=$(secrets_dir)
        file=${file%/*/*}
        if [ -z "$holds_tool" ] && is_within "$file" "$PROJECT_DIR"; then
            problems+=("will not mount $PROJECT_DIR into the claude container: it contains $file, where the session's secret files would go (set XDG_RUNTIME_DIR or TMPDIR to a folder outside the project)")
        fi
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

# The session's own folder for secret files, private to you, on a tmpfs where there is one
# ($XDG_RUNTIME_DIR, or /run as root): compose mounts them into the agent as secrets, so no
# secret is ever a container's environment variable (podman inspect, ps, every exec's env).
# It lives while the session's agent may (re)start; --stop removes it.
secrets_dir() {
    local base=${XDG_RUNTIME_DIR:-}
    if [ -z "$base" ] || [ ! -d "$base" ]; then
        if [ "$(id -u)" = 0 ] && [ -d /run ] && [ -w /run ]; then base=/run; else base=${TMPDIR:-/tmp}; fi
    fi
    printf '%s/claude-code-%s/%s' "${base%/}" "$(id -u)" "$SESSION"
}

# Writes the secrets given as values into the session's folder (by the shell itself: no program
# sees them in its arguments) and points compose at the files; then forgets the values.
write_secret_files() {
    local directory parent
    directory=$(secrets_dir)
    parent=${directory%/*}
    for path in "$parent" "$directory"; do
        [ -d "$path" ] || mkdir -m 700 "$path" || die "cannot make $path for the session's secrets"
        [ -O "$path" ] && [ ! -L "$path" ] || die "$path is not your own folder: it cannot hold the session's secrets"
        chmod 700 "$path"
    done
    GITHUB_TOKEN_SECRET_FILE=$EMPTY_FILE AGENT_GITHUB_TOKEN_FILE=
    if [ "$GITHUB_TOKEN_SOURCE" = value ]; then
        (umask 077 && printf '%s' "$GITHUB_TOKEN" >"$directory/github_token")
        GITHUB_TOKEN_SECRET_FILE=$directory/github_token
    elif [ -n "$GITHUB_TOKEN_SOURCE" ]; then
        GITHUB_TOKEN_SECRET_FILE=$GITHUB_TOKEN_SOURCE
    fi
    [ "$GITHUB_TOKEN_SECRET_FILE" = "$EMPTY_FILE" ] || AGENT_GITHUB_TOKEN_FILE=/run/secrets/github_token
    case "$ANTHROPIC_CREDENTIAL_SOURCE" in
        ANTHROPIC_API_KEY | CLAUDE_CODE_OAUTH_TOKEN)
            (umask 077 && printf '%s' "${!ANTHROPIC_CREDENTIAL_SOURCE}" >"$directory/anthropic_credential")
            ANTHROPIC_CREDENTIAL_FILE=$directory/anthropic_credential
            ;;
    esac
    unset GITHUB_TOKEN ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN
    export GITHUB_TOKEN_SECRET_FILE AGENT_GITHUB_TOKEN_FILE ANTHROPIC_CREDENTIAL_FILE
}

# One session per project: the compose project (and so the containers, the volumes, the agent)
# is named after the project directory, with a checksum of its path so that two folders of
# the same name stay apart: claude-code-<folder>-<crc32 of the path>.
session_name() {
    local base crc
    base=$(printf '%s' "${1##*/}" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_-' '-')
    crc=$(printf '%s' "$1" | cksum)
    printf 'claude-code-%s-%08x' "$(printf '%s' "${base:-root}" | head -c 24)" "${crc%% *}"
}

prepare() {
    local key
    require_tools
    export -n GITHUB_TOKEN ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN 2>/dev/null || true
    # A relative PROJECT_DIR you set is relative to where you are; one from .env, to the checkout.
    if [[ -n "${PROJECT_DIR:-}" && "$PROJECT_DIR" != /* ]]; then PROJECT_DIR=$CALLER_DIR/$PROJECT_DIR; fi
    load_env_file "$ROOT/.env"
    PROJECT_DIR=${PROJECT_DIR:-$CALLER_DIR}
    # Absolute and physical, when it exists; validate_settings reports it when it does not.
    if [ -d "$PROJECT_DIR" ]; then PROJECT_DIR=$(cd "$PROJECT_DIR" && pwd -P); fi
    SESSION=$(session_name "$PROJECT_DIR")
    export PROJECT_DIR SESSION
    export CLAUDE_UID=${CLAUDE_UID:-$(id -u)} CLAUDE_GID=${CLAUDE_GID:-$(id -g)}
    # Ids are numbers to the engine (01000 is uid 1000, 00 is root): compare them as numbers.
    for key in CLAUDE_UID CLAUDE_GID AGENT_UID AGENT_GID; do
        [[ ! "${!key:-}" =~ ^0*([0-9]+)$ ]] || export "$key=${BASH_REMATCH[1]}"
    done
    # Root's files in the workspace would be root's in the container too; use the default user then.
    [ "$CLAUDE_UID" != 0 ] || export CLAUDE_UID=1000 CLAUDE_GID=1000
    # ~/.claude (settings, hooks, transcripts) is the session's own unless you name a volume to share.
    export CLAUDE_HOME_VOLUME=${CLAUDE_HOME_VOLUME:-${SESSION}_claude-home}
    # Labels that find this checkout's sessions (--stop --all) and say whose project each is.
    export CLAUDE_CODE_CHECKOUT=$ROOT
    # Both containers' syscall filter, by absolute path (compose takes it as the engine's option).
    export CLAUDE_CODE_SECCOMP=$ROOT/images/seccomp.json
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
    command -v swift >/dev/null || die "BINARIES=prebuilt needs swift (a Swift 6 toolchain) on this machine"
    command -v strip >/dev/null || die "BINARIES=prebuilt needs strip (binutils) on this machine"
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

# Docker builds the Containerfile with BuildKit: clients before 23 have it built in, later ones
# only through the buildx plugin.
docker_can_build() {
    docker buildx version >/dev/null 2>&1 && return 0
    DOCKER_CLIENT_VERSION=$(docker version --format '{{.Client.Version}}' 2>/dev/null) || DOCKER_CLIENT_VERSION=unknown
    [[ "$DOCKER_CLIENT_VERSION" =~ ^(1[0-9]|2[0-2])\. ]]
}

build_images() {
    [ "$ENGINE" != docker ] || docker_can_build ||
        die "the Docker client ($DOCKER_CLIENT_VERSION) builds with BuildKit only through its buildx plugin, which is missing: install docker-buildx-plugin (Docker's packages) or docker-buildx (Debian, Ubuntu), or use podman"
    if [ "${BINARIES:-build}" = prebuilt ]; then
        compile_products_here
        # The Swift stage is not built then; naming the base image for it keeps a builder that
        # resolves every stage's image from looking for a Swift image (offline, none is there).
        export BUILDER_IMAGE=${BUILDER_IMAGE:-${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}}
    fi
    # One Containerfile, two targets: the second build takes the compiled products from the cache.
    "${COMPOSE[@]}" build agent
    "${COMPOSE[@]}" build claude
}

images_exist() {
    "$ENGINE" image inspect localhost/claude-code-agent:${IMAGE_TAG:-latest} localhost/claude-code-claude:${IMAGE_TAG:-latest} >/dev/null 2>&1
}

# Asks the agent for its state from the claude side, as Claude Code will reach it (the agent's
# image holds no status client); --wait gives a just-started agent time to listen.
agent_status() {
    "${COMPOSE[@]}" run --rm --no-deps -T --entrypoint agent-status claude "$@"
}

# The session's containers (all, or one service's), by the labels compose gives them.
session_containers() {
    "$ENGINE" ps -a -q --filter "label=com.docker.compose.project=$SESSION" ${1:+--filter "label=com.docker.compose.service=$1"}
}

# Claude starts only once the agent is healthy: it answers, holds a token and GitHub accepts it
# (agent-status exits non-zero otherwise, with the reason). Leaves its status (JSON) in
# AGENT_STATUS_JSON.
wait_for_agent() {
    local errors reason agent
    errors=$(mktemp)
    if AGENT_STATUS_JSON=$(agent_status --wait 30 --timeout 5 --json 2>"$errors"); then
        rm -f "$errors"
        return 0
    fi
    reason=$(grep '^agent-status: ' "$errors" | tail -n 1)
    rm -f "$errors"
    agent=$(session_containers agent | head -n 1)
    [ -z "$agent" ] || "$ENGINE" logs --tail 20 "$agent" >&2 2>&1 || true
    # An agent that is not healthy holds the token for nothing: it does not stay (nor restart).
    "${COMPOSE[@]}" down >/dev/null 2>&1 || true
    rm -rf -- "$(secrets_dir)"
    die "${reason#agent-status: }; Claude Code was not started and the agent was stopped (its last log lines are above)"
}

# A session name is a 32-bit checksum of the path: should another project's session already carry
# this one's name, nothing of it is reused.
refuse_another_projects_session() {
    local ids owner
    ids=$(session_containers)
    [ -n "$ids" ] || return 0
    # shellcheck disable=SC2086 # one id per word
    owner=$("$ENGINE" inspect --format '{{index .Config.Labels "io.claude-code.project"}}' $ids | sort -u | grep -vxF -- "$PROJECT_DIR" | head -n 1) || true
    [ -z "$owner" ] || die "session $SESSION belongs to another project ($owner); stop it there first (./run.sh --stop)"
}

start_claude() {
    validate_settings
    find_compose
    refuse_another_projects_session
    images_exist || build_images
    forget_socket_volume
    write_secret_files
    say "session $SESSION for $PROJECT_DIR"
    "${COMPOSE[@]}" up -d agent >/dev/null
    wait_for_agent
    # ALLOWED_REPOS defaults to the workspace's GitHub remotes; without any, every write is refused.
    if grep -q '"reach_allowed_repos":\[\]' <<<"$AGENT_STATUS_JSON"; then
        say "no GitHub remote in $PROJECT_DIR and no ALLOWED_REPOS: git push and gh writes are refused until ALLOWED_REPOS is set"
    fi
    "${COMPOSE[@]}" run --rm claude "$@"
}

open_shell() {
    validate_settings
    find_compose
    refuse_another_projects_session
    forget_socket_volume
    write_secret_files
    say "a shell in session $SESSION for $PROJECT_DIR"
    "${COMPOSE[@]}" up -d agent >/dev/null
    wait_for_agent
    "${COMPOSE[@]}" run --rm claude bash
}

# The agent's log: audit lines made readable by agent-status (from the claude image: this machine
# may have no Swift), or raw with --json.
show_logs() {
    local container
    container=$(session_containers agent | head -n 1)
    [ -n "$container" ] || die "no agent in session $SESSION for $PROJECT_DIR (start it with ./run.sh)"
    say "the agent's log of session $SESSION for $PROJECT_DIR"
    if [ "${1:-}" = --json ]; then
        exec "$ENGINE" logs -f "$container"
    fi
    "$ENGINE" logs -f "$container" 2>&1 | "$ENGINE" run --rm -i --network none --read-only --cap-drop ALL \
        --security-opt no-new-privileges --entrypoint agent-status localhost/claude-code-claude:${IMAGE_TAG:-latest} --format-log
}

show_status() {
    if [ -z "$(session_containers agent)" ]; then
        say "no session $SESSION for $PROJECT_DIR (start it with ./run.sh)"
        show_quarantine
        return 1
    fi
    say "session $SESSION for $PROJECT_DIR"
    "${COMPOSE[@]}" ps
    agent_status || true
    show_quarantine
}

# Stops and removes every container of this session: the sessions `compose run` started are not
# the service's own container, so `down` alone would leave them (and the agent they require).
stop_session() {
    local sessions
    if [ -z "$(session_containers)" ]; then
        forget_socket_volume
        rm -rf -- "$(secrets_dir)"
        say "no session $SESSION for $PROJECT_DIR was running"
        return 0
    fi
    sessions=$(session_containers claude)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$sessions" ] || "$ENGINE" rm -f $sessions >/dev/null
    "${COMPOSE[@]}" down >/dev/null 2>&1 || "${COMPOSE[@]}" down
    forget_socket_volume
    rm -rf -- "$(secrets_dir)"
    [ -z "$(session_containers)" ] || die "session $SESSION for $PROJECT_DIR: some containers are still there ($ENGINE ps -a)"
    say "stopped session $SESSION for $PROJECT_DIR"
}

# --stop --all: every session this checkout started (found by its label), whatever the project.
stop_all_sessions() {
    local ids line sessions=() session project count=0 failed=0
    ids=$("$ENGINE" ps -a -q --filter "label=io.claude-code.checkout=$ROOT")
    if [ -z "$ids" ]; then
        say "no session of this checkout ($ROOT) is running"
        return 0
    fi
    # shellcheck disable=SC2086 # one id per word
    while IFS= read -r line; do sessions+=("$line"); done < <("$ENGINE" inspect --format \
        '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "io.claude-code.project"}}' $ids | sort -u)
    for line in "${sessions[@]}"; do
        session=${line%% *} project=${line#* }
        [ -n "$session" ] || continue
        if (
            SESSION=$session PROJECT_DIR=$project
            find_compose
            stop_session
        ); then count=$((count + 1)); else failed=1; fi
    done
    say "stopped $count session(s) of this checkout"
    return $failed
}

# The socket volume holds only sockets; made afresh, it takes its owner and mode from the agent
# image (a volume an older image made may have others; the agent refuses those). Kept while an
# agent runs, and while any container has it: never forced, `volume rm -f` would remove the
# containers using it, a running Claude session among them.
forget_socket_volume() {
    [ -n "$("$ENGINE" ps -q --filter "label=com.docker.compose.project=$SESSION" --filter label=com.docker.compose.service=agent)" ] ||
        "$ENGINE" volume rm "${SESSION}_agent-run" >/dev/null 2>&1 || true
}

run_tests() {
    "$ROOT/Tests/run-tests.sh"
}

run_agent_locally() {
    load_env_file "$ROOT/.env"
    # Here the agent is a process of yours: it reads the secrets from its environment, then wipes them.
    export GITHUB_TOKEN ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN
    export AGENT_SOCKET_DIR=${AGENT_SOCKET_DIR:-$ROOT/.run}
    export AGENT_WORKSPACE=${AGENT_WORKSPACE:-$ROOT}
    # Outside the workspace (the agent refuses a state directory the session could write).
    export AGENT_STATE_DIR=${AGENT_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/command-agent}
    mkdir -p "${AGENT_STATE_DIR%/*}"
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
    local name=$SESSION service ids
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
    --stop)
        prepare
        find_compose
        if [ "${2:-}" = --all ]; then stop_all_sessions; else refuse_another_projects_session && stop_session; fi
        ;;
    --shell) prepare; open_shell ;;
    --logs) prepare; find_compose; show_logs "${2:-}" ;;
    --status) prepare; find_compose; show_status ;;
    --quarantine) prepare; show_quarantine ;;
    --restore) prepare; restore_quarantined "${2:-}" ;;
    --test) run_tests ;;
    --agent) require_tools; run_agent_locally ;;
    --help | -h) usage ;;
    *) usage >&2; die "unknown command: $1" ;;
esac
