// Spawning a worker process tied to the runtime's life: what posix_spawn cannot do (it has no
// way to set PR_SET_PDEATHSIG in the child before exec), written as fork + exec with only
// async-signal-safe calls in the child.
#ifndef C_WORKER_SPAWN_H
#define C_WORKER_SPAWN_H

#include <sys/types.h>

/// Forks and, in the child: resets every signal's disposition and mask to the default, puts
/// itself in a process group of its own, asks for SIGKILL when its parent thread ends
/// (PR_SET_PDEATHSIG) and exits at once if the parent is already gone, sends its standard
/// output to standard error, changes to `directory` (when not NULL), pins itself to the
/// `cpu_count` cores in `cpus`, moves itself into the cgroup whose `cgroup.procs` file is
/// `cgroup_procs` (when not NULL; before exec, so all of the worker's CPU is under the
/// cgroup's limit), and execs `file` (looked up on PATH when it has no "/") with `argv` and
/// `envp`. Returns 0 and the child's pid in `pid_out`, or an errno value: the
/// fork's, or the child's own (chdir, exec), which it sends back over a close-on-exec pipe;
/// such a child has been reaped.
int cws_spawn(const char *file, char *const argv[], char *const envp[], const char *directory,
              const int *cpus, int cpu_count, const char *cgroup_procs, pid_t *pid_out);

#endif
