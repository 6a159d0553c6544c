#ifndef TEST_SUPPORT_SHIMS_H
#define TEST_SUPPORT_SHIMS_H

// For the tests' process launcher only (AgentTestSupport): the agent itself starts no process.

/// `posix_spawn_file_actions_addchdir_np` (GNU). `actions` is a `posix_spawn_file_actions_t *`.
int test_spawn_actions_addchdir(void *actions, const char *path);

/// `posix_spawn_file_actions_addclosefrom_np` (GNU): the child closes every descriptor from `low`.
int test_spawn_actions_addclosefrom(void *actions, int low);

#endif
