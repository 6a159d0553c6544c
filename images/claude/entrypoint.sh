#!/bin/sh
# Starts the egress relay and gh's configuration, then runs the command (Claude Code by default).
set -eu
mkdir -p "$GH_CONFIG_DIR"
cp /etc/gh/config.yml "$GH_CONFIG_DIR/config.yml"
# This container has no network: Claude's own HTTPS goes to a relay on 127.0.0.1:3128 (HTTPS_PROXY),
# which hands each connection to the agent's egress socket; the agent allows EGRESS_ALLOWED_HOSTS only.
socat TCP-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:${AGENT_SOCKET_DIR}/egress.sock" 2>/dev/null &
if [ -z "${ANTHROPIC_API_KEY:-}" ] && [ -s /run/secrets/anthropic_key ]; then
    ANTHROPIC_API_KEY=$(cat /run/secrets/anthropic_key)
    export ANTHROPIC_API_KEY
fi
exec "$@"
