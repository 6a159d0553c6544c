# Sourced by containers.sh: ./run.sh as a person runs it, in a real terminal (tmux): Claude
# Code's prompt shows, a typed prompt gets the fixture's answer on screen, /exit returns to the
# shell, ./run.sh --stop leaves no container. The screen is kept in $ARTIFACTS.
# shellcheck shell=bash

say "interactive: ./run.sh in a terminal (tmux), as a new user would start it"
podman volume rm -f "${COMPOSE_PROJECT_NAME}_claude-home" >/dev/null 2>&1 || true
export COMPOSE_EXTRA_FILES=$E2E/compose.e2e.yml  # Claude Code itself this time, not an idle container
person() { tmux -L claude-e2e "$@"; }
screen() { person capture-pane -p -t person; }
on_screen() { screen | grep -qE -- "$1"; }
keep_screen() { screen >"$ARTIFACTS/interactive-$1.txt"; }
person kill-server 2>/dev/null || true
person new-session -d -s person -x 150 -y 45 -c "$PROJECT_DIR" "bash --norc --noprofile"
person send-keys -t person "PS1='person\$ '; $ROOT/run.sh; echo \"run.sh exited with \$?\"" Enter

# Presses KEY until the screen shows PATTERN, one key at a time: a key pressed while Claude Code
# is still starting may be lost or may act seconds later (as for a person who types too early),
# and a second Down would move the choice on again, so the next press waits 15 s for the first.
press_until() {
    local key=$1 pattern=$2
    for _ in 1 2 3; do
        on_screen "$pattern" && return 0
        person send-keys -t person "$key"
        wait_for 75 on_screen "$pattern" && return 0
    done
    return 1
}

# A new user's Claude Code asks whether to trust the project; a person says yes (the second choice).
screen_started=$(date +%s)
check "Claude Code asks whether to trust the project" wait_for 1500 on_screen "trust this folder"
say "Claude Code's first screen after $(($(date +%s) - screen_started)) s"
check "a person's Down key selects 'Yes, I trust this folder'" press_until Down "❯.{1,2}Yes, I trust this folder"
person send-keys -t person Enter
# The input line: the prompt sign, then spaces (a no-break space among them).
check "Claude Code shows its prompt" wait_for 300 on_screen "^❯[ "$'\u00a0'"]*\$"
keep_screen 1-prompt
person send-keys -t person -l "fixture-greeting: say hello"
wait_for 50 on_screen "^❯.{1,2}fixture-greeting: say hello" || true
person send-keys -t person Enter
check "a typed prompt gets the fixture's answer on screen" wait_for 300 on_screen "Hello from the fixture Messages API, through the command agent\."
keep_screen 2-answer
person send-keys -t person -l "/exit"
wait_for 50 on_screen "^❯.{1,2}/exit" || true
person send-keys -t person Enter
check "/exit returns to the shell" wait_for 300 on_screen "^run.sh exited with 0$"
keep_screen 3-exit
./run.sh --stop >"$work/stop-interactive.log" 2>&1 || { cat "$work/stop-interactive.log" >&2; failures=$((failures + 1)); }
check "./run.sh --stop leaves no container after the interactive session" sh -c "[ -z \"\$(podman ps -a -q --filter $project_label)\" ]"
person kill-server 2>/dev/null || true
say "the screens: $ARTIFACTS/interactive-*.txt"
