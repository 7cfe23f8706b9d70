import Foundation
import Scenario

/// One row of a trace, already resolved.
public struct TraceRow: Sendable {
    /// Nanoseconds since the trace's first row.
    public var offset: Int64
    public var target: Int32
    public var caller: Int32
    public var version: Int32
    public var inputTokens: Int32
    public var outputTokens: Int32
    /// The request's service time from the trace (nanoseconds), or -1: the model's applies.
    public var service: Int64 = -1
    /// Its prompt's last block in the reader's `PrefixTree` (-1: none).
    public var prefix: Int32 = -1
}

/// Interned strings (callers, versions) so requests carry small integers.
public struct StringTable: Sendable {
    public private(set) var strings: [String] = [""]
    var index: [String: Int32] = ["": 0]

    public init() {}

    /// The id of a string, adding it on first sight. Id 0 is the empty string.
    public mutating func intern(_ s: String) -> Int32 {
        if let i = index[s] { return i }
        let i = Int32(strings.count)
        strings.append(s)
        index[s] = i
        return i
    }
}

/// Reads a trace file row by row in fixed-size chunks: memory stays constant whatever the
/// file's size. Errors name the file, the line and the column.
public final class TraceReader {
    let path: String
    let displayPath: String
    let format: TraceSpec.Format
    let handle: UnsafeMutablePointer<FILE>
    var buffer: [UInt8]
    var bufferStart = 0
    var bufferEnd = 0
    var eof = false
    public private(set) var line = 0

    // Column layout (generic CSV).
    var timeColumn = 0
    var targetColumn = -1
    var callerColumn = -1
    var versionColumn = -1
    var inputColumn = -1
    var outputColumn = -1
    var serviceColumn = -1
    var columnNames: [String] = []

    let defaultTarget: Int32
    /// Per target: whether its service time needs token counts.
    let needsTokens: [Bool]
    /// Targets a row may not name: the prefill and decode pools of disaggregated serving,
    /// which serve only as stages of their pipeline.
    let stageOnly: [Bool]
    /// Per target: whether a row's `service_s` can be its service time
    /// (`Scenario.takesServiceTime`). Empty: every target.
    let takesService: [Bool]
    /// When set, targets are not checked against a scenario but collected here (trace stats).
    public var seenTargets: StringTable?
    let targetNames: [String]
    let targetIndex: [String: Int32]
    var lastTargetName: [UInt8] = []
    var lastTarget: Int32 = -1
    var firstTime: Int64?
    /// Whether the rows' times are ISO-8601 (else seconds), from the first row.
    var firstIsISO: Bool?
    var previousTime: Int64 = Int64.min

    // Azure Functions 2021: invocations read ahead, by start time.
    var pendingInvocations: [PendingInvocation] = []
    var lastEnd: Int64 = Int64.min
    var lastEmitted: Int64 = Int64.min
    var eofReached = false
    let reorderWindow: Int64
    let useDurations: Bool
    /// Targets by function or app name.
    let functionTargets: [String: Int32]
    var lastFunction: [UInt8] = [], lastApp: [UInt8] = []
    var lastFunctionTarget: Int32 = 0

    // Mooncake: prompts' prefix blocks go into `prefixes` (shared with the run), in a key
    // space of this reader's own, so two traces' ids never meet.
    public let prefixes: PrefixTree
    let prefixSpace: Int32
    let hashBlockTokens: Int
    /// The last row's prompt tokens in blocks that earlier rows already had: what a cache
    /// that never evicts would serve.
    public internal(set) var lastReusedTokens: Int32 = 0
    /// The current row's hash ids (reused from row to row).
    var hashIDs: [Int64] = []

    /// Opens the trace and reads its header.
    public init(spec: TraceSpec, defaultTarget: Int32, targetNames: [String], needsTokens: [Bool] = [], stageOnly: [Bool] = [],
                takesService: [Bool] = [], servedAs: [Int] = [], prefixes: PrefixTree = PrefixTree()) throws {
        self.needsTokens = needsTokens
        self.stageOnly = stageOnly
        self.takesService = takesService
        self.prefixes = prefixes
        prefixSpace = prefixes.newSpace()
        hashBlockTokens = spec.hashBlockTokens
        path = spec.resolvedPath
        displayPath = spec.resolvedPath
        format = spec.format
        self.defaultTarget = defaultTarget
        self.targetNames = targetNames
        var index: [String: Int32] = [:]
        // A row naming a target the plan serves as another is that other's.
        for (i, n) in targetNames.enumerated() { index[n] = Int32(i < servedAs.count ? servedAs[i] : i) }
        targetIndex = index
        reorderWindow = Int64((spec.reorderWindow * 1e9).rounded())
        useDurations = spec.useDurations
        var byHash: [String: Int32] = [:]
        for f in spec.functionTargets { byHash[f.hash] = Int32(f.target) }
        functionTargets = byHash
        guard let f = fopen(spec.resolvedPath, "rb") else {
            var hint = "check the path; it is relative to the scenario file"
            if spec.resolvedPath.contains("AzureLLMInferenceTrace") {
                hint = "download AzureLLMInferenceTrace_conv.csv from the Azure Public Dataset (github.com/Azure/AzurePublicDataset, data/) and put it at this path, or point \"path\" at your copy"
            }
            throw ScenarioError(file: spec.resolvedPath, message: "cannot open trace file (\(String(cString: strerror(errno))))", suggestion: hint)
        }
        var info = stat()
        if fstat(fileno(f), &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            fclose(f)
            throw ScenarioError(file: spec.resolvedPath, message: "is a folder, expected a trace file", suggestion: "point \"path\" at one CSV file in it")
        }
        handle = f
        buffer = [UInt8](repeating: 0, count: 1 << 16)
        try readHeader()
    }

    deinit { fclose(handle) }

    /// Starts again from the first row (for looping). Times stay relative to the first pass's
    /// first row.
    public func rewind() throws {
        fseek(handle, 0, SEEK_SET)
        bufferStart = 0
        bufferEnd = 0
        eof = false
        line = 0
        previousTime = Int64.min
        pendingInvocations.removeAll()
        lastEnd = Int64.min
        lastEmitted = Int64.min
        eofReached = false
        if format != .mooncake { _ = nextLine() }   // the header
    }

    /// A row's time from the first row's. A trace spans at most 100 years, so offsets and
    /// their sums with a run's times stay inside 64 bits (rows of 1688 and 2023 once
    /// overflowed the difference).
    func offset(_ time: Int64, column: String) throws -> Int64 {
        if firstTime == nil { firstTime = time }
        let (span, overflow) = time.subtractingReportingOverflow(firstTime!)
        guard !overflow, span <= Self.longestSpan else {
            throw fail("this row is more than 100 years after the trace's first row: a trace spans at most 100 years", column: column,
                       suggestion: "check the row's time, or split the trace")
        }
        return span
    }

    /// 100 years in nanoseconds.
    static let longestSpan: Int64 = 3_153_600_000 * 1_000_000_000

    func fail(_ message: String, column: String? = nil, suggestion: String? = nil,
              raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> ScenarioError {
        ScenarioError(file: displayPath, line: line, path: column.map { "column \($0)" }, message: message, suggestion: suggestion,
                      raisedIn: sourceFile, at: sourceLine)
    }

    /// The next line's bytes without the line break, or nil at end of file.
    func nextLine() -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[bufferStart..<bufferEnd].firstIndex(of: 0x0A) {
                var end = nl
                if end > bufferStart && buffer[end - 1] == 0x0D { end -= 1 }
                let slice = buffer[bufferStart..<end]
                bufferStart = nl + 1
                line += 1
                return slice
            }
            if eof {
                if bufferStart < bufferEnd {
                    var end = bufferEnd
                    if buffer[end - 1] == 0x0D { end -= 1 }
                    let slice = buffer[bufferStart..<end]
                    bufferStart = bufferEnd
                    line += 1
                    return slice
                }
                return nil
            }
            // Move the partial line to the front and refill; grow for very long lines.
            let remaining = bufferEnd - bufferStart
            if bufferStart > 0 {
                for k in 0..<remaining { buffer[k] = buffer[bufferStart + k] }
                bufferStart = 0
                bufferEnd = remaining
            }
            if bufferEnd == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let got = buffer.withUnsafeMutableBytes { raw in
                fread(raw.baseAddress! + bufferEnd, 1, raw.count - bufferEnd, handle)
            }
            if got == 0 { eof = true }
            bufferEnd += got
        }
    }

    static func fields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(separator: 0x2C, omittingEmptySubsequences: false)
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    func readHeader() throws {
        if format == .mooncake { return }   // JSON lines: no header
        guard let header = nextLine() else { throw fail("the trace is empty: expected a header row") }
        columnNames = Self.fields(header).map { Self.text($0).lowercased() }
        switch format {
        case .azureLLM:
            let expected = ["timestamp", "contexttokens", "generatedtokens"]
            guard columnNames.count >= 3, Array(columnNames.prefix(3)) == expected else {
                throw fail("expected the Azure LLM inference header TIMESTAMP,ContextTokens,GeneratedTokens, found \(Self.text(header))")
            }
            timeColumn = 0; inputColumn = 1; outputColumn = 2
        case .mooncake:
            return   // not reached: JSON lines have no header
        case .azureFunctions2021:
            guard Array(columnNames.prefix(4)) == ["app", "func", "end_timestamp", "duration"] else {
                throw fail("expected the Azure Functions 2021 header app,func,end_timestamp,duration, found \(Self.text(header))",
                           suggestion: "use AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt of the Azure Functions 2021 dataset, or a file with that header")
            }
        case .azureFunctions2019:
            let expected = ["hashowner", "hashapp", "hashfunction", "trigger", "1"]
            guard columnNames.count == 1444, Array(columnNames.prefix(5)) == expected else {
                throw fail("expected the Azure Functions 2019 header HashOwner,HashApp,HashFunction,Trigger,1,…,1440 (1,444 columns), found \(columnNames.count) columns",
                           suggestion: "use an invocations_per_function_md.anon.dXX.csv file of the Azure Functions 2019 dataset")
            }
        case .csv:
            guard let t = columnNames.firstIndex(of: "time") else {
                throw fail("expected a header row naming a \"time\" column, found \(Self.text(header))",
                           suggestion: "columns: time,target[,caller,version,input_tokens,output_tokens,service_s]")
            }
            timeColumn = t
            targetColumn = columnNames.firstIndex(of: "target") ?? -1
            callerColumn = columnNames.firstIndex(of: "caller") ?? -1
            versionColumn = columnNames.firstIndex(of: "version") ?? -1
            inputColumn = columnNames.firstIndex(of: "input_tokens") ?? -1
            outputColumn = columnNames.firstIndex(of: "output_tokens") ?? -1
            serviceColumn = columnNames.firstIndex(of: "service_s") ?? -1
            if targetColumn < 0 && defaultTarget < 0 {
                throw fail("the trace has no \"target\" column and the workload source names no target",
                           suggestion: "add a target column, or \"target\" to the source")
            }
        }
    }

    // Field boundaries of the current line, reused from row to row (no allocation per row).
    var starts: [Int] = []
    var ends: [Int] = []
    var lastCaller: [UInt8] = [], lastCallerID: Int32 = 0
    var lastVersion: [UInt8] = [], lastVersionID: Int32 = 0

    /// Splits a line at commas into `starts`/`ends`, trimming spaces and tabs.
    func split(_ line: ArraySlice<UInt8>) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var start = line.startIndex
        var k = line.startIndex
        while true {
            if k == line.endIndex || line[k] == 0x2C {
                var a = start, e = k
                while a < e && (line[a] == 0x20 || line[a] == 0x09) { a += 1 }
                while e > a && (line[e - 1] == 0x20 || line[e - 1] == 0x09) { e -= 1 }
                starts.append(a)
                ends.append(e)
                if k == line.endIndex { break }
                start = k + 1
            }
            k += 1
        }
    }

    func field(_ line: ArraySlice<UInt8>, _ c: Int) -> ArraySlice<UInt8> { line[starts[c]..<ends[c]] }

    /// The id of a field's text, interning it only when it differs from the previous row's.
    static func intern(_ name: ArraySlice<UInt8>, _ table: inout StringTable, _ last: inout [UInt8], _ lastID: inout Int32) -> Int32 {
        if !name.elementsEqual(last) {
            last = Array(name)
            lastID = table.intern(text(name))
        }
        return lastID
    }

    /// Reads the next row; nil at end of file.
    public func next(callers: inout StringTable, versions: inout StringTable) throws -> TraceRow? {
        if format == .azureFunctions2021 { return try nextInvocation() }
        if format == .mooncake { return try nextMooncake() }
        while let raw = nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            split(raw)
            let needed = max(timeColumn, targetColumn, callerColumn, versionColumn, inputColumn, outputColumn, serviceColumn) + 1
            guard starts.count >= needed else {
                throw fail("expected \(needed) comma-separated fields, found \(starts.count)", suggestion: "header: \(columnNames.joined(separator: ","))")
            }
            let timeBytes = field(raw, timeColumn)
            guard let time = Self.parseTime(timeBytes) else {
                throw fail("cannot read time \"\(Self.text(timeBytes))\": expected seconds (12.5) or an ISO-8601 timestamp (2023-11-16 18:15:46.68)",
                           column: columnNames[timeColumn])
            }
            // One time format a file: seconds since some origin and ISO-8601 instants do not
            // share a scale (a row of each once put 56 years between them).
            let iso = Self.isISO(timeBytes)
            if let first = firstIsISO, first != iso {
                throw fail("time \"\(Self.text(timeBytes))\" is \(iso ? "an ISO-8601 timestamp" : "in seconds") but the first row's is \(first ? "an ISO-8601 timestamp" : "in seconds"): expected one time format throughout the trace",
                           column: columnNames[timeColumn], suggestion: "write every row's time the same way")
            }
            firstIsISO = iso
            if time < previousTime {
                throw fail("time \"\(Self.text(timeBytes))\" is earlier than the row before: rows must be in time order",
                           column: columnNames[timeColumn], suggestion: "sort the trace by time (e.g. sort -t, -k1,1)")
            }
            previousTime = time
            var row = TraceRow(offset: try offset(time, column: columnNames[timeColumn]), target: defaultTarget, caller: 0, version: 0, inputTokens: 0, outputTokens: 0)
            if targetColumn >= 0 {
                let name = field(raw, targetColumn)
                if !name.isEmpty {
                    if name.elementsEqual(lastTargetName) {
                        row.target = lastTarget
                    } else {
                        let s = Self.text(name)
                        let t: Int32
                        if seenTargets != nil {
                            t = seenTargets!.intern(s)
                        } else {
                            guard let known = targetIndex[s] else {
                                throw fail("unknown target \"\(s)\"", column: "target", suggestion: Suggest.hint(for: s, in: targetNames, noun: "targets are"))
                            }
                            if Int(known) < stageOnly.count, stageOnly[Int(known)] {
                                throw fail("target \"\(s)\" is a prefill or decode pool: it serves only as a stage of its pipeline", column: "target",
                                           suggestion: "name the pipeline that runs it")
                            }
                            t = known
                        }
                        lastTargetName = Array(name)
                        lastTarget = t
                        row.target = t
                    }
                } else if defaultTarget < 0 {
                    throw fail("empty target and the workload source names no default target", column: "target")
                }
            }
            if callerColumn >= 0 { row.caller = Self.intern(field(raw, callerColumn), &callers, &lastCaller, &lastCallerID) }
            if versionColumn >= 0 { row.version = Self.intern(field(raw, versionColumn), &versions, &lastVersion, &lastVersionID) }
            if inputColumn >= 0 { row.inputTokens = try tokens(field(raw, inputColumn), column: columnNames[inputColumn]) }
            if outputColumn >= 0 { row.outputTokens = try tokens(field(raw, outputColumn), column: columnNames[outputColumn]) }
            if serviceColumn >= 0 {
                // The request's own service time (a log's duration); empty: the model's applies.
                let bytes = field(raw, serviceColumn)
                if !bytes.isEmpty {
                    if Int(row.target) < takesService.count, !takesService[Int(row.target)] {
                        let name = targetNames[Int(row.target)]
                        throw fail("target \"\(name)\" cannot take a service time from the trace: it is a pipeline, whose stages draw their own, or an LLM engine's model, timed by its iterations",
                                   column: "service_s", suggestion: "leave service_s empty on the rows for \"\(name)\"")
                    }
                    guard !Self.isISO(bytes), let ns = Self.parseTime(bytes), ns >= 0 else {
                        throw fail("cannot read service time \"\(Self.text(bytes))\": expected seconds, zero or more (0.125)", column: "service_s",
                                   suggestion: "leave the field empty for the model's own service time")
                    }
                    row.service = ns
                }
            }
            if inputColumn < 0, Int(row.target) < needsTokens.count, needsTokens[Int(row.target)] {
                throw fail("target \"\(targetNames[Int(row.target)])\" has a token-driven service time, but this trace has no token columns",
                           suggestion: "add input_tokens and output_tokens columns, or give the model a service time that is not token-driven")
            }
            return row
        }
        return nil
    }

    func tokens(_ bytes: ArraySlice<UInt8>, column: String) throws -> Int32 {
        var v: Int64 = 0
        var any = false
        for b in bytes {
            if b == 0x20 || b == 0x09 { continue }
            guard b >= 48 && b <= 57 else {
                throw fail("expected a whole number of tokens, found \"\(Self.text(bytes))\"", column: column)
            }
            v = v * 10 + Int64(b - 48)
            // Checked after the digit (a fuzzer found 3749951690 passing a check made before).
            guard v <= Int64(Int32.max) else {
                throw fail("expected at most \(Int32.max) tokens, found \"\(Self.text(bytes))\"", column: column)
            }
            any = true
        }
        guard any else { throw fail("expected a whole number of tokens, found an empty field", column: column) }
        return Int32(v)
    }

    /// Seconds ("12.5") or ISO-8601 ("2023-11-16 18:15:46.6805900", "2023-11-16T18:15:46Z",
    /// with an optional ±hh:mm offset) to nanoseconds.
    public static func parseTime(_ s: String) -> Int64? { parseTime(ArraySlice(Array(s.utf8))) }

    /// Whether a time field is an ISO-8601 timestamp (as `parseTime` tells them apart).
    static func isISO(_ c: ArraySlice<UInt8>) -> Bool { c.count >= 19 && c[c.startIndex + 4] == 0x2D }

    /// The same, on the bytes of a field (no String made).
    public static func parseTime(_ c: ArraySlice<UInt8>) -> Int64? {
        let base = c.startIndex
        let n = c.count
        guard n > 0 else { return nil }
        if n >= 19 && c[base + 4] == 0x2D { return parseISO(c) }
        // Seconds: [-]digits[.digits], exactly; anything else through Double's parser.
        var k = base
        var negative = false
        if c[k] == 0x2D { negative = true; k += 1 }
        var whole: Int64 = 0, digits = 0
        while k < c.endIndex, c[k] >= 48, c[k] <= 57, digits < 12 { whole = whole * 10 + Int64(c[k] - 48); k += 1; digits += 1 }
        var fraction: Int64 = 0, fractionDigits = 0
        if k < c.endIndex, c[k] == 0x2E {
            k += 1
            while k < c.endIndex, c[k] >= 48, c[k] <= 57 {
                if fractionDigits < 9 { fraction = fraction * 10 + Int64(c[k] - 48); fractionDigits += 1 }
                k += 1
            }
        }
        if k == c.endIndex && (digits > 0 || fractionDigits > 0) {
            for _ in fractionDigits..<9 { fraction *= 10 }
            // Twelve digits of seconds can pass 64 bits of nanoseconds (the traces fuzzer found
            // 33,333,314,488 s): past them the time is not one this reader can place.
            let (ns, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow, ns <= Int64.max - fraction else { return nil }
            let v = ns + fraction
            return negative ? -v : v
        }
        guard let seconds = Double(String(decoding: c, as: UTF8.self)), seconds.isFinite, abs(seconds) < 9e9 else { return nil }
        return Int64((seconds * 1e9).rounded())
    }

    static func parseISO(_ c: ArraySlice<UInt8>) -> Int64? {
        let b = c.startIndex
        let count = c.count
        func num(_ from: Int, _ length: Int) -> Int64? {
            guard from + length <= count else { return nil }
            var v: Int64 = 0
            for k in from..<(from + length) {
                let x = c[b + k]
                guard x >= 48 && x <= 57 else { return nil }
                v = v * 10 + Int64(x - 48)
            }
            return v
        }
        func at(_ k: Int) -> UInt8 { c[b + k] }
        guard count >= 19, at(4) == 0x2D, at(7) == 0x2D, at(10) == 0x20 || at(10) == 0x54, at(13) == 0x3A, at(16) == 0x3A,
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if i < count && at(i) == 0x2E {
            i += 1
            var digits = 0
            while i < count, at(i) >= 48, at(i) <= 57 {
                if digits < 9 { fraction = fraction * 10 + Int64(at(i) - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if i < count {
            if at(i) == 0x5A && i == count - 1 {
                i += 1
            } else if at(i) == 0x2B || at(i) == 0x2D, let oh = num(i + 1, 2), i + 3 < count, at(i + 3) == 0x3A, let om = num(i + 4, 2), i + 6 == count {
                offsetSeconds = (oh * 3600 + om * 60) * (at(i) == 0x2B ? 1 : -1)
                i = count
            } else {
                return nil
            }
        }
        // Days from the civil date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Nanoseconds since 1970 fit an Int64 only for years 1678 to 2261 (a fuzzer found the
        // trap outside them): such a time is not one this reader can place.
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, ns <= Int64.max - fraction else { return nil }
        return ns + fraction
    }
}
