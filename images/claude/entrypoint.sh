#!/bin/sh
# Starts the relays to the agent and gh's configuration, then runs the command (Claude Code by
# default). This container has no network: everything that leaves it goes through the agent.
set -eu
mkdir -p "$GH_CONFIG_DIR"
cp /etc/gh/config.yml "$GH_CONFIG_DIR/config.yml"
# Claude's other HTTPS (HTTPS_PROXY) goes to the agent's egress socket, which allows only
# EGRESS_ALLOWED_HOSTS.
socat TCP-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:${AGENT_SOCKET_DIR}/egress.sock" 2>/dev/null &
# Claude's API requests (ANTHROPIC_BASE_URL, set by the `claude` launcher) go to the agent's
# anthropic.sock, which puts the Anthropic credential on each of them.
socat TCP-LISTEN:3129,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:${AGENT_SOCKET_DIR}/anthropic.sock" 2>/dev/null &
exec "$@"
