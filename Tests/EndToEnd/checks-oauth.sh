# Sourced by containers.sh, between two runs of ./run.sh: the agent holds a Claude subscription
# token this time (CLAUDE_CODE_OAUTH_TOKEN_FILE), the CLI gets a placeholder of that kind, and the
# fixture Messages API sees the token as `Authorization: Bearer` on every request of the session.
# shellcheck shell=bash

say "claude -p with a subscription token in the agent (CLAUDE_CODE_OAUTH_TOKEN_FILE)"
printf '%s\n' "$OAUTH_CANARY" >"$work/oauth_token"
chmod 0600 "$work/oauth_token"
chown 1000:1000 "$work/oauth_token" 2>/dev/null || chmod 0644 "$work/oauth_token"
ANTHROPIC_API_KEY_FILE= CLAUDE_CODE_OAUTH_TOKEN_FILE=$work/oauth_token setsid ./run.sh </dev/null >"$work/run-oauth.log" 2>&1 &
run_pid=$!
wait_for 600 claude_started || { cat "$work/run-oauth.log" >&2; exit 1; }
claude=$(session_container)
podman exec -w /workspace "$claude" claude -p "oauth-session: say hello" >"$ARTIFACTS/claude-p-oauth.out" 2>&1 || true
check "with a token, agent-status names its kind" sh -c "podman exec $claude agent-status --anthropic-credential | grep -qx oauth-token"
check "the session gets the fixture's answer through the token" grep -q "Hello through the agent's OAuth token" "$ARTIFACTS/claude-p-oauth.out"
check "the Messages API saw the agent's token as a bearer on every request of the session" \
    "$FIXTURES" check-credentials "$work/records/anthropic-requests.jsonl" --kind oauth-token --credential-file "$work/oauth_token" \
    --placeholder "$PLACEHOLDER" --prompt-contains oauth-session
check "the token is in no file or environment of the claude container" sh -c \
    "! podman exec -u 0 $claude grep -rqs --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev $OAUTH_CANARY / \
     && ! podman exec -u 0 $claude sh -c 'cat /proc/[0-9]*/environ' 2>/dev/null | tr '\\0' '\\n' | grep -q $OAUTH_CANARY \
     && ! podman inspect $claude | grep -q $OAUTH_CANARY"
./run.sh --stop >"$work/stop-oauth.log" 2>&1 || { cat "$work/stop-oauth.log" >&2; failures=$((failures + 1)); }
wait "$run_pid" 2>/dev/null || true
run_pid=
