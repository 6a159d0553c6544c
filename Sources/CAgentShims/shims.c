#include "agent_shims.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/openat2.h>

_Static_assert(sizeof(agent_ucred) == sizeof(struct ucred), "agent_ucred must mirror struct ucred");
_Static_assert(offsetof(agent_ucred, uid) == offsetof(struct ucred, uid), "agent_ucred.uid offset");
_Static_assert(offsetof(agent_ucred, gid) == offsetof(struct ucred, gid), "agent_ucred.gid offset");

const int AGENT_SOL_SOCKET = SOL_SOCKET;
const int AGENT_SO_PEERCRED = SO_PEERCRED;

int agent_peer_credentials(int fd, agent_ucred *out) {
    struct ucred cred;
    socklen_t length = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
        return -1;
    }
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    return 0;
}

int agent_set_dumpable(int value) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)value, 0UL, 0UL, 0UL);
}

int agent_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}

int agent_madvise_dontdump(void *address, size_t length) {
    return madvise(address, length, MADV_DONTDUMP);
}

void agent_secure_zero(void *address, size_t length) {
    explicit_bzero(address, length);
}


int agent_openat2_beneath(int dirfd, const char *path, int flags, unsigned int mode) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(unsigned int)flags;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int agent_openat2_beneath_no_symlinks(int dirfd, const char *path, int flags, unsigned int mode) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(unsigned int)flags;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int agent_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}
