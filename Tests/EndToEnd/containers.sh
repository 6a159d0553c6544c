#!/usr/bin/env bash
# End-to-end test with real containers and the real Claude Code CLI. Builds both images once
# (the Swift binaries compiled on this machine, the CLI from its pinned wheel), starts them with
# ./run.sh as a person would, and checks from inside the claude container: the network, the
# secrets (GitHub token and Anthropic key: in no environment, file, transcript, log or inspect
# output), git, gh, egress, a `claude -p` session whose tool calls clone, commit, push and open a
# pull request, the agent's restart, then the interactive CLI under tmux (interactive.sh). Also
# the session as deployed (checks-deployment.sh), a second project at the same time
# (second-project.sh), and, when a Docker daemon answers, the same compose.yml with Docker (docker.sh).
# Everything runs against fixtures on this machine's loopback; the claude container has no network.
#   env: SHARED_DIR (for ci/container-host.sh), KEEP_E2E=1 keeps the containers and work folder
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd -P)
E2E=$ROOT/Tests/EndToEnd
SHARED=${SHARED_DIR:-$ROOT/../shared}
ARTIFACTS=$E2E/artifacts
CANARY=ghp_CANARY0123456789abcdefCANARYtokenXYZ
ANTHROPIC_CANARY=sk-ant-api03-CANARYanthropicKEY0123456789abcdefXYZ
OAUTH_CANARY=sk-ant-oat01-CANARYoauthTOKEN0123456789abcdefXYZ
PLACEHOLDER=placeholder-the-agent-adds-the-real-credential
failures=0
started=$(date +%s)
say() { printf 'e2e: %s\n' "$*" >&2; }
check() {  # check NAME COMMAND...: runs the command, reports ok or FAILED
    local name=$1; shift
    if "$@" >"$work/check.out" 2>&1; then say "ok: $name"; else say "FAILED: $name"; sed 's/^/    /' "$work/check.out" >&2; failures=$((failures + 1)); fi
}
# Polls until COMMAND succeeds (readiness, bounded by TRIES × 0.2 s); returns its status.
wait_for() {
    local tries=$1; shift
    for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    "$@"
}

if [ "$(id -u)" = 0 ]; then
    BASE_IMAGE=$(bash "$SHARED/ci/container-host.sh" | tail -n 1)
else
    BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
fi
# The images take the debug build the tests already made (with the Swift runtime beside it),
# not a second, release compile of the same sources.
export BASE_IMAGE BINARIES=prebuilt PREBUILT_CONFIGURATION=debug INSTALL_CLAUDE=true
# The test's images have their own tag, one per checkout: they replace neither your images nor
# those of a test running from another checkout at the same time.
IMAGE_TAG=e2e-$(printf '%s' "$ROOT" | cksum | cut -d ' ' -f 1)
export IMAGE_TAG
export COMPOSE_EXTRA_FILES="$E2E/compose.e2e.yml $E2E/compose.e2e-idle.yml"
# Each project has its own session (compose project, agent, volumes), found by the label
# run.sh gives its containers; PROJECT_DIR picks the project (the first one unless told).
project_label() { echo "label=io.claude-code.project=${1:-$PROJECT_DIR}"; }
container_of() { podman ps --filter "$(project_label "${2:-}")" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1; }
# The claude session run.sh started (not one of its short-lived agent-status checks).
session_container() {
    podman ps --filter "$(project_label "${1:-}")" --filter label=com.docker.compose.service=claude --format '{{.Names}} {{.Command}}' \
        | awk '/sleep infinity/ { print $1; exit }'
}
# Everything this checkout's sessions left (containers), for the checks that nothing is left.
checkout_containers() { podman ps -a -q --filter "label=io.claude-code.checkout=$ROOT"; }
no_container_of() { [ -z "$(podman ps -a -q --filter "$(project_label "${1:-}")")" ]; }
no_checkout_container() { [ -z "$(checkout_containers)" ]; }

work=$(mktemp -d /tmp/claude-e2e.XXXXXX)
# The person's terminal (interactive.sh): a tmux server of this run's own, which another test
# running on the machine at the same time neither sees nor stops.
TMUX_SERVER=claude-e2e-$$
fixture_pid= run_pid= run_two_pid= run_docker_pid=
cleanup() {
    [ "${KEEP_E2E:-}" = 1 ] && { say "kept: $work and the containers"; return; }
    # run.sh first: a session it has yet to start would bring the agent back up.
    for pid in $run_pid $run_two_pid $run_docker_pid; do { kill -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true; done
    ./run.sh --stop --all >/dev/null 2>&1 || true
    tmux -L "$TMUX_SERVER" kill-server 2>/dev/null || true
    for session in ${sessions_used:-}; do
        podman volume rm -f "${session}_agent-run" "${session}_agent-state" "${session}_claude-home" >/dev/null 2>&1 || true
    done
    [ -z "$fixture_pid" ] || kill -- -"$fixture_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"

say "fixture servers (git over smart HTTP demanding the token, the GitHub API, the Messages API)"
swift build --product fixture-servers >&2
FIXTURES=$(swift build --show-bin-path)/fixture-servers
mkdir -p "$work/records"
setsid "$FIXTURES" serve --record-directory "$work/records" >"$work/ports" 2>"$work/fixtures.err" &
fixture_pid=$!
wait_for 300 grep -q anthropic= "$work/ports" || { cat "$work/fixtures.err" >&2; exit 1; }
read -r git_part api_part anthropic_part <"$work/ports"
GIT_PORT=${git_part#git=} API_PORT=${api_part#api=} ANTHROPIC_PORT=${anthropic_part#anthropic=}

# The project and the key file belong to the container's user, as a person's own files would.
mkdir -p "$work/project" "$work/project-two"
printf '%s\n' "$ANTHROPIC_CANARY" >"$work/anthropic_key"
chmod 0600 "$work/anthropic_key"
chown 1000:1000 "$work/project" "$work/project-two" "$work/anthropic_key" 2>/dev/null || chmod 0644 "$work/anthropic_key"
export PROJECT_DIR=$work/project GITHUB_TOKEN=$CANARY ANTHROPIC_API_KEY_FILE=$work/anthropic_key
export GITHUB_URL=http://127.0.0.1:$GIT_PORT GITHUB_API_URL=http://127.0.0.1:$API_PORT ANTHROPIC_API_URL=http://127.0.0.1:$ANTHROPIC_PORT
export EGRESS_ALLOWED_HOSTS="[\"127.0.0.1:$API_PORT\"]" ALLOWED_BRANCH_PATTERNS='["claude/**"]'
# The project is empty when the agent starts (the session clones into it): name the repository
# the token may write to, since the default (the workspace's GitHub remotes) would be none.
export ALLOWED_REPOS='["o/app"]'
upstream_ref() {  # the fixture server's value of a ref of o/app, read without the agent
    GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$work git ls-remote \
        "http://x-access-token:$CANARY@127.0.0.1:$GIT_PORT/o/app.git" "$1" | cut -f1
}
main_before=$(upstream_ref refs/heads/main)

# The CLI's wheel (180 MB) is downloaded once into a cache outside the checkout, with pip on this
# machine (which trusts whatever TLS setup the machine has), and handed to the image build.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/claude-code
rm -f images/claude/wheels/*.whl
if python3 -m pip --version >/dev/null 2>&1; then
    say "the Claude Code CLI wheel, cached in $cache"
    python3 -m pip download -q --no-deps --only-binary=:all: --require-hashes --disable-pip-version-check \
        -r images/claude/claude-code.requirements -d "$cache" >&2
    for wheel in "$cache"/claude_agent_sdk-"$(sed -n 's/^claude-agent-sdk==\([^ ]*\).*/\1/p' images/claude/claude-code.requirements)"-*"$(uname -m)".whl; do
        ln -f "$wheel" images/claude/wheels/ 2>/dev/null || cp "$wheel" images/claude/wheels/
    done
else
    say "no pip on this machine: the image build downloads the Claude Code CLI from PyPI itself"
fi

say "building the images (the Swift binaries: the debug build the tests made, as it is)"
build_started=$(date +%s)
./run.sh --build >"$ARTIFACTS/build.log" 2>&1 || { tail -50 "$ARTIFACTS/build.log" >&2; exit 1; }
say "built in $(($(date +%s) - build_started)) s: agent $(podman image inspect --format '{{.Size}}' localhost/claude-code-agent:${IMAGE_TAG:-latest} | numfmt --to=si)B, claude $(podman image inspect --format '{{.Size}}' localhost/claude-code-claude:${IMAGE_TAG:-latest} | numfmt --to=si)B"

say "starting ./run.sh (the claude container idles, so that the test can exec into it)"
setsid ./run.sh </dev/null >"$work/run.log" 2>&1 &
run_pid=$!
claude_started() { [ -n "$(session_container)" ]; }
wait_for 600 claude_started || { cat "$work/run.log" >&2; exit 1; }
agent=$(container_of agent)
claude=$(session_container)
session=$(podman inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' "$agent")
sessions_used="$session"
in_claude() { podman exec -w /workspace "$claude" sh -c "$1"; }
wait_for 100 in_claude 'agent-status --timeout 2' || true

source "$E2E/checks-sandbox.sh"
source "$E2E/checks-deployment.sh"
source "$E2E/checks-claude-cli.sh"
source "$E2E/second-project.sh"

say "the agent dies: compose's restart policy brings it back"
agent_pid=$(podman inspect --format '{{.State.Pid}}' "$agent")
kill -KILL "$agent_pid"
restarted() { [ "$(podman inspect --format '{{.RestartCount}}' "$agent")" -ge 1 ] && in_claude 'agent-status --timeout 2 | grep -q ": healthy"'; }
check "a killed agent is restarted and serves again" wait_for 150 restarted
check "git works again after the restart" in_claude 'git ls-remote https://github.com/o/app.git refs/heads/main | grep -q refs/heads/main'

say "./run.sh --logs: the audit lines for a person (the agent stopped, so that the log ends)"
podman stop "$agent" >/dev/null
./run.sh --logs >"$ARTIFACTS/agent-log.txt" 2>&1 </dev/null || true
./run.sh --logs --json >"$ARTIFACTS/agent-log.jsonl" 2>&1 </dev/null || true
check "--logs shows the refused push as time, decision, what and why" \
    grep -Eq "^[0-9-]{10} [0-9:.]{12}Z  deny   git\.sock push o/app refs/heads/main .*— .*branch 'main' is protected \(BLOCKED_BRANCHES\)" "$ARTIFACTS/agent-log.txt"
check "--logs --json shows the raw audit lines" grep -q '"socket":"git.sock","operation":"push","repository":"o/app"' "$ARTIFACTS/agent-log.jsonl"
check "the agent's log holds neither canary" sh -c "! grep -qe '$CANARY' -e '$ANTHROPIC_CANARY' $ARTIFACTS/agent-log.jsonl"

forged_target_escaped() {
    grep -qF 'CONNECT evil.example' "$ARTIFACTS/agent-log.txt" && ! grep -q $'\033' "$ARTIFACTS/agent-log.txt" \
        && ! grep -q '^{"forged"' "$ARTIFACTS/agent-log.txt"
}
check "--logs shows the forged CONNECT target escaped: no control character, no line of its own" forged_target_escaped

# Both projects' sessions still run (the second one was started again by second-project.sh).
./run.sh --stop --all >"$work/stop.log" 2>&1 || { cat "$work/stop.log" >&2; failures=$((failures + 1)); }
wait "$run_pid" 2>/dev/null || true
run_pid=
[ -z "$run_two_pid" ] || wait "$run_two_pid" 2>/dev/null || true
run_two_pid=
check "./run.sh --stop --all stops both projects' sessions and names each" sh -c \
    "grep -qF 'stopped session $session for $PROJECT_DIR' $work/stop.log && grep -qF 'stopped session $session_two for $work/project-two' $work/stop.log"
check "./run.sh --stop --all leaves no container of this checkout" no_checkout_container

source "$E2E/checks-oauth.sh"
source "$E2E/interactive.sh"
docker_client=$(docker version --format '{{.Client.Version}}' 2>/dev/null) || docker_client=
if command -v docker >/dev/null && docker info >/dev/null 2>&1 && ! docker buildx version >/dev/null 2>&1 && [[ ! "$docker_client" =~ ^(1[0-9]|2[0-2])\. ]]; then
    say "Docker: skipped (a daemon answers, but the client $docker_client has no buildx plugin, which its BuildKit needs; ./run.sh says the same)"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    source "$E2E/docker.sh"
else
    say "Docker: skipped (no Docker daemon answers 'docker info'); every other check ran with podman"
fi

say "artifacts (screen, transcripts, fixture records) in $ARTIFACTS"
say "took $(($(date +%s) - started)) s"
if [ $failures -gt 0 ]; then
    say "$failures failed"
    exit 1
fi
say "all container checks passed"
