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
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { uint64_t s0, s1, s2, s3; } rng;

static uint64_t splitmix(uint64_t *x) {
    *x += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static rng rng_make(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0x9E3779B97F4A7C15ULL) ^ 0xD1B54A32D192ED03ULL;
    rng r;
    r.s0 = splitmix(&x); r.s1 = splitmix(&x); r.s2 = splitmix(&x); r.s3 = splitmix(&x);
    return r;
}

static inline uint64_t rng_next(rng *r) {
    uint64_t m = r->s1 * 5;
    uint64_t result = ((m << 7) | (m >> 57)) * 9;
    uint64_t t = r->s1 << 17;
    r->s2 ^= r->s0; r->s3 ^= r->s1; r->s1 ^= r->s2; r->s0 ^= r->s3;
    r->s2 ^= t;
    r->s3 = (r->s3 << 45) | (r->s3 >> 19);
    return result;
}

static inline double uniform(rng *r) { return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53; }
static inline double exponential(rng *r, double mean) { return -mean * log(uniform(r)); }

/* Events in integer nanoseconds, as the engine keeps them. */
typedef struct { int64_t time; uint64_t seq; int32_t kind; int64_t data; } event;
typedef struct { event *items; size_t n, cap; uint64_t seq; } heap;

static inline int before(const event *a, const event *b) {
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void push(heap *h, int64_t time, int32_t kind, int64_t data) {
    if (h->n == h->cap) { h->cap = h->cap ? h->cap * 2 : 64; h->items = realloc(h->items, h->cap * sizeof(event)); }
    event e = { time, h->seq++, kind, data };
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (before(&h->items[p], &e)) break;
        h->items[i] = h->items[p];
        i = p;
    }
    h->items[i] = e;
}

static event pop(heap *h) {
    event top = h->items[0];
    event last = h->items[--h->n];
    size_t i = 0, n = h->n;
    if (n > 0) {
        for (;;) {
            size_t l = 2 * i + 1;
            if (l >= n) break;
            size_t c = l;
            if (l + 1 < n && before(&h->items[l + 1], &h->items[l])) c = l + 1;
            if (before(&last, &h->items[c])) break;
            h->items[i] = h->items[c];
            i = c;
        }
        h->items[i] = last;
    }
    return top;
}

/* Sources/Simulator/LatencyHistogram.swift: exact below 128 ns, then 128 buckets per power of two. */
#define SUB_BITS 7
#define SUB (1 << SUB_BITS)
static int64_t counts[SUB + (63 - SUB_BITS) * SUB];
static int64_t hist_count;

static inline void record(int64_t v) {
    int i;
    if (v < SUB) i = v < 0 ? 0 : (int)v;
    else {
        int shift = 63 - __builtin_clzll((uint64_t)v) - SUB_BITS;
        i = shift * SUB + (int)(v >> shift);
    }
    counts[i]++;
    hist_count++;
}

static double percentile(double p) {
    int64_t rank = (int64_t)ceil(p / 100 * (double)hist_count), seen = 0;
    if (rank < 1) rank = 1;
    for (int i = 0; i < (int)(sizeof counts / sizeof counts[0]); i++) {
        seen += counts[i];
        if (seen >= rank) {
            if (i < SUB) return (double)i / 1e9;
            int shift = (i - SUB) / SUB;
            int64_t sub = (i - SUB) % SUB + SUB;
            return (double)((sub << shift) + ((int64_t)1 << shift) / 2) / 1e9;
        }
    }
    return 0;
}

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
