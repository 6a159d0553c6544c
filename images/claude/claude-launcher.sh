#!/bin/sh
# `claude` in this container: the real Claude Code CLI (/opt/claude/bin/claude). When the command
# agent holds an Anthropic credential, the CLI talks to the agent's anthropic.sock (through the
# relay on 127.0.0.1:3129, see claude-entrypoint) with a placeholder credential of the same kind;
# the agent replaces it with the real one. Otherwise the CLI asks for a login, which it keeps in
# CLAUDE_CONFIG_DIR (a volume).
set -eu
cli=/opt/claude/bin/claude
if [ ! -x "$cli" ]; then
    echo "claude: the Claude Code CLI is not in this image (it was built with INSTALL_CLAUDE=false)" >&2
    exit 127
fi
placeholder=placeholder-the-agent-adds-the-real-credential
kind=$(agent-status --anthropic-credential 2>/dev/null || true)
case "$kind" in
    api-key) export ANTHROPIC_AUTH_TOKEN="$placeholder" ;;
    oauth-token) export CLAUDE_CODE_OAUTH_TOKEN="$placeholder" ;;
    *) exec "$cli" "$@" ;;
esac
export ANTHROPIC_BASE_URL=http://127.0.0.1:3129
# Claude Code's first-run screens check that api.anthropic.com answers, which this container
# cannot reach (the agent does): with the credential in the agent there is nothing to set up.
config=${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.claude.json
if [ ! -e "$config" ]; then
    mkdir -p "$(dirname "$config")"
    printf '{"hasCompletedOnboarding":true}\n' >"$config"
fi
exec "$cli" "$@"
