#define _GNU_SOURCE
#include "CEventLoop.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

int cel_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cel_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cel_epoll_ctl(int epfd, int op, int fd, int write, int edge) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    if (write) ev.events |= EPOLLOUT | EPOLLRDHUP;
    if (edge) ev.events |= EPOLLET;
    ev.data.fd = fd;
    int ops[3] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL };
    if (op < 0 || op > 2) { errno = EINVAL; return -1; }
    return epoll_ctl(epfd, ops[op], fd, &ev);
}

int cel_epoll_wait(int epfd, int32_t *fds, uint32_t *flags, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n;
    do { n = epoll_wait(epfd, events, max, timeout_ms); } while (n < 0 && errno == EINTR);
    for (int k = 0; k < n; k++) {
        uint32_t e = events[k].events, f = 0;
        if (e & (EPOLLIN | EPOLLRDHUP)) f |= 1;
        if (e & EPOLLOUT) f |= 2;
        if (e & (EPOLLHUP | EPOLLERR)) f |= 4;
        if (e & (EPOLLRDHUP | EPOLLHUP)) f |= 8;
        fds[k] = events[k].data.fd;
        flags[k] = f;
    }
    return n;
}

void cel_set_thread_name(const char *name) {
    char short_name[16];
    strncpy(short_name, name, 15);
    short_name[15] = 0;
    pthread_setname_np(pthread_self(), short_name);
}

int cel_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
