/*
 * The whole-run yardstick for serverless: scale per request with a fixed keep-alive (the
 * SimFaaS model, Lambda-like: one request per environment, the request that starts an
 * environment is served by it, the most recently idle environment is reused first), in
 * plain C, doing the work `headroom run Scenarios/simfaas-reference.json` does and nothing
 * else: the same event heap, random streams (arrivals 1000, service 1), integer-nanosecond
 * times and latency histogram as Benchmarks/yardstick/mmc.c. Its cold-start count and mean
 * instance count agree with Headroom's summary.csv; Benchmarks/whole-run.sh times both.
 *
 *   cc -O3 -o serverless serverless.c -lm
 *   ./serverless REQUESTS RATE WARM_MEAN INIT KEEP_ALIVE SEED
 */
#include "yardstick.h"

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s REQUESTS RATE WARM_MEAN INIT KEEP_ALIVE SEED\n", argv[0]);
        return 64;
    }
    long requests = atol(argv[1]);
    double rate = atof(argv[2]), warm = atof(argv[3]);
    int64_t init = (int64_t)(atof(argv[4]) * 1e9 + 0.5), keep = (int64_t)(atof(argv[5]) * 1e9 + 0.5);
    uint64_t seed = strtoull(argv[6], NULL, 10);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    rng arrivals = rng_make(seed, 1000), service = rng_make(seed, 1);
    heap h = { 0 };
    /* Per environment: its generation (bumped on reuse, so a stale expiry is ignored), its
       place in the idle list (-1: busy), and the arrival time of the request it serves. */
    size_t cap = 1024, count = 0, idle_n = 0;
    uint32_t *generation = malloc(cap * sizeof(uint32_t));
    int32_t *idle = malloc(cap * sizeof(int32_t)), *position = malloc(cap * sizeof(int32_t));
    int64_t *arrival = malloc(cap * sizeof(int64_t));
    long arrived = 0, cold = 0, instances = 0;
    double area = 0, clock = 0;
    int64_t last = 0;

    clock += exponential(&arrivals, 1 / rate);
    push(&h, (int64_t)(clock * 1e9 + 0.5), 0, 0);
    while (h.n > 0) {
        event e = pop(&h);
        area += (double)instances * (double)(e.time - last);
        last = e.time;
        if (e.kind == 0) {                    /* an arrival: reuse the most recently idle, or start one */
            arrived++;
            if (arrived < requests) {
                clock += exponential(&arrivals, 1 / rate);
                push(&h, (int64_t)(clock * 1e9 + 0.5), 0, 0);
            }
            int64_t s = (int64_t)(exponential(&service, warm) * 1e9 + 0.5);
            int32_t i;
            if (idle_n > 0) {
                i = idle[--idle_n];
                position[i] = -1;
                generation[i]++;
                push(&h, e.time + s, 1, i);
            } else {
                cold++;
                instances++;
                if (count == cap) {
                    cap *= 2;
                    generation = realloc(generation, cap * sizeof(uint32_t));
                    idle = realloc(idle, cap * sizeof(int32_t));
                    position = realloc(position, cap * sizeof(int32_t));
                    arrival = realloc(arrival, cap * sizeof(int64_t));
                }
                i = (int32_t)count++;
                generation[i] = 0;
                position[i] = -1;
                push(&h, e.time + init + s, 1, i);
            }
            arrival[i] = e.time;
        } else if (e.kind == 1) {             /* service done: the environment idles */
            int32_t i = (int32_t)e.data;
            record(e.time - arrival[i]);
            position[i] = (int32_t)idle_n;
            idle[idle_n++] = i;
            push(&h, e.time + keep, 2, ((int64_t)generation[i] << 32) | (uint32_t)i);
        } else {                              /* keep-alive expiry, unless reused since */
            int32_t i = (int32_t)(e.data & 0xffffffff);
            uint32_t g = (uint32_t)(e.data >> 32);
            if (generation[i] == g && position[i] >= 0) {
                for (size_t k = (size_t)position[i]; k + 1 < idle_n; k++) { idle[k] = idle[k + 1]; position[idle[k]] = (int32_t)k; }
                idle_n--;
                position[i] = -1;
                instances--;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("requests %ld\ncold_starts %ld\ncold_start_ratio %.6f\ninstances_mean %.6f\nlatency_p50_s %.6f\nseconds %.3f\nrequests_per_s %.0f\n",
           arrived, cold, (double)cold / (double)arrived, area / (double)last, percentile(50), seconds, (double)arrived / seconds);
    free(generation); free(idle); free(position); free(arrival); free(h.items);
    return 0;
}
