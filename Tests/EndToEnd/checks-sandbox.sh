# Sourced by containers.sh once both containers run: the sandbox itself (network, secrets, the
# agent's confinement), git and gh through the agent, egress, and the image's Claude Code CLI.
# shellcheck shell=bash

check "the claude container has only lo" sh -c "[ \"\$(podman exec $claude ip -o link | awk '{print \$2}')\" = 'lo:' ]"
check "the claude image runs the pinned Claude Code CLI" sh -c "podman exec $claude claude --version | grep -qx '2.1.332 (Claude Code)'"
check "the claude image has no Node" sh -c "! podman exec $claude sh -c 'command -v node nodejs'"
check "the Anthropic key file is no secret of the claude container" sh -c "! podman exec $claude ls /run/secrets/ 2>/dev/null | grep -q ."
check "the agent holds the key (agent-status shows the kind only)" sh -c \
    "podman exec $claude agent-status --anthropic-credential | grep -qx api-key && podman exec $claude agent-status | grep -i anthropic"

# The agent process itself, read from the host (processes started with `podman exec` inherit the
# container's configured environment, so they cannot be the witness).
tr '\0' '\n' <"/proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/environ" >"$work/agent.env" || true
check "the secrets are gone from the agent's own environment block" sh -c \
    "grep -q '^AGENT_SOCKET_DIR=' $work/agent.env && ! grep -qe $CANARY -e $ANTHROPIC_CANARY $work/agent.env"
check "the agent handles SIGTERM as PID 1" sh -c "grep -qx command-agent /proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/comm"
check "the agent's root filesystem is read-only" sh -c "[ \"\$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' $agent)\" = true ]"
check "the agent image holds no shell" sh -c "! podman exec $agent /bin/sh -c true 2>/dev/null"
check "the agent restarts unless stopped" sh -c "[ \"\$(podman inspect --format '{{.HostConfig.RestartPolicy.Name}}' $agent)\" = unless-stopped ]"

check "agent-status reports healthy" in_claude 'agent-status | grep -q ": healthy"'
check "git clone through the agent" in_claude 'git clone -q https://github.com/o/app.git app && test -f app/README.md'
check "git push origin HEAD:claude/x" in_claude 'cd app && git -c user.name=c -c user.email=c@e commit -q --allow-empty -m e2e && git push origin HEAD:claude/x'
state_volume=$(podman volume inspect --format '{{.Mountpoint}}' "${session}_agent-state")
check "the agent records its own branch in its state volume, which only its uid may enter" sh -c \
    "[ \"\$(stat -c '%u %a' $state_volume)\" = '64000 700' ] && grep -q claude/x $state_volume/branches"
check "git push origin main is refused by the policy" sh -c "podman exec -w /workspace/app $claude git push origin main 2>&1 | grep -q \"branch 'main' is protected (BLOCKED_BRANCHES)\""
check "the workspace guard: what the claude container writes into .git does not run on the host" Tests/EndToEnd/workspace-guard.sh "$claude" "$agent" "$work/project"
# The agent (its own uid) wrote the clone's pack and the guard's records: they are the project
# owner's (uid 1000), so that the person's git can go on writing there.
agent_made_files_are_the_owners() {
    local agent_uid
    agent_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$(podman inspect --format '{{.State.Pid}}' "$agent")/status")
    [ -z "$(find "$work/project" -uid "$agent_uid" -print -quit)" ] \
        && [ -n "$(find "$work/project/app/.git/objects/pack" -name '*.pack' -uid 1000 -print -quit)" ] \
        && [ -n "$(find "$work/project/app/.git/agent-quarantine" -mindepth 1 -maxdepth 1 -uid 1000 -print -quit)" ]
}
check "what the agent wrote into the project (pack, quarantine records) is the owner's, nothing the agent's uid" agent_made_files_are_the_owners
check "gh api /user returns the fixture's answer" in_claude 'gh api /user | grep -q octocat-fixture'
check "the egress relay reaches an allowed host" in_claude "curl -sS --noproxy '' -p -x http://127.0.0.1:3128 http://127.0.0.1:$API_PORT/user | grep -q octocat-fixture"
check "the egress relay is refused for another host" sh -c "! podman exec $claude curl -sS -p -x http://127.0.0.1:3128 https://example.com/ && podman logs $agent 2>&1 | grep -q \"egress to 'example.com:443' refused\""
# The next session clones again (host git in the workspace-guard check left root-owned objects).
rm -rf "$work/project/app"
