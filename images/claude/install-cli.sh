#!/bin/sh
# Puts the native Claude Code CLI at /opt/claude/bin/claude, out of the claude-agent-sdk wheel
# pinned (version, and the sha256 of each accepted wheel) in claude-code.requirements or in
# CLAUDE_SDK_REQUIREMENT. A wheel in /wheels (images/claude/wheels/, bound in by the build) is
# taken when it matches a pinned hash; otherwise pip downloads it from PyPI and checks it the same
# way. Only what that path needs is installed (unzip; pip only for a download).
#   usage: install-cli.sh REQUIREMENTS_FILE
#   env:   INSTALL_CLAUDE (not "true": nothing to install), CLAUDE_SDK_REQUIREMENT, CLAUDE_CODE_VERSION
set -eu
requirements=$1
mkdir -p /opt/claude/bin
[ "${INSTALL_CLAUDE:-true}" = true ] || exit 0
[ -z "${CLAUDE_SDK_REQUIREMENT:-}" ] || echo "$CLAUDE_SDK_REQUIREMENT" >"$requirements"
version=$(sed -n 's/^claude-agent-sdk==\([^ ]*\).*/\1/p' "$requirements")
[ -n "$version" ] || { echo "install-cli: no 'claude-agent-sdk==VERSION' line in the requirement" >&2; exit 1; }
pattern="claude_agent_sdk-$version-py3-none-manylinux_*_$(uname -m).whl"
# shellcheck disable=SC2086 # the pattern is a glob
found=$(ls /wheels/$pattern 2>/dev/null | head -n 1) || true
packages=unzip
[ -n "$found" ] || packages="unzip python3-pip ca-certificates"
apt-get update -qq
# shellcheck disable=SC2086 # one package per word
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
if [ -n "$found" ]; then
    sum=$(sha256sum "$found" | cut -d ' ' -f 1)
    grep -q -- "--hash=sha256:$sum" "$requirements" || { echo "install-cli: $found matches none of the pinned sha256 hashes" >&2; exit 1; }
    wheel=$found
    echo "install-cli: $found (sha256 $sum, pinned)"
else
    pip download --no-deps --only-binary=:all: --require-hashes --disable-pip-version-check -r "$requirements" -d /var/cache/claude-code
    # shellcheck disable=SC2086
    wheel=$(ls /var/cache/claude-code/$pattern | head -n 1)
fi
unzip -p "$wheel" claude_agent_sdk/_bundled/claude >/opt/claude/bin/claude
chmod 0755 /opt/claude/bin/claude
/opt/claude/bin/claude --version
if [ -n "${CLAUDE_CODE_VERSION:-}" ] && ! /opt/claude/bin/claude --version | grep -qxF "$CLAUDE_CODE_VERSION (Claude Code)"; then
    echo "install-cli: the wheel's CLI is not Claude Code $CLAUDE_CODE_VERSION (CLAUDE_CODE_VERSION)" >&2
    exit 1
fi
