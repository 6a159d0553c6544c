#!/bin/sh
# Locks the pod's network to the command agent: installs the nftables table `egress_lock` in the
# network namespace this container shares with the pod, prints it, and exits.
#   env: AGENT_UID  the uid the agent container runs as (its runAsUser); required, not 0
#        EGRESS_LOCK_DRY_RUN=1  print the rules without installing them
# What leaves the pod: loopback (the pod's own containers), and packets whose socket belongs to
# AGENT_UID (its GitHub/API traffic and DNS lookups). Everything else is refused at once (the
# sender sees "Operation not permitted" or "connection refused", not a timeout), DNS and other
# UDP included. What enters: loopback, and answers to connections the pod opened.
set -eu
say() { printf 'egress-lock: %s\n' "$*" >&2; }
uid=${AGENT_UID:-}
case $uid in
    '' | *[!0-9]* | 0*) say "AGENT_UID must be the agent's uid: a number, not 0, without leading zeros"; exit 64 ;;
esac
[ ${#uid} -le 10 ] || { say "AGENT_UID is too long"; exit 64; }

rules() {
    printf '%s\n' "\
table inet egress_lock
delete table inet egress_lock
table inet egress_lock {
    chain output {
        type filter hook output priority filter; policy drop;
        oifname \"lo\" accept
        meta skuid $uid accept
        # Neighbour discovery is sent by the kernel, not by a user's socket; without it the
        # agent's own IPv6 traffic would fail. Unprivileged users cannot send these types.
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept
        meta l4proto tcp counter reject with tcp reset
        counter reject with icmpx type admin-prohibited
    }
    chain input {
        type filter hook input priority filter; policy drop;
        iifname \"lo\" accept
        ct state established,related accept
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
        counter drop
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
    }
}"
}

if [ "${EGRESS_LOCK_DRY_RUN:-}" = 1 ]; then rules; exit 0; fi
rules | nft -f - || { say "nft could not install the rules (has this container NET_ADMIN?)"; exit 1; }
say "only uid $uid may send packets out of this pod; inbound: answers only"
nft list table inet egress_lock
