import Scenario

// Mooncake's trace release (kvcache-ai/Mooncake, FAST25-release/traces/): one JSON object a
// line, {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}, in time
// order. A hash id stands for a block of `hashBlockTokens` prompt tokens (512 in the release)
// and its whole prefix: two rows that share an id share the prompt up to that block's end.
// Each line is read by hand, byte by byte, into reused buffers: a trace hour is 3 MB.

extension TraceReader {
    /// The next row of a mooncake trace; nil at end of file.
    func nextMooncake() throws -> TraceRow? {
        while let raw = nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            var time: Int64?, input: Int32?, output: Int32?
            var hashes = false
            hashIDs.removeAll(keepingCapacity: true)
            var k = raw.startIndex
            let end = raw.endIndex
            func column(_ at: Int) -> Int { at - raw.startIndex + 1 }
            func fail(_ message: String, at: Int, key: String? = nil, suggestion: String? = nil,
                      raisedIn sourceFile: String = #fileID, atLine sourceLine: Int = #line) -> ScenarioError {
                ScenarioError(file: displayPath, line: line, column: column(at), path: key.map { "$." + $0 }, message: message, suggestion: suggestion,
                              raisedIn: sourceFile, at: sourceLine)
            }
            func skipSpace() { while k < end && (raw[k] == 0x20 || raw[k] == 0x09) { k += 1 } }
            /// The bytes of a scalar value (up to the next delimiter).
            func scalar() -> ArraySlice<UInt8> {
                let from = k
                while k < end, raw[k] != 0x2C, raw[k] != 0x7D, raw[k] != 0x5D, raw[k] != 0x20, raw[k] != 0x09 { k += 1 }
                return raw[from..<k]
            }
            skipSpace()
            guard k < end, raw[k] == 0x7B else {
                throw fail("expected a JSON object ({\"timestamp\": …, \"input_length\": …, \"output_length\": …, \"hash_ids\": […]}) on each line", at: k)
            }
            k += 1
            skipSpace()
            if k < end && raw[k] == 0x7D { k += 1 } else {
                while true {
                    skipSpace()
                    guard k < end, raw[k] == 0x22 else { throw fail("expected a key in double quotes", at: k) }
                    let keyStart = k + 1
                    k = keyStart
                    while k < end && raw[k] != 0x22 { k += raw[k] == 0x5C ? 2 : 1 }
                    guard k < end else { throw fail("unterminated key", at: keyStart - 1) }
                    let key = raw[keyStart..<k]
                    k += 1
                    skipSpace()
                    guard k < end, raw[k] == 0x3A else { throw fail("expected \":\" after the key", at: k) }
                    k += 1
                    skipSpace()
                    let valueAt = k
                    if key.elementsEqual("timestamp".utf8) {
                        let bytes = scalar()
                        // Milliseconds: read as seconds to nanoseconds, then ÷ 1000.
                        guard let ns = Self.parseTime(bytes), ns >= 0, !Self.isISO(bytes) else {
                            throw fail("expected the timestamp in milliseconds (a number ≥ 0), found \"\(Self.text(bytes))\"", at: valueAt, key: "timestamp")
                        }
                        time = ns / 1000
                    } else if key.elementsEqual("input_length".utf8) {
                        input = try tokens(scalar(), key: "input_length", at: column(valueAt))
                    } else if key.elementsEqual("output_length".utf8) {
                        output = try tokens(scalar(), key: "output_length", at: column(valueAt))
                    } else if key.elementsEqual("hash_ids".utf8) {
                        guard k < end, raw[k] == 0x5B else { throw fail("expected an array of block hash ids", at: k, key: "hash_ids") }
                        k += 1
                        skipSpace()
                        if k < end && raw[k] == 0x5D { k += 1 } else {
                            while true {
                                skipSpace()
                                let at = k, bytes = scalar()
                                guard let id = Self.hashID(bytes) else {
                                    throw fail("expected a whole number ≥ 0 as a hash id, found \"\(Self.text(bytes))\"", at: at, key: "hash_ids[\(hashIDs.count)]")
                                }
                                hashIDs.append(id)
                                skipSpace()
                                guard k < end else { throw fail("unterminated hash_ids array", at: valueAt, key: "hash_ids") }
                                if raw[k] == 0x5D { k += 1; break }
                                guard raw[k] == 0x2C else { throw fail("expected \",\" or \"]\" in hash_ids", at: k, key: "hash_ids") }
                                k += 1
                            }
                        }
                        hashes = true
                    } else {
                        // Another key (a later release may add some): its value is skipped.
                        guard Self.skipValue(raw, &k) else {
                            throw fail("cannot read the value of \"\(Self.text(key))\"", at: valueAt, key: Self.text(key))
                        }
                    }
                    skipSpace()
                    guard k < end else { throw fail("unterminated object: expected \"}\"", at: k) }
                    if raw[k] == 0x7D { k += 1; break }
                    guard raw[k] == 0x2C else { throw fail("expected \",\" or \"}\" after a value", at: k) }
                    k += 1
                }
            }
            skipSpace()
            guard k == end else { throw fail("unexpected text after the object", at: k) }
            for (name, present) in [("timestamp", time != nil), ("input_length", input != nil), ("output_length", output != nil)] where !present {
                throw fail("missing \"\(name)\": each row needs timestamp, input_length and output_length", at: raw.startIndex)
            }
            guard time! >= previousTime else {
                throw fail("timestamp \(Double(time!) / 1e6) ms is earlier than the row before: rows must be in time order", at: raw.startIndex,
                           key: "timestamp", suggestion: "sort the trace by timestamp")
            }
            previousTime = time!
            var row = TraceRow(offset: try offset(time!, column: "timestamp"), target: defaultTarget, caller: 0, version: 0,
                               inputTokens: input!, outputTokens: output!)
            lastReusedTokens = 0
            if hashes {
                let length = Int(input!), block = hashBlockTokens
                let expected = (length + block - 1) / block
                guard hashIDs.count == expected else {
                    throw fail("expected \(expected) hash ids for input_length \(length) at \(block) tokens a block, found \(hashIDs.count)",
                               at: raw.startIndex, key: "hash_ids",
                               suggestion: "set the source's \"hashBlockTokens\" to the trace's block size (512 in Mooncake's release)")
                }
                var parent: Int32 = -1, reused: Int32 = 0, stillReused = true
                for (j, id) in hashIDs.enumerated() {
                    var created = false
                    let node = prefixes.node(after: parent, space: prefixSpace, id: id, tokens: Int32(Swift.min(block, length - block * j)), created: &created)
                    if created { stillReused = false } else if stillReused { reused = prefixes.end[Int(node)] }
                    parent = node
                }
                row.prefix = parent
                lastReusedTokens = Swift.min(reused, input!)
            }
            return row
        }
        return nil
    }

    /// A token count in a mooncake row.
    func tokens(_ bytes: ArraySlice<UInt8>, key: String, at column: Int) throws -> Int32 {
        do {
            return try tokens(bytes, column: key)
        } catch let e as ScenarioError {
            throw ScenarioError(file: displayPath, line: line, column: column, path: "$." + key, message: e.message, suggestion: e.suggestion)
        }
    }

    /// A hash id: a whole number from 0 to 2⁶³ − 1.
    static func hashID(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var v: Int64 = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
            guard !o1 && !o2 else { return nil }
            v = a
        }
        return v
    }

    /// Skips one JSON value (a string, number, literal, array or object) from `k`; false when
    /// the line ends inside it.
    static func skipValue(_ raw: ArraySlice<UInt8>, _ k: inout Int) -> Bool {
        var depth = 0
        let end = raw.endIndex
        while k < end {
            let b = raw[k]
            if b == 0x22 {
                k += 1
                while k < end && raw[k] != 0x22 { k += raw[k] == 0x5C ? 2 : 1 }
                guard k < end else { return false }
                k += 1
            } else if b == 0x5B || b == 0x7B {
                depth += 1
                k += 1
            } else if b == 0x5D || b == 0x7D {
                if depth == 0 { return true }
                depth -= 1
                k += 1
            } else if b == 0x2C && depth == 0 {
                return true
            } else {
                k += 1
            }
            if depth == 0 && (b == 0x22 || b == 0x5D || b == 0x7D) { return true }
        }
        return depth == 0
    }
}
