/// Server-sent events as their bytes come (the text/event-stream format of the HTML
/// standard, §9.2): lines ending in LF, CRLF or CR; a blank line ends an event; `data:` lines
/// are joined with LF (one leading space after the colon dropped). Other fields and comments
/// are skipped, so a comment kept-alive (": ping") is no event. One reading for the runtime,
/// which times a relayed stream's events, and the load generator, which counts tokens.
public struct ServerSentEvents {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var afterCR = false

    public init() {}

    /// Feeds bytes; `event` gets each complete event's data.
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, event: ([UInt8]) -> Void) {
        for b in bytes {
            if afterCR {
                afterCR = false
                if b == 10 { continue }   // CRLF: the line ended at the CR
            }
            if b == 10 || b == 13 {
                afterCR = b == 13
                endLine(event)
            } else {
                line.append(b)
            }
        }
    }

    private mutating func endLine(_ event: ([UInt8]) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData { event(data) }
            data.removeAll(keepingCapacity: true)
            hasData = false
            return
        }
        guard line.count >= 5, line[0] == 100, line[1] == 97, line[2] == 116, line[3] == 97, line[4] == 58 else { return }   // "data:"
        var value = line[5...]
        if value.first == 32 { value = value.dropFirst() }
        if hasData { data.append(10) }
        data.append(contentsOf: value)
        hasData = true
    }
}
