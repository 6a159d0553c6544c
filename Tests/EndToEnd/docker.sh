# Sourced by containers.sh when a Docker daemon answers: the same compose.yml, with Docker and
# docker compose (or docker-compose 1.29). The images are built with BuildKit from the binaries
# the podman part already made (no Swift image: offline, from the local base image), then a
# session in a third project: agent-status healthy, git through the agent, the identities and
# privileges as Docker gives them, no secret in `docker inspect`, and ./run.sh --stop.
# shellcheck shell=bash

three=$work/project-three
mkdir -p "$three" && chown 1000:1000 "$three" 2>/dev/null || true
# The claude container idles, as in the podman part; the images' RUN steps use the host's network.
docker_run_sh() {
    CONTAINER_ENGINE=docker COMPOSE_EXTRA_FILES="$E2E/compose.e2e.yml $E2E/compose.e2e-idle.yml $E2E/compose.e2e-docker.yml" "$@"
}
say "Docker: $(docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'), $( (docker compose version 2>/dev/null || docker-compose version --short) | head -n 1)"
# The base image, from podman's store when Docker has none (no registry is reachable here).
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || podman save "$BASE_IMAGE" | docker load >/dev/null
docker_started=$(date +%s)
docker_run_sh ./run.sh --build >"$ARTIFACTS/docker-build.log" 2>&1 && docker_built=0 || docker_built=$?
check "Docker builds both images with BuildKit, offline, without a Swift image" sh -c \
    "[ $docker_built = 0 ] && docker image inspect localhost/claude-code-agent:${IMAGE_TAG:-latest} localhost/claude-code-claude:${IMAGE_TAG:-latest} >/dev/null \
     && ! grep -qi swift: $ARTIFACTS/docker-build.log"
say "Docker: images built in $(($(date +%s) - docker_started)) s"

docker_session() {
    docker ps --no-trunc --filter "label=io.claude-code.project=$three" --filter label=com.docker.compose.service=claude --format '{{.Names}} {{.Command}}' \
        | awk '/sleep infinity/ { print $1; exit }'
}
docker_started() { [ -n "$(docker_session)" ]; }
PROJECT_DIR=$three docker_run_sh setsid ./run.sh </dev/null >"$work/run-docker.log" 2>&1 &
run_docker_pid=$!
if wait_for 600 docker_started; then
    claude_docker=$(docker_session)
    agent_docker=$(docker ps --filter "label=io.claude-code.project=$three" --filter label=com.docker.compose.service=agent --format '{{.Names}}' | head -n 1)
    agent_docker_pid=$(docker inspect --format '{{.State.Pid}}' "$agent_docker")
    claude_docker_pid=$(docker inspect --format '{{.State.Pid}}' "$claude_docker")
    check "Docker: agent-status is healthy from the claude container" docker exec "$claude_docker" sh -c 'agent-status | grep -q ": healthy"'
    check "Docker: clone and push through the agent" docker exec -w /workspace "$claude_docker" sh -c \
        'git clone -q https://github.com/o/app.git app3 && cd app3 && git -c user.name=c -c user.email=c@e commit -q --allow-empty -m docker \
         && git push -q origin HEAD:claude/docker'
    check "Docker: the agent is uid 0 with exactly DAC_OVERRIDE and CHOWN; claude is uid 1000 with nothing" sh -c \
        "grep -q '^Uid:.0' /proc/$agent_docker_pid/status && grep -q '^CapEff:.0000000000000003$' /proc/$agent_docker_pid/status \
         && grep -q '^NoNewPrivs:.1$' /proc/$agent_docker_pid/status && grep -q '^Uid:.1000' /proc/$claude_docker_pid/status \
         && grep -q '^CapEff:.0000000000000000$' /proc/$claude_docker_pid/status && grep -q '^NoNewPrivs:.1$' /proc/$claude_docker_pid/status"
    check "Docker: claude cannot change the socket directory; its root is read-only, its home writable" docker exec "$claude_docker" sh -c \
        '! touch /run/agent/x 2>/dev/null && ! rm -f /run/agent/git.sock 2>/dev/null && ! touch /etc/x 2>/dev/null && touch "$HOME/x"'
    check "Docker: claude cannot make a user namespace" docker exec "$claude_docker" sh -c '! unshare -Ur true 2>/dev/null'
    check "Docker: what the agent wrote into the project is the owner's" sh -c "[ -z \"\$(find $three ! -uid 1000 -print -quit)\" ]"
    check "Docker: the compose healthcheck is there and neither canary is in docker inspect" sh -c \
        "docker inspect --format '{{.Config.Healthcheck.Test}}' $agent_docker | grep -q 'command-agent --check-health' \
         && ! docker inspect $agent_docker $claude_docker | grep -qe '$CANARY' -e '$ANTHROPIC_CANARY'"
else
    say "FAILED: Docker: no session started"
    sed 's/^/    /' "$work/run-docker.log" >&2
    failures=$((failures + 1))
fi
PROJECT_DIR=$three docker_run_sh ./run.sh --stop >"$work/stop-docker.log" 2>&1 || cat "$work/stop-docker.log" >&2
wait "$run_docker_pid" 2>/dev/null || true
check "Docker: ./run.sh --stop leaves no container" sh -c "[ -z \"\$(docker ps -a -q --filter label=io.claude-code.project=$three)\" ]"
docker_session_name=$(sed -n 's/^run.sh: session \(claude-code-[^ ]*\) for .*/\1/p' "$work/run-docker.log" | head -n 1)
[ -z "$docker_session_name" ] || docker volume rm -f "${docker_session_name}_agent-run" "${docker_session_name}_agent-state" "${docker_session_name}_claude-home" >/dev/null 2>&1 || true
