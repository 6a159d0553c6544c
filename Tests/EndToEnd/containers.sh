#!/usr/bin/env bash
# End-to-end test with real containers: builds both images (the claude image without the Claude
# CLI, the Swift binaries built on this machine), starts them with compose as run.sh does, and from
# inside the claude container checks the network, the token, git, gh, agent-status and egress;
# then `./run.sh --stop` must leave no container running.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SHARED=${SHARED_DIR:-$ROOT/../shared}
CANARY=ghp_CANARY0123456789abcdefCANARYtokenXYZ
failures=0
say() { printf 'e2e: %s\n' "$*" >&2; }
check() {  # check NAME COMMAND...: runs the command, reports ok or FAILED
    local name=$1; shift
    if "$@" >/tmp/e2e-check.out 2>&1; then say "ok: $name"; else say "FAILED: $name"; sed 's/^/    /' /tmp/e2e-check.out >&2; failures=$((failures + 1)); fi
}

if [ "$(id -u)" = 0 ]; then
    BASE_IMAGE=$(bash "$SHARED/ci/container-host.sh" | tail -n 1)
else
    BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
fi
export BASE_IMAGE BINARIES=prebuilt PREBUILT_CONFIGURATION=debug INSTALL_CLAUDE=false
export COMPOSE_PROJECT_NAME=claude-code-e2e COMPOSE_EXTRA_FILES=$ROOT/Tests/EndToEnd/compose.e2e.yml

work=$(mktemp -d /tmp/claude-e2e.XXXXXX)
fixture_pid=
cleanup() {
    ./run.sh --stop >/dev/null 2>&1 || true
    podman volume rm -f claude-code-e2e_agent-run claude-code-e2e_claude-home >/dev/null 2>&1 || true
    [ -z "$fixture_pid" ] || kill -- -"$fixture_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

say "fixture servers (git over smart HTTP demanding the token, and the GitHub API)"
swift build --product fixture-servers >&2
setsid "$(swift build --show-bin-path)/fixture-servers" >"$work/ports" 2>"$work/fixtures.err" &
fixture_pid=$!
for _ in $(seq 1 300); do grep -q api= "$work/ports" 2>/dev/null && break; sleep 0.1; done
read -r git_part api_part <"$work/ports" || { cat "$work/fixtures.err" >&2; exit 1; }
GIT_PORT=${git_part#git=}
API_PORT=${api_part#api=}

mkdir -p "$work/project"
chmod 0777 "$work/project"
export PROJECT_DIR=$work/project GITHUB_TOKEN=$CANARY
export GITHUB_URL=http://127.0.0.1:$GIT_PORT GITHUB_API_URL=http://127.0.0.1:$API_PORT
export EGRESS_ALLOWED_HOSTS="[\"127.0.0.1:$API_PORT\"]" ANTHROPIC_KEY_FILE=/dev/null
export ALLOWED_BRANCH_PATTERNS='["claude/**"]'

say "building the images"
./run.sh --build >"$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; exit 1; }
podman-compose -p "$COMPOSE_PROJECT_NAME" -f compose.yml -f "$COMPOSE_EXTRA_FILES" up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
agent=$(podman ps --filter "label=io.podman.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=agent --format '{{.Names}}' | head -n 1)
claude=$(podman ps --filter "label=io.podman.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=claude --format '{{.Names}}' | head -n 1)
[ -n "$agent" ] && [ -n "$claude" ] || { podman ps -a >&2; podman logs "$agent" >&2 || true; exit 1; }
in_claude() { podman exec -w /workspace "$claude" sh -c "$1"; }
for _ in $(seq 1 100); do in_claude 'agent-status --timeout 2' >/dev/null 2>&1 && break; sleep 0.2; done

check "the claude container has only lo" sh -c "[ \"\$(podman exec $claude ip -o link | awk '{print \$2}')\" = 'lo:' ]"
environments() { { podman exec -u 0 "$1" sh -c 'cat /proc/[0-9]*/environ 2>/dev/null' || true; } | tr '\0' '\n'; }
environments "$claude" >"$work/claude.env"
# The agent process itself, read from the host (processes started with `podman exec` inherit the
# container's configured environment, so they cannot be the witness).
tr '\0' '\n' <"/proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/environ" >"$work/agent.env" || true
check "the token is in no environment of the claude container" sh -c "grep -q '^GH_TOKEN=' $work/claude.env && ! grep -q $CANARY $work/claude.env"
check "the token is in no file of the claude container" sh -c "! podman exec $claude grep -rqs --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev $CANARY /"
check "the token is not in the claude container's inspect output" sh -c "! podman inspect $claude | grep -q $CANARY"
check "the token is gone from the agent's own environment block" sh -c "grep -q '^AGENT_SOCKET_DIR=' $work/agent.env && ! grep -q $CANARY $work/agent.env"
check "the agent handles SIGTERM as PID 1" sh -c "podman exec -u 0 $agent cat /proc/1/comm | grep -q command-agent"
check "agent-status reports healthy" in_claude 'agent-status | grep -q ": healthy"'
check "git clone through the agent" in_claude 'git clone -q https://github.com/o/app.git app && test -f app/README.md'
check "git push origin HEAD:claude/x" in_claude 'cd app && git -c user.name=c -c user.email=c@e commit -q --allow-empty -m e2e && git push origin HEAD:claude/x'
check "git push origin main is refused by the policy" sh -c "podman exec -w /workspace/app $claude git push origin main 2>&1 | grep -q \"branch 'main' is protected (BLOCKED_BRANCHES)\""
check "the workspace guard: what the claude container writes into .git does not run on the host" Tests/EndToEnd/workspace-guard.sh "$claude" "$agent" "$work/project"
check "gh api /user returns the fixture's answer" in_claude 'gh api /user | grep -q octocat-fixture'
check "the egress relay reaches an allowed host" in_claude "curl -sS --noproxy '' -p -x http://127.0.0.1:3128 http://127.0.0.1:$API_PORT/user | grep -q octocat-fixture"
check "the egress relay is refused for another host" sh -c "! podman exec $claude curl -sS -p -x http://127.0.0.1:3128 https://example.com/ && podman logs $agent 2>&1 | grep -q \"egress to 'example.com:443' refused\""
check "the agent's root filesystem is read-only" sh -c "! podman exec $agent sh -c 'touch /probe' 2>/dev/null"
check "the agent runs without capabilities beyond IPC_LOCK" sh -c "podman exec -u 0 $agent sh -c 'for p in /proc/[0-9]*; do [ \"\$(cat \$p/comm)\" = command-agent ] && grep CapEff \$p/status; done' | grep -Eq 'CapEff:.00000000000(04|00)000'"

./run.sh --stop >"$work/stop.log" 2>&1 || { cat "$work/stop.log" >&2; failures=$((failures + 1)); }
check "./run.sh --stop leaves no container running" sh -c "[ -z \"\$(podman ps -q --filter label=io.podman.compose.project=$COMPOSE_PROJECT_NAME)\" ]"

if [ $failures -gt 0 ]; then
    say "$failures failed"
    exit 1
fi
say "all container checks passed"
