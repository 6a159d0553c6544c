#ifndef AGENT_SHIMS_H
#define AGENT_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Mirror of Linux's `struct ucred`, so that Swift can name it without `_GNU_SOURCE`.
/// `shims.c` asserts at compile time that the layout matches the system's.
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} agent_ucred;

extern const int AGENT_SOL_SOCKET;
extern const int AGENT_SO_PEERCRED;

/// `getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ...)`. Returns 0, or -1 with errno set.
int agent_peer_credentials(int fd, agent_ucred *out);

/// `prctl(PR_SET_DUMPABLE, value)`: prctl is variadic, which Swift cannot call.
int agent_set_dumpable(int value);

/// `prctl(PR_GET_DUMPABLE)`.
int agent_get_dumpable(void);

/// `madvise(address, length, MADV_DONTDUMP)`.
int agent_madvise_dontdump(void *address, size_t length);

/// Writes zeros that the optimiser may not remove (`explicit_bzero`).
void agent_secure_zero(void *address, size_t length);

/// `openat2(dirfd, path, {flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS})` through
/// `syscall` (glibc has no wrapper): `path` is resolved strictly beneath `dirfd`, symbolic links
/// included, and no `/proc` magic link is followed. Returns a descriptor, or -1 with errno set
/// (`EXDEV` when the path would leave `dirfd`, `ENOSYS` on kernels before 5.6).
int agent_openat2_beneath(int dirfd, const char *path, int flags, unsigned int mode);

/// Like `agent_openat2_beneath`, and no symbolic link is followed in any component
/// (`RESOLVE_NO_SYMLINKS`): a link anywhere in `path` fails with `ELOOP`.
int agent_openat2_beneath_no_symlinks(int dirfd, const char *path, int flags, unsigned int mode);

/// `renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE)`.
int agent_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

#endif
