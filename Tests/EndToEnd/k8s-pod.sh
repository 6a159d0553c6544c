#!/usr/bin/env bash
# The Kubernetes session pod (k8s/session-pod.yaml), run with `podman kube play` against the
# fixture GitHub on this machine: the container test's core checks hold inside the pod, the
# egress lock lets only the agent's uid out (TCP, UDP, DNS; inbound only answers), claude cannot
# undo it, and the same pod without egress-lock lets claude out (so these checks can fail).
#
# The pod YAML is used as it is, through k8s/podman-variant.awk (podman 4.3 has no native
# sidecars) and these test-only edits: the images, names of its own, Claude's command (an idle
# `sleep` instead of the Claude CLI) and published ports for the inbound checks. The pod reaches
# this machine's loopback as 10.0.2.2 (slirp4netns with allow_host_loopback).
#   env: AGENT_IMAGE, CLAUDE_IMAGE (default: the images run.sh builds, tagged IMAGE_TAG or
#        latest; built if missing), EGRESS_LOCK_IMAGE (built from images/egress-lock),
#        BASE_IMAGE (when not root)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SHARED=${SHARED_DIR:-$ROOT/../shared}
CANARY=ghp_CANARY0123456789abcdefCANARYtokenXYZ
ANTHROPIC_CANARY=sk-ant-api03-CANARY0123456789abcdefCANARYkeyXYZ
DEFAULT_IMAGES="localhost/claude-code-agent:${IMAGE_TAG:-latest} localhost/claude-code-claude:${IMAGE_TAG:-latest}"
AGENT_IMAGE=${AGENT_IMAGE:-${DEFAULT_IMAGES% *}}
CLAUDE_IMAGE=${CLAUDE_IMAGE:-${DEFAULT_IMAGES#* }}
EGRESS_LOCK_IMAGE=${EGRESS_LOCK_IMAGE:-localhost/claude-code-egress-lock:${IMAGE_TAG:-latest}}
# Pods, volumes and secrets of this checkout's own (another checkout may run this test at once).
NAME=claude-k8s-e2e-$(printf '%s' "$ROOT" | cksum | cut -d ' ' -f 1)
AGENT_UID=64000 CLAUDE_UID=1000 HOST=10.0.2.2
failures=0
started=$(date +%s)
say() { printf 'k8s-pod: %s\n' "$*" >&2; }
check() {  # check NAME COMMAND...: runs the command, reports ok or FAILED
    local name=$1; shift
    if "$@" >"$work/check.out" 2>&1; then say "ok: $name"; else say "FAILED: $name"; sed 's/^/    /' "$work/check.out" >&2; failures=$((failures + 1)); fi
}
grep -q "runAsUser: $AGENT_UID" k8s/session-pod.yaml && grep -q "value: \"\\[$CLAUDE_UID,$AGENT_UID\\]\"" k8s/session-pod.yaml \
    || { say "k8s/session-pod.yaml no longer runs the agent as $AGENT_UID and claude as $CLAUDE_UID: update this test"; exit 1; }

if [ "$(id -u)" = 0 ]; then
    BASE_IMAGE=$(bash "$SHARED/ci/container-host.sh" | tail -n 1)
else
    BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
fi

work=$(mktemp -d /tmp/claude-k8s-e2e.XXXXXX)
pids=()
# podman 4.3 makes each emptyDir a volume named after it: this test gives them names of its own
# (see play), so that its two pods and anyone else's stay apart.
EMPTY_DIRS=(agent-run agent-state agent-tmp claude-home claude-tmp)
SECRETS=(github-token anthropic-credential)
remove_leftovers() {  # one name per call: podman stops at the first name it does not know
    local pod name
    for pod in "$NAME" "$NAME-open"; do
        podman pod rm -f -t 0 --ignore "$pod" >/dev/null 2>&1 || true
        for name in workspace "${EMPTY_DIRS[@]}"; do podman volume rm -f "$pod-$name" >/dev/null 2>&1 || true; done
    done
    for name in "${SECRETS[@]}"; do  # podman 4.3 also makes a volume of each Secret
        podman volume rm -f "$NAME-$name" >/dev/null 2>&1 || true
        podman secret rm "$NAME-$name" >/dev/null 2>&1 || true
    done
}
cleanup() {
    remove_leftovers
    for pid in "${pids[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
remove_leftovers

say "images: $AGENT_IMAGE, $CLAUDE_IMAGE, and $EGRESS_LOCK_IMAGE (built from images/egress-lock)"
if ! podman image exists "$AGENT_IMAGE" || ! podman image exists "$CLAUDE_IMAGE"; then
    [ "$AGENT_IMAGE $CLAUDE_IMAGE" = "$DEFAULT_IMAGES" ] || { say "$AGENT_IMAGE or $CLAUDE_IMAGE does not exist"; exit 1; }
    BASE_IMAGE=$BASE_IMAGE BINARIES=prebuilt PREBUILT_CONFIGURATION=debug INSTALL_CLAUDE=false ./run.sh --build >"$work/build.log" 2>&1 \
        || { tail -50 "$work/build.log" >&2; exit 1; }
fi
podman build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$EGRESS_LOCK_IMAGE" images/egress-lock >"$work/lock-build.log" 2>&1 \
    || { tail -30 "$work/lock-build.log" >&2; exit 1; }

say "fixture servers (git over smart HTTP demanding the token, the GitHub API), a UDP echo"
swift build --product fixture-servers >&2
setsid "$(swift build --show-bin-path)/fixture-servers" >"$work/ports" 2>"$work/fixtures.err" &
pids+=($!)
for _ in $(seq 1 300); do grep -q api= "$work/ports" 2>/dev/null && break; sleep 0.1; done
read -r git_part api_part _ <"$work/ports" || { cat "$work/fixtures.err" >&2; exit 1; }
GIT_PORT=${git_part#git=} API_PORT=${api_part#api=}
UDP_PORT=$((20000 + RANDOM % 20000)) INBOUND_PORT=$((20000 + RANDOM % 20000))
setsid socat UDP4-RECVFROM:"$UDP_PORT",bind=127.0.0.1,fork PIPE 2>"$work/udp.err" &
pids+=($!)
for _ in $(seq 1 50); do ss -Hlun "sport = :$UDP_PORT" | grep -q . && break; sleep 0.1; done

# The Secret and the ConfigMap. podman 4.3 keeps a Secret as a podman secret holding its YAML and
# writes its `data` values into the files as they are, without base64 decoding: so the value
# here is the token itself (Kubernetes decodes it; `kubectl create secret` encodes it).
secret() {  # secret NAME KEY VALUE
    (umask 077 && printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ndata:\n  %s: %s\n' "$1" "$2" "$3" >"$work/$1.yaml")
    podman secret create "$1" "$work/$1.yaml" >/dev/null
}
secret "$NAME-github-token" token "$CANARY"
secret "$NAME-anthropic-credential" api-key "$ANTHROPIC_CANARY"
cat >"$work/settings.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: $NAME-settings
data:
  GITHUB_URL: http://$HOST:$GIT_PORT
  GITHUB_API_URL: http://$HOST:$API_PORT
  EGRESS_ALLOWED_HOSTS: '["$HOST:$API_PORT"]'
  ALLOWED_REPOS: '["o/app"]'
  ALLOWED_BRANCH_PATTERNS: '["claude/**"]'
EOF
# play NAME INBOUND-PORT [AWK-ARGS...]: runs the podman variant of the pod with this test's edits.
play() {
    local name=$1 port=$2; shift 2
    awk "$@" -f k8s/podman-variant.awk k8s/session-pod.yaml | sed -E \
        -e "s|^  name: claude-session\$|  name: $name|" \
        -e "s/(name: )($(IFS='|'; echo "${EMPTY_DIRS[*]}"))([,}]|\$)/\1$name-\2\3/" \
        -e "s|claimName: claude-workspace|claimName: $name-workspace|" \
        -e "s/secretName: ($(IFS='|'; echo "${SECRETS[*]}"))/secretName: $NAME-\1/" \
        -e "s|name: command-agent-settings|name: $NAME-settings|" \
        -e "s|image: localhost/claude-code-agent:latest|image: $AGENT_IMAGE|" \
        -e "s|image: localhost/claude-code-claude:latest|image: $CLAUDE_IMAGE|" \
        -e "s|image: localhost/claude-code-egress-lock:latest|image: $EGRESS_LOCK_IMAGE|" \
        -e "s|^    args: \\[\"claude\"\\]\$|    args: [\"sleep\", \"infinity\"]\\n    ports: [{containerPort: 8080, hostPort: $port}, {containerPort: 8081, hostPort: $port, protocol: UDP}]|" \
        >"$work/$name.yaml"
    podman kube play --network slirp4netns:allow_host_loopback=true,port_handler=slirp4netns --configmap "$work/settings.yaml" "$work/$name.yaml" \
        >"$work/$name.play" 2>&1 || { cat "$work/$name.play" >&2; exit 1; }
}
# as USER CONTAINER COMMAND: runs a shell command in a container of the pod as that user (no
# capabilities, like the container's own processes).
as() { podman exec -u "$1" -w /workspace "$2" sh -c "$3"; }
fails() { ! "$@"; }
# shows TEXT COMMAND...: the command's output (and errors) contain TEXT, whatever its status.
shows() { local text=$1 out; shift; out=$("$@" 2>&1) || true; printf '%s\n' "$out"; [[ $out == *"$text"* ]]; }
# The probes, each as USER in CONTAINER; each succeeds only when the answer came back.
reaches_fixture() { shows octocat-fixture as "$1" "$2" "curl -sS --max-time 10 --noproxy '*' http://$HOST:$API_PORT/user"; }
udp_answered() { shows ping-over-udp as "$1" "$2" "echo ping-over-udp | socat -T 3 - UDP4:$HOST:$UDP_PORT"; }
dns_answered() { as "$1" "$2" "getent hosts deb.debian.org"; }
# Listeners in the pod on the published ports: does what comes from outside (through slirp4netns,
# arriving on the pod's interface like traffic from another node) get an answer? TCP: a
# greeting; UDP: its own datagram back. They run as the agent's uid, whose answers may leave,
# so that only the input rules can stop them (claude's answers would be stopped on the way out).
listen_in_pod() {
    podman exec -d -u "$AGENT_UID" "$1" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hello-from-the-pod' >/dev/null
    podman exec -d -u "$AGENT_UID" "$1" socat UDP4-RECVFROM:8081,fork PIPE >/dev/null
    for _ in $(seq 1 50); do podman exec "$1" sh -c 'ss -Hltn "sport = :8080" | grep -q . && ss -Hlun "sport = :8081" | grep -q .' && break; sleep 0.1; done
}
tcp_inbound_answered() { shows hello-from-the-pod socat -T 3 - TCP4:127.0.0.1:"$1" </dev/null; }
udp_inbound_answered() { shows udp-from-outside sh -c "echo udp-from-outside | socat -T 3 - UDP4:127.0.0.1:$1"; }
wait_for_agent() {
    for _ in $(seq 1 100); do as "$CLAUDE_UID" "$1" 'agent-status --timeout 2' >/dev/null 2>&1 && return 0; sleep 0.2; done
    podman logs --tail 20 "$2" >&2 || true
    return 1
}

say "the session pod (k8s/session-pod.yaml through k8s/podman-variant.awk)"
play "$NAME" "$INBOUND_PORT"
claude=$NAME-claude agent=$NAME-agent
wait_for_agent "$claude" "$agent" || { say "the agent did not become healthy"; exit 1; }

check "egress-lock installed its rules and exited" sh -c "podman logs $NAME-egress-lock 2>&1 | grep -q 'meta skuid $AGENT_UID accept' && [ \"\$(podman inspect --format '{{.State.ExitCode}}' $NAME-egress-lock)\" = 0 ]"
check "the agent runs as uid $AGENT_UID, claude as uid $CLAUDE_UID" sh -c "[ \"\$(podman top $agent huser | tail -n +2 | sort -u)\" = $AGENT_UID ] && [ \"\$(podman exec $claude id -u)\" = $CLAUDE_UID ]"
check "agent-status (from claude) reports healthy" as "$CLAUDE_UID" "$claude" 'agent-status | grep -q ": healthy"'
# podman ignores startup probes; Kubernetes starts claude only once the agent's passes.
read -ra startup_probe < <(grep -A3 'startupProbe:' k8s/session-pod.yaml | sed -n 's/^ *command: \[\(.*\)\]$/\1/p' | tr -d '",')
check "the agent's startup probe (${startup_probe[*]}) passes" podman exec "$agent" "${startup_probe[@]}"

# Read as root with every capability: the containers' own root has none (and could not read them).
environments() { { podman exec --privileged -u 0 "$1" sh -c 'cat /proc/[0-9]*/environ 2>/dev/null' || true; } | tr '\0' '\n'; }
environments "$claude" >"$work/claude.env"
tr '\0' '\n' <"/proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/environ" >"$work/agent.env" || true
check "neither secret is in any environment of claude" sh -c "grep -q '^GH_TOKEN=' $work/claude.env && ! grep -qe $CANARY -e $ANTHROPIC_CANARY $work/claude.env"
check "neither secret is in any file of claude" sh -c "! podman exec --privileged -u 0 $claude grep -rqs --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -e $CANARY -e $ANTHROPIC_CANARY /"
check "neither secret is in either container's configuration (files, never environment values)" sh -c "! podman inspect $claude $agent | grep -qe $CANARY -e $ANTHROPIC_CANARY"
check "the agent read both from their files (*_FILE), neither is in its environment" sh -c "grep -q '^GITHUB_TOKEN_FILE=' $work/agent.env && grep -q '^ANTHROPIC_API_KEY_FILE=' $work/agent.env && ! grep -qe $CANARY -e $ANTHROPIC_CANARY $work/agent.env"
check "the agent holds the Anthropic credential and serves anthropic.sock" as "$CLAUDE_UID" "$claude" 'test -S /run/agent/anthropic.sock && agent-status | grep -qi anthropic'

check "git clone through the agent" as "$CLAUDE_UID" "$claude" 'git clone -q https://github.com/o/app.git app && test -f app/README.md'
check "git push origin HEAD:claude/x" as "$CLAUDE_UID" "$claude" 'cd app && git -c user.name=c -c user.email=c@e commit -q --allow-empty -m pod && git push -q origin HEAD:claude/x'
check "git push origin main is refused by the policy" sh -c "podman exec -w /workspace/app $claude git push origin main 2>&1 | grep -q \"branch 'main' is protected (BLOCKED_BRANCHES)\""
check "gh api /user returns the fixture's answer" as "$CLAUDE_UID" "$claude" 'gh api /user | grep -q octocat-fixture'
check "claude's HTTPS relay reaches an allowed host through the agent (loopback stays open)" \
    as "$CLAUDE_UID" "$claude" "curl -sS --noproxy '' -p -x http://127.0.0.1:3128 http://$HOST:$API_PORT/user | grep -q octocat-fixture"
check "claude cannot create, rename or remove anything in the socket directory" \
    as "$CLAUDE_UID" "$claude" '! touch /run/agent/probe 2>/dev/null && ! mv /run/agent/git.sock /tmp/ 2>/dev/null && test -S /run/agent/git.sock'
check "claude's root filesystem is read-only" as "$CLAUDE_UID" "$claude" '! touch /probe 2>/dev/null'

check "claude's direct request to the fixture fails" fails reaches_fixture "$CLAUDE_UID" "$claude"
check "the identical request as the agent's uid succeeds" reaches_fixture "$AGENT_UID" "$claude"
check "UDP from claude gets no answer" fails udp_answered "$CLAUDE_UID" "$claude"
check "UDP as the agent's uid gets its answer" udp_answered "$AGENT_UID" "$claude"
check "DNS from claude fails" fails dns_answered "$CLAUDE_UID" "$claude"
check "DNS as the agent's uid works" dns_answered "$AGENT_UID" "$claude"
listen_in_pod "$claude"
check "a TCP connection from outside to a listener in the pod is refused" fails tcp_inbound_answered "$INBOUND_PORT"
check "a UDP datagram from outside to a listener in the pod gets no answer" fails udp_inbound_answered "$INBOUND_PORT"

check "claude has no capabilities and cannot gain any (no_new_privs)" \
    as "$CLAUDE_UID" "$claude" 'grep -q "^CapEff:.0000000000000000" /proc/self/status && grep -q "^CapBnd:.0000000000000000" /proc/self/status && grep -q "^NoNewPrivs:.1" /proc/self/status'
check "claude cannot change the pod's network (ip link: no NET_ADMIN)" as "$CLAUDE_UID" "$claude" '! ip link set lo down 2>/dev/null'
nft_as_claude() {
    shows 'Operation not permitted' podman run --rm --pod "$NAME" --user "$CLAUDE_UID" --cap-drop ALL \
        --security-opt no-new-privileges --entrypoint nft "$EGRESS_LOCK_IMAGE" flush ruleset
}
check "nft as claude's uid (no capabilities) in the pod fails" nft_as_claude
check "the rules still hold after claude's attempts" fails reaches_fixture "$CLAUDE_UID" "$claude"
# What the container test checks about the agent holds here too.
check "both containers have a read-only root filesystem" sh -c "[ \"\$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' $claude $agent | sort -u)\" = true ]"
check "the agent holds DAC_OVERRIDE and CHOWN only, and no new privileges" sh -c "grep -q '^CapEff:.0000000000000003$' /proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/status && grep -q '^NoNewPrivs:.1$' /proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/status"
check "both containers have a memory limit" sh -c "! podman inspect --format '{{.HostConfig.Memory}}' $claude $agent | grep -qx 0"

say "the same pod without egress-lock (the control: these checks must see claude get out)"
podman pod rm -f -t 0 "$NAME" >/dev/null
play "$NAME-open" "$INBOUND_PORT" -v without=egress-lock
wait_for_agent "$NAME-open-claude" "$NAME-open-agent" || { say "the control pod's agent did not become healthy"; exit 1; }
check "without egress-lock, claude's direct request reaches the fixture" reaches_fixture "$CLAUDE_UID" "$NAME-open-claude"
check "without egress-lock, UDP from claude gets its answer" udp_answered "$CLAUDE_UID" "$NAME-open-claude"
check "without egress-lock, DNS from claude works" dns_answered "$CLAUDE_UID" "$NAME-open-claude"
listen_in_pod "$NAME-open-claude"
check "without egress-lock, a TCP connection from outside reaches the listener in the pod" tcp_inbound_answered "$INBOUND_PORT"
check "without egress-lock, a UDP datagram from outside gets its answer" udp_inbound_answered "$INBOUND_PORT"

say "took $(($(date +%s) - started)) s"
if [ $failures -gt 0 ]; then
    say "$failures failed"
    exit 1
fi
say "all pod checks passed"
