# Sourced by containers.sh once both containers of the first project run: the session as deployed
# (issue 16). Two identities and a socket directory claude cannot change, least privilege in both
# containers, a healthcheck that means something, secrets that are files, and a forged CONNECT
# target for ./run.sh --logs to show escaped (checked there, once the log has ended).
# shellcheck shell=bash

agent_pid=$(podman inspect --format '{{.State.Pid}}' "$agent")
claude_pid=$(podman inspect --format '{{.State.Pid}}' "$claude")
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }
agent_uid=$(uid_of "$agent_pid")

say "two identities: the agent is uid $agent_uid, claude uid $(uid_of "$claude_pid")"
check "the agent runs as its own uid, not claude's" sh -c "[ '$agent_uid' = 64000 ] && [ '$(uid_of "$claude_pid")' = 1000 ]"
check "the socket directory is the agent's, mode 0755, and claude sees it read-only" in_claude \
    '[ "$(stat -c "%u %a" /run/agent)" = "64000 755" ] && [ "$(stat -c %u /run/agent/git.sock)" = 64000 ] && grep -qE "^[^ ]+ /run/agent [^ ]+ ro[, ]" /proc/self/mounts'
# The attack of issue 16: link the real socket away, put a listener of one's own in its place.
check "claude can neither link, move, remove nor replace git.sock" in_claude '
    ! ln /run/agent/git.sock /run/agent/git.sock.real 2>/dev/null &&
    ! mv /run/agent/git.sock /run/agent/moved.sock 2>/dev/null &&
    ! rm -f /run/agent/git.sock 2>/dev/null &&
    ! touch /run/agent/planted 2>/dev/null &&
    ! timeout 2 socat UNIX-LISTEN:/run/agent/forged.sock,fork SYSTEM:true 2>/dev/null &&
    [ "$(ls /run/agent | tr "\n" " ")" = "anthropic.sock egress.sock gh.sock git.sock " ]'
check "agent-status still reaches the real agent" in_claude 'agent-status | grep -q ": healthy"'

say "least privilege"
check "the agent holds exactly CAP_DAC_OVERRIDE and CAP_CHOWN (no IPC_LOCK), and no new privileges" sh -c \
    "grep -q '^CapEff:.0000000000000003$' /proc/$agent_pid/status && grep -q '^CapBnd:.0000000000000003$' /proc/$agent_pid/status && grep -q '^NoNewPrivs:.1$' /proc/$agent_pid/status"
check "the agent's secrets are locked in memory without IPC_LOCK" sh -c \
    "podman exec $claude agent-status | grep -q 'token: held (locked in memory)' && awk '/^VmLck:/ { exit !(\$2 > 0) }' /proc/$agent_pid/status"
say "the agent locks $(awk '/^VmLck:/ { print $2 " " $3 }' "/proc/$agent_pid/status") (memlock limit $(awk '/^Max locked memory/ { print $4 }' "/proc/$agent_pid/limits") bytes)"
check "claude has no capabilities at all and no new privileges" sh -c \
    "grep -q '^CapEff:.0000000000000000$' /proc/$claude_pid/status && grep -q '^CapBnd:.0000000000000000$' /proc/$claude_pid/status && grep -q '^NoNewPrivs:.1$' /proc/$claude_pid/status"
# podman's default seccomp profile lets an unprivileged process make a user namespace: all
# capabilities inside it (nf_tables, mounts in a netns of its own), the kernel surface behind most
# container escapes. Docker's default profile refuses it; claude must not have it either.
check "claude cannot make a user namespace (no capabilities through unshare)" in_claude '! unshare -Ur true 2>/dev/null'
check "the claude image has no setuid or setgid program" sh -c "[ -z \"\$(podman exec $claude find / -xdev -type f -perm /6000 2>/dev/null)\" ]"
check "claude's root is read-only; /tmp, home and the workspace are writable" in_claude \
    '! touch /usr/local/bin/x 2>/dev/null && ! touch /etc/x 2>/dev/null && touch /tmp/x "$HOME/x" /workspace/.x && rm /tmp/x "$HOME/x" /workspace/.x'
for container in "$agent" "$claude"; do
    check "$container has a memory and a pids limit" sh -c \
        "[ \"\$(podman inspect --format '{{.HostConfig.Memory}}' $container)\" -gt 0 ] && [ \"\$(podman inspect --format '{{.HostConfig.PidsLimit}}' $container)\" -gt 0 ]"
done
say "the agent now: $(awk '/^VmRSS:/ { print $2 " " $3 " resident" } /^Threads:/ { print ", " $2 " threads" }' "/proc/$agent_pid/status" | tr -d '\n')"

say "health"
check "the agent's healthcheck comes from compose and runs command-agent --check-health" sh -c \
    "podman inspect --format '{{.Config.Healthcheck.Test}}' $agent | grep -q 'command-agent --check-health'"
check "the healthcheck passes (GitHub accepts the token)" podman healthcheck run "$agent"

say "secrets as files"
check "the agent reads the token from a compose secret, not from a variable" sh -c \
    "podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $agent | grep -qx 'GITHUB_TOKEN_FILE=/run/secrets/github_token' \
     && ! podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' $agent | grep -q '^GITHUB_TOKEN='"
check "neither canary is in the agent's inspect output (its environment, its create command)" sh -c \
    "! podman inspect $agent | grep -qe '$CANARY' -e '$ANTHROPIC_CANARY'"

# A CONNECT target with a newline and ESC: the agent refuses it and logs it; ./run.sh --logs must
# show it escaped (containers.sh checks, once the agent has stopped and its log has ended).
in_claude "printf 'CONNECT evil.example\\n{\"forged\":\"line\"}\\033[2J:443 HTTP/1.1\\r\\n\\r\\n' | socat -t 2 - UNIX-CONNECT:/run/agent/egress.sock" >/dev/null 2>&1 || true

# A bind mount of the checkout is the checkout under another path: run.sh must refuse it as a
# project as it refuses the checkout itself. An invalid IMAGE_TAG makes run.sh stop after it
# has listed every problem, so that nothing starts whether the check holds or not.
tool_bind=$work/tool-bind
mkdir -p "$tool_bind"
if mount --bind "$ROOT" "$tool_bind" 2>/dev/null; then
    PROJECT_DIR=$tool_bind IMAGE_TAG='not a tag' ./run.sh </dev/null >"$work/bind.out" 2>&1 || true
    umount "$tool_bind"
    check "a bind mount of the checkout is refused as a project" grep -q "^run.sh: will not mount $tool_bind into the claude container" "$work/bind.out"
else
    say "a bind mount of the checkout: not checked (mount --bind needs root)"
fi
