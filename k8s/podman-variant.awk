# Makes the podman 4.3 variant of session-pod.yaml, for `podman kube play` (the pod test, or a
# try on one machine):   awk -f k8s/podman-variant.awk k8s/session-pod.yaml > /tmp/pod.yaml
#
# podman 4.3 knows no native sidecars: it runs every init container to its end before the
# containers start, so the agent (an init container with restartPolicy: Always) would keep the
# pod from starting. This moves each such init container, with the comment lines just above
# it, to the front of `containers:` and drops its restartPolicy line; the other init containers
# stay. It also keeps podman's init containers after they ran (annotation
# io.podman.annotations.init.container.type: always), so that their logs can be read; podman
# otherwise removes them at once (and 4.3 then logs a spurious error).
#
# It relies on the layout session-pod.yaml documents: list items start with "  - ", their
# fields are indented by four spaces, a sidecar's "    restartPolicy: Always" is its own line.
#
# -v without=NAME also leaves out the init container NAME (the pod test's control run, without
# egress-lock).
function flush_item(    n, i, lines, is_sidecar, kept) {
    if (item == "") return
    n = split(item, lines, "\n")
    is_sidecar = 0
    kept = ""
    for (i = 1; i < n; i++) {
        if (without != "" && lines[i] == "  - name: " without) { item = ""; return }
        if (lines[i] == "    restartPolicy: Always") { is_sidecar = 1; continue }
        kept = kept lines[i] "\n"
    }
    if (is_sidecar) sidecars = sidecars kept; else printf "%s", kept
    item = ""
}
function end_init_section() {
    flush_item()
    printf "%s", pending
    pending = ""
    in_init = 0
}
BEGIN { in_init = 0; item = ""; pending = ""; sidecars = ""; moved = 0 }
/^metadata:$/ {
    print
    print "  annotations:"
    print "    io.podman.annotations.init.container.type: always"
    next
}
/^  initContainers:$/ { print; in_init = 1; next }
in_init && /^  #/ { pending = pending $0 "\n"; next }
in_init && /^  - / { flush_item(); item = pending $0 "\n"; pending = ""; next }
in_init && /^    / { item = item $0 "\n"; next }
in_init { end_init_section() }
/^  containers:$/ { print; printf "%s", sidecars; moved = (sidecars != ""); next }
{ print }
END {
    if (in_init) end_init_section()
    if (!moved) {
        print "podman-variant.awk: no native sidecar moved (is there a `containers:` section?)" > "/dev/stderr"
        exit 1
    }
}
