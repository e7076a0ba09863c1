// signal-floor.c — what signal-based sampling costs a busy thread on this machine, with nothing
// of wobs in it: an empty SIGPROF handler, paced either by a POSIX timer aimed at the busy thread
// (SIGEV_THREAD_ID, as perf-like samplers do) or by a helper thread that sleeps to absolute
// deadlines and sends tgkill (what wobs's exact sampler does). bench/signal-floor.sh compares them.
//
// Usage: signal-floor [interval_ns] [timer|thread]     (no interval: no signals at all)
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long signals;
static long interval_ns;
static pid_t busy_tid;

static void on_sigprof(int sig, siginfo_t *info, void *context) {
    (void)sig, (void)info, (void)context;
    signals++;
}

static void *pace(void *unused) {
    (void)unused;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        next.tv_nsec += interval_ns;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        syscall(SYS_tgkill, getpid(), busy_tid, SIGPROF);
    }
    return NULL;
}

int main(int argc, char **argv) {
    interval_ns = argc > 1 ? atol(argv[1]) : 0;
    int by_timer = argc > 2 && strcmp(argv[2], "timer") == 0;
    busy_tid = (pid_t)syscall(SYS_gettid);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigprof;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGPROF, &action, NULL);
    if (interval_ns > 0 && by_timer) {
        struct sigevent event;
        memset(&event, 0, sizeof event);
        event.sigev_notify = SIGEV_THREAD_ID;
        event.sigev_signo = SIGPROF;
        event._sigev_un._tid = busy_tid;
        timer_t timer;
        struct itimerspec spec = {{interval_ns / 1000000000, interval_ns % 1000000000},
                                  {interval_ns / 1000000000, interval_ns % 1000000000}};
        if (timer_create(CLOCK_MONOTONIC, &event, &timer) || timer_settime(timer, 0, &spec, NULL)) {
            perror("timer");
            return 1;
        }
    } else if (interval_ns > 0) {
        pthread_t pacer;
        pthread_create(&pacer, NULL, pace, NULL);
    }
    volatile unsigned x = 1;
    for (unsigned long i = 0; i < 1000000000ul; i++) x = x * 2654435761u + 1;
    fprintf(stderr, "%lu signals\n", signals);
    return 0;
}
