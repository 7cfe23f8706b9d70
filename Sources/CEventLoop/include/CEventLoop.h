// The Linux system calls the runtime's event loop needs and Swift's Glibc module does not
// export (epoll, eventfd, thread names). Thin wrappers: `struct epoll_event` is packed on
// x86-64, so events cross into Swift as two plain arrays instead.
#ifndef C_EVENT_LOOP_H
#define C_EVENT_LOOP_H

#include <stdint.h>

/// epoll_create1(EPOLL_CLOEXEC).
int cel_epoll_create(void);
/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int cel_eventfd(void);
/// epoll_ctl with `op` 0 add, 1 modify, 2 delete; `edge` adds EPOLLET; `write` adds EPOLLOUT
/// (and EPOLLRDHUP with it).
int cel_epoll_ctl(int epfd, int op, int fd, int write, int edge);
/// epoll_wait: for each ready descriptor k < result, fds[k] and flags[k] (bit 0 readable or
/// closed, bit 1 writable, bit 2 hang-up or error, bit 3 the peer closed its side).
int cel_epoll_wait(int epfd, int32_t *fds, uint32_t *flags, int max, int timeout_ms);
/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC).
int cel_accept(int fd);
/// pthread_setname_np on the calling thread (at most 15 bytes are kept).
void cel_set_thread_name(const char *name);

#endif
