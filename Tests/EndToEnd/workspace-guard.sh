#!/usr/bin/env bash
# Issue 13 end to end: from inside the running claude container, writes hostile git metadata into
# the project (keys that name programs, a hook, an alias, a diff driver with attributes, a nested
# repository), waits until the agent has quarantined each item (its audit lines in the container
# log), then runs the host's stock git in the project: nothing written may run. The same writes in
# a project no agent watches do run (so this can fail), and ./run.sh --quarantine lists the items.
#
# Usage (from containers.sh, after the clone check):
#   Tests/EndToEnd/workspace-guard.sh CLAUDE_CONTAINER AGENT_CONTAINER PROJECT_DIR
# The project holds the clone `app` the claude container made.
set -euo pipefail
cd "$(dirname "$0")/../.."
claude=$1 agent=$2 project=$3
failures=0
say() { printf 'workspace-guard: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; failures=$((failures + 1)); }

host=$(mktemp -d /tmp/guard-e2e.XXXXXX)
trap 'rm -rf "$host"' EXIT
# The person's git: stock, with its own empty HOME and no system configuration. The clone belongs
# to the container's user, so this git is told the project is safe.
person=(env -i PATH=/usr/bin:/bin HOME="$host" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LANG=C TERM=dumb PAGER=cat
    GIT_AUTHOR_NAME=Person GIT_AUTHOR_EMAIL=person@example.com GIT_COMMITTER_NAME=Person GIT_COMMITTER_EMAIL=person@example.com)
host_git() { "${person[@]}" git -c safe.directory='*' "$@"; }
in_claude() { podman exec -w /workspace/app "$claude" sh -c "$1"; }

# What a hijacked session writes. Every program is `.evil.sh` in the work tree (a path valid in
# the container and on the host alike); it leaves `ran-*` files in the directory it runs in.
# shellcheck disable=SC2016
hostile_writes='
set -e
printf "#!/bin/sh\ntouch \"ran-\$(basename \"\$0\")-\$\$\"\n" >.evil.sh && chmod +x .evil.sh
git config user.name "Claude in the container"
cat >>.git/config <<CFG
[core]
	fsmonitor = sh .evil.sh
	pager = sh .evil.sh
[alias]
	st = !sh .evil.sh
[diff "x"]
	textconv = sh .evil.sh
[filter "x"]
	clean = sh .evil.sh
CFG
printf "* diff=x filter=x\n" >.git/info/attributes
printf "#!/bin/sh\ntouch ran-pre-commit-hook\n" >.git/pre-commit.new && chmod +x .git/pre-commit.new
mv .git/pre-commit.new .git/hooks/pre-commit
git init -q nested
cat >>nested/.git/config <<CFG
[core]
	fsmonitor = sh ../.evil.sh
CFG
'

expected=(
    '"key":"core.fsmonitor"' '"key":"core.pager"' '"key":"alias.st"' '"key":"diff.x.textconv"' '"key":"filter.x.clean"'
    '"path":"app/.git/info/attributes"' '"path":"app/.git/hooks/pre-commit"' '"path":"app/nested/.git/config"'
)

# What the person does on the host afterwards.
battery() {  # battery WORKTREE
    local tree=$1
    printf 'changed on the host\n' >>"$tree/README.md"
    host_git -C "$tree" status >/dev/null 2>&1 || true
    host_git -C "$tree" diff >/dev/null 2>&1 || true
    host_git -C "$tree" log -p -2 >/dev/null 2>&1 || true
    # Under a terminal, as a shell prompt runs it: git starts its pager only then.
    "${person[@]}" script -qec "git -c safe.directory='*' -C '$tree' log -1" /dev/null >/dev/null 2>&1 </dev/null || true
    host_git -C "$tree" add -A >/dev/null 2>&1 || true
    host_git -C "$tree" commit -q -m "on the host" >/dev/null 2>&1 || true
    host_git -C "$tree" checkout -q -b host-branch >/dev/null 2>&1 || true
    host_git -C "$tree" st >/dev/null 2>&1 || true
    host_git -C "$tree" -C nested status >/dev/null 2>&1 || true
}
ran() { find "$1" -maxdepth 2 -name 'ran-*' 2>/dev/null; }

# Control: the same writes in a copy nobody guards must run.
cp -R "$project/app" "$host/control"
rm -rf "$host/control/nested" "$host/control/.git/hooks/pre-commit"
(cd "$host/control" && "${person[@]}" sh -c "$hostile_writes") >/dev/null 2>&1 || fail "the control writes did not apply"
battery "$host/control"
[ -n "$(ran "$host/control")" ] || fail "without the agent nothing ran: this test could not fail"

# The session writes from inside the claude container.
in_claude "$hostile_writes" || fail "the writes from inside the claude container did not apply"
for _ in $(seq 1 200); do
    log=$(podman logs "$agent" 2>&1)
    missing=0
    for text in "${expected[@]}"; do grep -qF "$text" <<<"$log" || missing=1; done
    [ $missing = 1 ] || break
    sleep 0.1
done
for text in "${expected[@]}"; do grep -qF "$text" <<<"$log" || fail "not quarantined: $text"; done

battery "$project/app"
if [ -n "$(ran "$project/app")" ]; then fail "ran on the host: $(ran "$project/app" | tr '\n' ' ')"; fi
[ "$(host_git -C "$project/app" config --get user.name)" = "Claude in the container" ] || fail "user.name (harmless) was taken"
PROJECT_DIR=$project ./run.sh --quarantine 2>"$host/listing" || true
grep -q 'core.fsmonitor in app/.git/config: core.fsmonitor names a program' "$host/listing" || fail "./run.sh --quarantine does not list it: $(cat "$host/listing")"
if grep -q ghp_CANARY "$host/listing"; then fail "the listing holds the token"; fi

[ $failures = 0 ] || exit 1
say "nothing the claude container wrote into .git ran on the host"
