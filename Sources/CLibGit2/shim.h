#ifndef AGENT_LIBGIT2_SHIM_H
#define AGENT_LIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/transport.h>

/// An object-database backend of the agent's own: libgit2's struct first (libgit2 calls it
/// with a pointer to that), then the agent's store.
typedef struct agent_odb_backend {
    git_odb_backend parent;
    void *owner;
} agent_odb_backend;

/// A smart subtransport that wraps libgit2's HTTP one (to add the `atomic` push capability,
/// which libgit2 1.5 never sends).
typedef struct agent_subtransport {
    git_smart_subtransport parent;
    git_smart_subtransport *inner;
    void *owner;
} agent_subtransport;

/// One stream of `agent_subtransport`, wrapping the HTTP stream for the same service. A push's
/// request body is gathered in `pending` (libgit2 writes it an object at a time, each write one
/// HTTP chunk) and handed on in large pieces.
typedef struct agent_subtransport_stream {
    git_smart_subtransport_stream parent;
    git_smart_subtransport_stream *inner;
    void *owner;
    int service;
    int has_written;
    char *pending;
    size_t pending_length;
    size_t pending_capacity;
} agent_subtransport_stream;

// `git_libgit2_opts` is C-variadic, which Swift cannot call: one typed wrapper per option we use.

/// Turns libgit2's repository owner check on or off. Off only together with the agent's own
/// workspace-containment check (the workspace is bind-mounted and owned by another uid).
static inline int agent_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

/// Sets the CA bundle file and/or directory used to verify upstream TLS.
static inline int agent_git_set_ssl_cert_locations(const char *file, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, path);
}

/// Points the system, global and XDG config search paths at an empty value so that no config
/// outside the repository (the agent's own $HOME, /etc/gitconfig) can rewrite URLs or add headers.
static inline int agent_git_set_config_search_path(git_config_level_t level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

static inline int agent_git_set_user_agent(const char *user_agent) {
    return git_libgit2_opts(GIT_OPT_SET_USER_AGENT, user_agent);
}

static inline int agent_git_enable_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

#endif
