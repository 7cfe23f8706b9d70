import Glibc

/// Writes a message's bytes into one array of the exact size: the caller counts the bytes
/// (`count`), then writes them (`write`) in the same order.
///
/// Appending to an array cost ~90 instructions an append (capacity checks, the generic
/// path), and each length a `String`. Under callgrind, with this writer (and header names
/// matched by their length first) `serve` runs 37.7 k instructions per proxied request
/// instead of 41.0 k; each message's bytes now cost ~1,500.
struct WireWriter {
    private var p: UnsafeMutablePointer<UInt8>

    /// An array of `size` bytes filled by `fill`, which must write exactly that many.
    static func bytes(size: Int, _ fill: (inout WireWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var w = WireWriter(p: buffer.baseAddress!)
            fill(&w)
            initialized = w.p - buffer.baseAddress!
            precondition(initialized == size, "a message's bytes were miscounted")
        }
    }

    /// The bytes `write(_: String)` writes.
    @inline(__always) static func count(_ s: String) -> Int { s.utf8.count }

    /// The bytes `write(decimal:)` writes.
    @inline(__always) static func count(decimal n: Int) -> Int {
        var digits = n < 0 ? 2 : 1
        var m = n.magnitude
        while m >= 10 { m /= 10; digits += 1 }
        return digits
    }

    @inline(__always) mutating func write(_ s: String) {
        let written = s.utf8.withContiguousStorageIfAvailable { b -> Int in
            if let base = b.baseAddress { p.update(from: base, count: b.count) }
            return b.count
        }
        if let written {
            p += written
        } else {
            for c in s.utf8 { p.pointee = c; p += 1 }
        }
    }

    @inline(__always) mutating func write(_ s: StaticString) {
        p.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        p += s.utf8CodeUnitCount
    }

    @inline(__always) mutating func write(_ b: UInt8) {
        p.pointee = b
        p += 1
    }

    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { p.update(from: base, count: b.count) }
        }
        p += bytes.count
    }

    /// An integer in decimal, as `String(n)` spells it.
    mutating func write(decimal n: Int) {
        let digits = WireWriter.count(decimal: n)
        if n < 0 { p.pointee = UInt8(ascii: "-") }
        var m = n.magnitude
        var at = p + digits - 1
        repeat {
            at.pointee = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
            at -= 1
        } while m > 0
        p += digits
    }

    /// The bytes of "name: value" CRLF.
    @inline(__always) static func count(field name: String, _ value: String) -> Int { count(name) + count(value) + 4 }

    @inline(__always) mutating func write(field name: String, _ value: String) {
        write(name)
        write(UInt8(ascii: ":"))
        write(UInt8(ascii: " "))
        write(value)
        write(13)
        write(10)
    }
}
