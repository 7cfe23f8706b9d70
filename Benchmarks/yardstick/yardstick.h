/*
 * What the C yardsticks share with the engine, so each does the same work as `headroom run`:
 * the random generator and its streams (xoshiro256** seeded through SplitMix64, as
 * Sources/Simulator/Random.swift), a binary heap of (time, sequence) events in integer
 * nanoseconds, and the log-linear latency histogram (Sources/Simulator/LatencyHistogram.swift).
 */
#ifndef HEADROOM_YARDSTICK_H
#define HEADROOM_YARDSTICK_H
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

#endif
