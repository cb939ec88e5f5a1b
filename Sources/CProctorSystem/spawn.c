#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "proctor_system.h"

// Starting a program: posix_spawn (vfork-fast in glibc) with the three standard streams on fresh
// pipes, its own process group (so a timeout can stop its children too), every signal at its
// default disposition and none blocked, whatever the parent set for itself.
int proctor_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int *pid_out, int fds_out[3]) {
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int err = 0;
    for (int i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) != 0) { err = errno; goto fail; }
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if ((err = posix_spawn_file_actions_init(&fa)) != 0) goto fail;
    if ((err = posix_spawnattr_init(&attr)) != 0) { posix_spawn_file_actions_destroy(&fa); goto fail; }
    // Child side: stdin is the read end of pipe 0, stdout and stderr the write ends of pipes 1 and 2.
    posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
    posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
    if (cwd && cwd[0]) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    err = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) goto fail;
    close(p[0][0]);
    close(p[1][1]);
    close(p[2][1]);
    fds_out[0] = p[0][1];
    fds_out[1] = p[1][0];
    fds_out[2] = p[2][0];
    for (int i = 0; i < 3; i++) fcntl(fds_out[i], F_SETFL, fcntl(fds_out[i], F_GETFL) | O_NONBLOCK);
    *pid_out = pid;
    return 0;
fail:
    for (int i = 0; i < 3; i++) {
        if (p[i][0] >= 0) close(p[i][0]);
        if (p[i][1] >= 0) close(p[i][1]);
    }
    return err ? err : EINVAL;
}

int proctor_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int proctor_wait_status(int pid, int nohang, int *status) {
    int r;
    do { r = waitpid(pid, status, nohang ? WNOHANG : 0); } while (r < 0 && errno == EINTR);
    return r;
}

int proctor_block_sigpipe(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    return pthread_sigmask(SIG_BLOCK, &s, 0);
}

void proctor_consume_sigpipe(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&s, 0, &zero) > 0) {}
}

int proctor_exited(int status) { return WIFEXITED(status); }
int proctor_exit_code(int status) { return WEXITSTATUS(status); }
int proctor_signaled(int status) { return WIFSIGNALED(status); }
int proctor_term_signal(int status) { return WTERMSIG(status); }
