# Sourced by containers.sh: the real Claude Code CLI in the claude container, driven by the
# fixture Messages API (Fixtures/anthropic/conversations.json, conversation "e2e-git-session"),
# whose tool calls run git and gh through the agent. Then: what reached the fixtures, and where
# the two canaries are not.
# shellcheck shell=bash

say "claude -p: the fixture model's tool calls clone, commit, push, open a pull request"
session_started=$(date +%s)
podman exec -w /workspace "$claude" claude -p "Run the e2e-git-session against o/app." --dangerously-skip-permissions \
    >"$ARTIFACTS/claude-p.out" 2>&1 || true
say "the claude -p session took $(($(date +%s) - session_started)) s"
anthropic_requests=$work/records/anthropic-requests.jsonl
"$FIXTURES" tool-results "$anthropic_requests" >"$ARTIFACTS/tool-results.txt" 2>&1 || true
"$FIXTURES" requests "$work/records/github-requests.jsonl" >"$ARTIFACTS/github-requests.txt" 2>&1 || true
cp "$anthropic_requests" "$ARTIFACTS/" 2>/dev/null || true

check "the session ends with the fixture's final answer" grep -q "Done: claude/e2e is pushed and has a pull request" "$ARTIFACTS/claude-p.out"
check "the Messages API saw the agent's key on every request, never the placeholder" \
    "$FIXTURES" check-credentials "$anthropic_requests" --kind api-key --credential-file "$work/anthropic_key" --placeholder "$PLACEHOLDER"
check "the CLI ran with the placeholder and the relay (its environment, saved by a tool call)" in_claude \
    "grep -qx ANTHROPIC_AUTH_TOKEN=$PLACEHOLDER /tmp/session-environ.txt && grep -qx ANTHROPIC_BASE_URL=http://127.0.0.1:3129 /tmp/session-environ.txt"
branch_landed() {
    local head
    head=$(podman exec -w /workspace/app "$claude" git rev-parse HEAD) || return 1
    [ "$head" = "$(upstream_ref refs/heads/claude/e2e)" ] \
        && podman exec -w /workspace/app "$claude" git rev-parse --abbrev-ref 'claude/e2e@{upstream}' | grep -qx origin/claude/e2e
}
check "claude/e2e landed upstream, tracked by the local branch" branch_landed
check "main did not move upstream" test "$(upstream_ref refs/heads/main)" = "$main_before"
check "the tool result the CLI sent back holds git's rejection" grep -qF \
    "! [remote rejected] HEAD -> main (branch 'main' is protected (BLOCKED_BRANCHES))" "$ARTIFACTS/tool-results.txt"
check "gh pr create reached the GitHub API" grep -qx "POST /graphql PullRequestCreate" "$ARTIFACTS/github-requests.txt"
check "gh api -X PATCH …/git/refs/heads/main got a 403, and GitHub never saw it" sh -c \
    "grep -q 'HTTP 403' $ARTIFACTS/tool-results.txt && ! grep -q '^PATCH' $ARTIFACTS/github-requests.txt"

# Where the canaries must not be: every process environment (during the session, saved by its
# tool call, and now), every file (the transcripts in ~/.claude/projects included), the logs and
# the inspect output of the claude container.
podman exec -u 0 "$claude" sh -c 'cat /proc/[0-9]*/environ 2>/dev/null' | tr '\0' '\n' >"$work/claude.env" || true
podman exec "$claude" sh -c 'cat ~/.claude/projects/*/*.jsonl' >"$ARTIFACTS/transcript.jsonl" 2>/dev/null || true
check "a transcript was written (the search below covers it)" grep -q "remote rejected" "$ARTIFACTS/transcript.jsonl"
for secret in "$CANARY" "$ANTHROPIC_CANARY"; do
    name=${secret:0:7}…
    check "$name is in no process environment of the claude container" sh -c \
        "grep -q '^GH_TOKEN=' $work/claude.env && ! grep -q $secret $work/claude.env && ! podman exec $claude grep -q $secret /tmp/session-environ.txt"
    check "$name is in no file of the claude container" sh -c "! podman exec -u 0 $claude grep -rqs --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev $secret /"
    check "$name is not in the claude container's logs or inspect output" sh -c "! podman logs $claude 2>&1 | grep -q $secret && ! podman inspect $claude | grep -q $secret"
done
