# Sourced by containers.sh: ./run.sh as a person runs it, in a real terminal (tmux): Claude
# Code's prompt shows, a typed prompt gets the fixture's answer on screen, /exit returns to the
# shell, ./run.sh --stop leaves no container. The screen is kept in $ARTIFACTS.
# shellcheck shell=bash

say "interactive: ./run.sh in a terminal (tmux), as a new user would start it"
podman volume rm -f "${session}_claude-home" >/dev/null 2>&1 || true
export COMPOSE_EXTRA_FILES=$E2E/compose.e2e.yml  # Claude Code itself this time, not an idle container
person() { tmux -L "$TMUX_SERVER" "$@"; }
screen() { person capture-pane -p -t person; }
on_screen() { screen | grep -qE -- "$1"; }
keep_screen() { screen >"$ARTIFACTS/interactive-$1.txt"; }
person kill-server 2>/dev/null || true
person new-session -d -s person -x 150 -y 45 -c "$PROJECT_DIR" "bash --norc --noprofile"
person send-keys -t person "PS1='person\$ '; $ROOT/run.sh; echo \"run.sh exited with \$?\"" Enter

nbsp=$'\u00a0'
prompt_line="^❯[ $nbsp]*\$"  # the input line: the prompt sign, then spaces (a no-break space among them)
yes_selected="❯.{1,2}Yes, I trust this folder"
no_selected="❯.{1,2}No, exit"

# A new user's Claude Code asks whether to trust the project; a person says yes (the second
# choice). While it starts, Claude Code draws the question once more, identical, about a second
# after the first: a choice made on the first drawing is undone. So the person looks before each
# key, and when an early Enter said no after all, runs ./run.sh again, as Claude Code advises.
answer_trust_question() {
    local attempt
    for attempt in 1 2 3; do
        [ "$attempt" = 1 ] || person send-keys -t person "clear; $ROOT/run.sh; echo \"run.sh exited with \$?\"" Enter
        wait_for 1500 on_screen "trust this folder|$prompt_line" || return 1
        [ "$attempt" != 1 ] || first_screen_after=$(($(date +%s) - screen_started))
        for _ in $(seq 1 40); do
            if on_screen "$prompt_line"; then
                trusted_at_attempt=$attempt
                return 0
            elif on_screen "isn't trusted"; then
                break
            elif on_screen "$yes_selected"; then
                person send-keys -t person Enter
                wait_for 25 on_screen "$prompt_line|isn't trusted|$no_selected" || true
            elif on_screen "$no_selected"; then
                person send-keys -t person Down
                wait_for 25 on_screen "$yes_selected" || true
            else
                wait_for 25 on_screen "$prompt_line|isn't trusted|$yes_selected|$no_selected" || true
            fi
        done
    done
    return 1
}

screen_started=$(date +%s) first_screen_after=? trusted_at_attempt=?
check "Claude Code asks whether to trust the project, and a person says yes" answer_trust_question
say "Claude Code's first screen after $first_screen_after s; the project trusted at attempt $trusted_at_attempt"
check "Claude Code shows its prompt" wait_for 300 on_screen "$prompt_line"
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
check "./run.sh --stop leaves no container after the interactive session" no_container_of
person kill-server 2>/dev/null || true
say "the screens: $ARTIFACTS/interactive-*.txt"
