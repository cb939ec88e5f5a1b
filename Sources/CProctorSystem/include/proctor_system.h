// Small system queries Swift's Glibc module does not expose.
#ifndef PROCTOR_SYSTEM_H
#define PROCTOR_SYSTEM_H

/// Lowest address of the calling thread's stack, or 0 when unknown.
unsigned long proctor_stack_low(void);
/// Size in bytes of the calling thread's stack, or 0 when unknown.
unsigned long proctor_stack_size(void);

/// The caller's real stack position (not a sanitizer's fake frame).
unsigned long proctor_stack_position(void);

/// Starts `path` (argv and envp NULL-terminated) in `cwd`, in a new process group, with default
/// signal dispositions and an empty signal mask. fds_out gets our ends of the child's stdin (write),
/// stdout and stderr (read), non-blocking and close-on-exec. Returns 0, or the errno that stopped it.
int proctor_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int *pid_out, int fds_out[3]);
/// A pollable descriptor that becomes readable when `pid` exits, or -1 where the kernel has none.
int proctor_pidfd_open(int pid);
/// waitpid, retried on EINTR; with `nohang`, returns 0 while the child runs.
int proctor_wait_status(int pid, int nohang, int *status);
/// Blocks SIGPIPE on the calling thread only, so a write to a closed pipe returns EPIPE there.
int proctor_block_sigpipe(void);
/// Takes any SIGPIPE pending on the calling thread (it is blocked there), so none is left behind.
void proctor_consume_sigpipe(void);
/// Decoding a wait status (the W* macros are not visible to Swift).
int proctor_exited(int status);
int proctor_exit_code(int status);
int proctor_signaled(int status);
int proctor_term_signal(int status);

#endif
