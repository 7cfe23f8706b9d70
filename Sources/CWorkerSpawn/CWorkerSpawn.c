#define _GNU_SOURCE
#include "CWorkerSpawn.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int cws_spawn(const char *file, char *const argv[], char *const envp[], const char *directory,
              const int *cpus, int cpu_count, const char *cgroup_procs, pid_t *pid_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    // Every signal blocked across the fork: the child must not run one of the runtime's
    // handlers before it has reset them.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        int error = 0;
        close(report[0]);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        if (setpgid(0, 0) != 0) goto failed;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) goto failed;
        // The runtime may have died between the fork and the prctl: then no signal comes.
        if (getppid() != parent) _exit(127);
        if (dup2(2, 1) < 0) goto failed;
        if (directory != NULL && chdir(directory) != 0) goto failed;
        if (cpu_count > 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            for (int k = 0; k < cpu_count; k++) {
                if (cpus[k] >= 0 && cpus[k] < CPU_SETSIZE) CPU_SET(cpus[k], &set);
            }
            (void)sched_setaffinity(0, sizeof set, &set);   // pinning is best effort
        }
        if (cgroup_procs != NULL) {
            // "0" names the writing process, in cgroup v1 and v2 alike.
            int fd = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
            if (fd < 0) goto failed;
            if (write(fd, "0\n", 2) != 2) { error = errno; close(fd); errno = error; goto failed; }
            close(fd);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvpe(file, argv, envp);
    failed:
        error = errno;
        (void)!write(report[1], &error, sizeof error);
        _exit(127);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return forkError;
    }
    // Also set from this side, so that a signal to the group reaches the child even before
    // it has run (EACCES once it has exec'd is expected).
    (void)setpgid(pid, pid);
    int childError = 0;
    ssize_t n;
    do { n = read(report[0], &childError, sizeof childError); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof childError) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return childError != 0 ? childError : ECHILD;
    }
    *pid_out = pid;
    return 0;
}
