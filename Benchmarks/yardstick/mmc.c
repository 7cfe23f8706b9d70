/*
 * The whole-run yardstick: a hand-written M/M/c FCFS simulation in plain C, doing the work
 * `headroom run` does on the same workload and nothing else: a binary heap of (time,
 * sequence) events, the same random generator and streams (xoshiro256** seeded through
 * SplitMix64, arrivals on stream 1000, service times on stream 1), the same log-linear
 * latency histogram, and a mean-wait accumulator. Its mean wait agrees with Headroom's
 * summary.csv to three digits; Benchmarks/whole-run.sh times both as whole processes.
 *
 *   cc -O3 -march=native -o mmc mmc.c -lm
 *   ./mmc REQUESTS SERVERS RATE MEAN_SERVICE SEED
 */
#include "yardstick.h"

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s REQUESTS SERVERS RATE MEAN_SERVICE SEED\n", argv[0]);
        return 64;
    }
    long requests = atol(argv[1]);
    int servers = atoi(argv[2]);
    double rate = atof(argv[3]), mean = atof(argv[4]);
    uint64_t seed = strtoull(argv[5], NULL, 10);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    rng arrivals = rng_make(seed, 1000), service = rng_make(seed, 1);
    heap h = { 0 };
    size_t wcap = 1024, whead = 0, wcount = 0;
    int64_t *waiting = malloc(wcap * sizeof(int64_t));
    long arrived = 0, served = 0;
    int busy = 0;
    double wait_sum = 0, clock = 0;

    clock += exponential(&arrivals, 1 / rate);
    push(&h, (int64_t)(clock * 1e9 + 0.5), 0, 0);
    while (h.n > 0) {
        event e = pop(&h);
        if (e.kind == 0) {
            arrived++;
            if (arrived < requests) {
                clock += exponential(&arrivals, 1 / rate);
                push(&h, (int64_t)(clock * 1e9 + 0.5), 0, 0);
            }
            if (busy < servers) {
                busy++;
                served++;
                int64_t s = (int64_t)(exponential(&service, mean) * 1e9 + 0.5);
                push(&h, e.time + s, 1, e.time);
            } else {
                if (wcount == wcap) {
                    int64_t *bigger = malloc(2 * wcap * sizeof(int64_t));
                    for (size_t k = 0; k < wcount; k++) bigger[k] = waiting[(whead + k) % wcap];
                    free(waiting);
                    waiting = bigger;
                    whead = 0;
                    wcap *= 2;
                }
                waiting[(whead + wcount) % wcap] = e.time;
                wcount++;
            }
        } else {
            record(e.time - e.data);
            if (wcount > 0) {
                int64_t t = waiting[whead];
                whead = (whead + 1) % wcap;
                wcount--;
                wait_sum += (double)(e.time - t) / 1e9;
                served++;
                int64_t s = (int64_t)(exponential(&service, mean) * 1e9 + 0.5);
                push(&h, e.time + s, 1, t);
            } else {
                busy--;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("requests %ld\nwait_mean_s %.6f\nlatency_p50_s %.6f\nlatency_p99_s %.6f\nseconds %.3f\nrequests_per_s %.0f\n",
           arrived, wait_sum / (double)served, percentile(50), percentile(99), seconds, (double)arrived / seconds);
    free(waiting);
    free(h.items);
    return 0;
}
