# Sourced by containers.sh while the first project's session runs: a second project at the same
# time (issue 16). It gets its own session (agent, volumes, ~/.claude, containers), refuses to
# start Claude while its agent is not healthy, clones and pushes into its own workspace only,
# and ./run.sh --stop there stops only it. It is started again at the end, for --stop --all.
# shellcheck shell=bash

two=$work/project-two
say "a second project at the same time: $two"
# Its agent first points at a GitHub that does not answer: not healthy, so no Claude.
PROJECT_DIR=$two GITHUB_API_URL=http://127.0.0.1:1 ./run.sh </dev/null >"$work/run-two-unhealthy.log" 2>&1 && unhealthy_status=0 || unhealthy_status=$?
refused_while_unhealthy() {
    [ "$unhealthy_status" != 0 ] \
        && grep -q "^run.sh: the command agent is not healthy: cannot reach GitHub: 127.0.0.1 did not answer GET /user.*; Claude Code was not started and the agent was stopped" "$work/run-two-unhealthy.log" \
        && no_container_of "$two"
}
check "with a GitHub that cannot be reached, ./run.sh says why, starts no Claude and leaves no agent" refused_while_unhealthy
PROJECT_DIR=$two ./run.sh --stop >/dev/null 2>&1 || true

start_second_session() {
    PROJECT_DIR=$two setsid ./run.sh </dev/null >"$work/run-two.log" 2>&1 &
    run_two_pid=$!
    wait_for 600 second_started || { cat "$work/run-two.log" >&2; return 1; }
}
second_started() { [ -n "$(session_container "$two")" ]; }
start_second_session
agent_two=$(container_of agent "$two")
claude_two=$(session_container "$two")
session_two=$(podman inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' "$agent_two")
sessions_used="$sessions_used $session_two"
say "sessions: $session ($agent, $claude) and $session_two ($agent_two, $claude_two)"

volume_at() {  # volume_at CONTAINER DESTINATION: the named volume mounted there
    podman inspect --format "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{.Name}}{{end}}{{end}}" "$1"
}
separate_sessions() {
    [ "$session" != "$session_two" ] && [ "$agent" != "$agent_two" ] \
        && [ "$(volume_at "$claude" /run/agent)" != "$(volume_at "$claude_two" /run/agent)" ] \
        && [ "$(volume_at "$claude" /home/claude/.claude)" = "${session}_claude-home" ] \
        && [ "$(volume_at "$claude_two" /home/claude/.claude)" = "${session_two}_claude-home" ] \
        && [ "$(volume_at "$agent" /var/lib/command-agent)" != "$(volume_at "$agent_two" /var/lib/command-agent)" ]
}
check "the two projects have their own agents, socket volumes, state and ~/.claude" separate_sessions
check "the second project's clone and push go through its own agent, into its own workspace" sh -c "
    podman exec -w /workspace $claude_two sh -c 'git clone -q https://github.com/o/app.git app2 && cd app2 \
        && git -c user.name=c -c user.email=c@e commit -q --allow-empty -m two && git push -q origin HEAD:claude/second' \
    && [ -d $two/app2/.git ] && [ ! -e $PROJECT_DIR/app2 ] \
    && podman logs $agent_two 2>&1 | grep -q 'refs/heads/claude/second' && ! podman logs $agent 2>&1 | grep -q 'refs/heads/claude/second'"
check "--status names the second project's session" sh -c \
    "PROJECT_DIR=$two ./run.sh --status 2>&1 </dev/null | grep -qF 'run.sh: session $session_two for $two'"

PROJECT_DIR=$two ./run.sh --stop >"$work/stop-two.log" 2>&1 || { cat "$work/stop-two.log" >&2; failures=$((failures + 1)); }
wait "$run_two_pid" 2>/dev/null || true
run_two_pid=
only_the_second_stopped() {
    grep -qxF "run.sh: stopped session $session_two for $two" "$work/stop-two.log" && no_container_of "$two" \
        && [ "$(podman inspect --format '{{.State.Running}}' "$agent")" = true ] && [ -n "$(session_container)" ]
}
check "./run.sh --stop in the second project stops it and says so; the first one runs on" only_the_second_stopped

# Running again, for ./run.sh --stop --all at the end of the first project's checks.
start_second_session || failures=$((failures + 1))
