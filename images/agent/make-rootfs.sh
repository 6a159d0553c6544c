#!/bin/sh
# Completes the agent's root filesystem in ROOT (its binary is already in ROOT/usr/local/bin):
# the shared libraries it loads (as ldd lists them, with the dynamic loader), the CA
# certificates for upstream TLS, passwd/group entries, and the directories the agent uses.
# No shell, package manager or other program ends up in it.
#   usage: make-rootfs ROOT UID GID   (the uid and gid the agent runs as)
set -eu
root=$1 uid=$2 gid=$3
# Debian's /lib and /lib64 are links into /usr; keep it so (the binaries name the loader by /lib64).
mkdir -p "$root/usr/lib" "$root/usr/lib64"
ln -sfn usr/lib "$root/lib"
ln -sfn usr/lib64 "$root/lib64"
# (Libraries already in ROOT, as the Swift runtime beside a debug build's binary, stay there.)
for binary in "$root"/usr/local/bin/*; do
    ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | grep -v "^$root/" | while read -r library; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
done
mkdir -p "$root/etc/ssl" "$root/usr/share"
cp -a /etc/ssl/certs "$root/etc/ssl/"
cp -a /usr/share/ca-certificates "$root/usr/share/"
printf 'root:x:0:0:root:/root:/nonexistent\nagent:x:%s:%s:command agent:/nonexistent:/nonexistent\n' "$uid" "$gid" >"$root/etc/passwd"
printf 'root:x:0:\nagent:x:%s:\n' "$gid" >"$root/etc/group"
mkdir -p "$root/run/agent" "$root/var/lib/command-agent" "$root/workspace" "$root/tmp"
chmod 1777 "$root/tmp"
# The socket directory: a volume shared with the claude container, which gets this directory's
# owner and mode when it is made. The agent refuses one that another user owns or may write.
chown "$uid:$gid" "$root/run/agent"
chmod 0755 "$root/run/agent"
# The state volume (AGENT_STATE_DIR: the session's own branches across restarts), made from this
# directory too: the agent's alone.
chown "$uid:$gid" "$root/var/lib/command-agent"
chmod 0700 "$root/var/lib/command-agent"
