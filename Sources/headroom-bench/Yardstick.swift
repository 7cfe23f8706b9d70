import Simulator

// Hand-written loops doing the same work as the engine on the two reference workloads: a
// binary heap of (time, sequence) events, the same random generator and the same latency
// histogram, nothing else. They are the yardstick the engine's speed is reported against,
// shipped here so the ratio can be reproduced on any machine.

struct YardstickEvent {
    var time: Double
    var sequence: UInt64
    var kind: Int32     // 0 arrival, 1 departure, 2 expiry
    var subject: Int32
    var data: Double
}

/// A plain binary min-heap on (time, sequence).
struct YardstickHeap {
    var items: [YardstickEvent] = []
    var sequence: UInt64 = 0

    mutating func push(_ time: Double, _ kind: Int32, _ subject: Int32 = 0, _ data: Double = 0) {
        let e = YardstickEvent(time: time, sequence: sequence, kind: kind, subject: subject, data: data)
        sequence += 1
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].time < e.time || (items[p].time == e.time && items[p].sequence < e.sequence) { break }
            items[i] = items[p]
            i = p
        }
        items[i] = e
    }

    mutating func pop() -> YardstickEvent {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var c = l
                let r = l + 1
                if r < n && (items[r].time < items[l].time || (items[r].time == items[l].time && items[r].sequence < items[l].sequence)) { c = r }
                if last.time < items[c].time || (last.time == items[c].time && last.sequence < items[c].sequence) { break }
                items[i] = items[c]
                i = c
            }
            items[i] = last
        }
        return top
    }
}

enum Yardstick {
    /// M/M/c FCFS: `requests` arrivals at `rate`, exponential service with `mean`, `servers`.
    /// Returns the mean wait (seconds).
    static func mmc(requests: Int, servers: Int, rate: Double, mean: Double, seed: UInt64) -> Double {
        var arrivals = RandomSource(seed: seed, stream: 1000)
        var service = RandomSource(seed: seed, stream: 1)
        var heap = YardstickHeap()
        var waiting = [Double](repeating: 0, count: 1024)   // ring of arrival times
        var head = 0, count = 0
        var busy = 0, arrived = 0
        var waitSum = 0.0, served = 0
        var latency = LatencyHistogram()
        heap.push(arrivals.exponential(mean: 1 / rate), 0)
        while !heap.items.isEmpty {
            let e = heap.pop()
            if e.kind == 0 {
                arrived += 1
                if arrived < requests { heap.push(e.time + arrivals.exponential(mean: 1 / rate), 0) }
                if busy < servers {
                    busy += 1
                    served += 1
                    let s = service.exponential(mean: mean)
                    heap.push(e.time + s, 1, 0, e.time)
                } else {
                    if count == waiting.count {
                        var bigger = [Double](repeating: 0, count: waiting.count * 2)
                        for k in 0..<count { bigger[k] = waiting[(head + k) % waiting.count] }
                        waiting = bigger
                        head = 0
                    }
                    waiting[(head + count) % waiting.count] = e.time
                    count += 1
                }
            } else {
                latency.record(Int64((e.time - e.data) * 1e9))
                if count > 0 {
                    let t = waiting[head]
                    head = (head + 1) % waiting.count
                    count -= 1
                    waitSum += e.time - t
                    served += 1
                    heap.push(e.time + service.exponential(mean: mean), 1, 0, t)
                } else {
                    busy -= 1
                }
            }
        }
        return waitSum / Double(served)
    }

    /// Scale-per-request serverless with keep-alive (the SimFaaS model): returns the
    /// cold-start probability and the mean instance count.
    static func serverless(requests: Int, rate: Double, warmMean: Double, initTime: Double, keepAlive: Double,
                           seed: UInt64) -> (cold: Double, instances: Double) {
        var arrivals = RandomSource(seed: seed, stream: 1000)
        var service = RandomSource(seed: seed, stream: 1)
        var heap = YardstickHeap()
        var generation: [UInt32] = []
        var idle: [Int32] = []          // most recently idle last
        var idlePosition: [Int32] = []
        var instances = 0, arrived = 0, cold = 0
        var area = 0.0, last = 0.0
        var latency = LatencyHistogram()
        heap.push(arrivals.exponential(mean: 1 / rate), 0)
        while !heap.items.isEmpty {
            let e = heap.pop()
            area += Double(instances) * (e.time - last)
            last = e.time
            switch e.kind {
            case 0:
                arrived += 1
                if arrived < requests { heap.push(e.time + arrivals.exponential(mean: 1 / rate), 0) }
                if let i = idle.popLast() {
                    idlePosition[Int(i)] = -1
                    generation[Int(i)] &+= 1
                    heap.push(e.time + service.exponential(mean: warmMean), 1, i, e.time)
                } else {
                    cold += 1
                    instances += 1
                    generation.append(0)
                    idlePosition.append(-1)
                    let i = Int32(generation.count - 1)
                    heap.push(e.time + initTime + service.exponential(mean: warmMean), 1, i, e.time)
                }
            case 1:
                latency.record(Int64((e.time - e.data) * 1e9))
                idlePosition[Int(e.subject)] = Int32(idle.count)
                idle.append(e.subject)
                heap.push(e.time + keepAlive, 2, e.subject, Double(generation[Int(e.subject)]))
            default:
                let i = Int(e.subject)
                if generation[i] == UInt32(e.data), idlePosition[i] >= 0 {
                    let p = Int(idlePosition[i])
                    idle.remove(at: p)
                    for k in p..<idle.count { idlePosition[Int(idle[k])] = Int32(k) }
                    idlePosition[i] = -1
                    instances -= 1
                }
            }
        }
        return (Double(cold) / Double(arrived), area / last)
    }
}
