import Glibc

/// What a parse of buffered bytes lacks (an event loop's connection waits for it).
enum NeedMore: Error {
    /// More bytes, how many unknown.
    case unknown
    /// Exactly this many more bytes complete the message (a Content-Length body).
    case exact(Int)
    /// At least this many more bytes before the parse gets further (a chunk of a chunked body).
    case chunk(Int)
    /// The body runs until the peer closes (a response without length).
    case untilClose
}

/// The outcome of parsing what an event loop's connection has buffered.
enum Parsed<Message> {
    case message(Message)
    /// Not complete yet: try again once more bytes came.
    case incomplete
    case failed(HTTPReadError)
}

/// How a non-blocking read went.
enum Received: Equatable {
    /// Bytes were read; `drained` when fewer came than there was room for, so the socket has
    /// no more for now (an edge-triggered loop need not read again until told).
    case data(drained: Bool)
    case wouldBlock
    case endOfStream
    case failed(String)
}

/// How a non-blocking write went.
enum Sent {
    /// Every byte is written.
    case all
    /// The socket is full: the rest when it has room again.
    case wouldBlock
    case failed(String)
}

/// Parsing from the buffer alone, for connections driven by an `EventLoop`.
///
/// The blocking parser is reused as it is: it reads through `fill`, which in non-blocking mode
/// throws `NeedMore` instead of waiting, and the parse starts over when more bytes came. To keep
/// that linear, a parse is attempted only when it can finish: once the head's empty line is
/// buffered (or the head has outgrown its limits, so the parser says so), once a Content-Length
/// body is complete, at end of stream for a body that runs until close, and for a chunked body
/// when the bytes end with an empty line or have grown by half since the last try.
extension HTTPConnection {
    /// The request target of the request line buffered (`POST /path HTTP/1.1`), when a whole
    /// line is there: for answering a refused request in the shape its API expects.
    var bufferedTarget: String? {
        var i = start
        while i < end && buffer[i] != UInt8(ascii: " ") && buffer[i] != UInt8(ascii: "\n") { i += 1 }
        guard i < end, buffer[i] == UInt8(ascii: " ") else { return nil }
        let from = i + 1
        var j = from
        while j < end && buffer[j] != UInt8(ascii: " ") && buffer[j] != UInt8(ascii: "\r") && buffer[j] != UInt8(ascii: "\n") { j += 1 }
        guard j < end, j > from else { return nil }
        return String(decoding: buffer[from..<j], as: UTF8.self)
    }

    /// Writes `bytes` from offset `written` (advanced) until all are written or the socket is
    /// full.
    func send(_ bytes: [UInt8], written: inout Int) -> Sent {
        while written < bytes.count {
            let from = written
            let n = bytes.withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress! + from, $0.count - from, Int32(MSG_NOSIGNAL)) }
            if n >= 0 {
                written += n
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return .wouldBlock
            } else {
                return .failed(SystemError("send").description)
            }
        }
        return .all
    }

    /// Reads what the socket has into the buffer (growing it up to `limit` bytes held).
    func receive(limit: Int) -> Received {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start) }
                end -= start
                start = 0
            } else if buffer.count < limit {
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, limit - buffer.count)))
            } else {
                return .wouldBlock   // full: the parser will say what is too large
            }
        }
        while true {
            let room = buffer.count - end
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(socket.fd, $0.baseAddress! + end, room, 0) }
            if n > 0 {
                end += n
                return .data(drained: n < room && !peerClosed)
            }
            if n == 0 {
                eof = true
                return .endOfStream
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .failed(SystemError("recv").description)
        }
    }

    /// Whether the buffered bytes from `start` hold a whole message head (an empty line),
    /// scanning from offset `scanned` (from `start`) on, which is updated so each byte is
    /// looked at once.
    func headComplete(scanned: inout Int) -> Bool {
        var i = start + scanned
        while i < end {
            if buffer[i] == 10 {
                // LF LF, or LF CR LF: an empty line (past a leading empty line, which RFC 9112
                // lets a client send before the request line).
                if i + 1 < end && buffer[i + 1] == 10 && i > start { return true }
                if i + 2 < end && buffer[i + 1] == 13 && buffer[i + 2] == 10 && i > start + 1 { return true }
            }
            i += 1
        }
        scanned = max(0, end - start - 2)
        return false
    }

    /// Whether the buffered bytes end with an empty line (a chunked body may be complete).
    var endsWithEmptyLine: Bool {
        guard end - start >= 2 else { return false }
        if buffer[end - 1] == 10 && buffer[end - 2] == 10 { return true }
        return end - start >= 3 && buffer[end - 1] == 10 && buffer[end - 2] == 13 && buffer[end - 3] == 10
    }

    /// Whether a parse of the buffered message can finish now: its head is complete (or has
    /// outgrown `headLimit`, so the parser says so), and the bytes are as many as the last try
    /// asked for, or end with an empty line, or the stream has ended.
    func worthParsing(headLimit: Int) -> Bool {
        if !headDone {
            if headComplete(scanned: &scanned) { headDone = true }
            else if end - start <= headLimit && !eof { return false }
        }
        return end - start >= nextTry || eof || endsWithEmptyLine
    }

    /// Runs `parse` on the buffered bytes. Complete: the attempt state starts over for the
    /// next message. Incomplete: the buffer is as it was, and `nextTry` is how many bytes
    /// (from the message's start) must be buffered before a new try is worth it.
    func parseBuffered<T>(_ parse: () throws -> T) -> Parsed<T> {
        let saved = start
        do {
            let message = try parse()
            scanned = 0
            headDone = false
            nextTry = 0
            return .message(message)
        } catch let more as NeedMore {
            start = saved
            let have = end - start
            switch more {
            case let .exact(n): nextTry = have + n
            case let .chunk(n): nextTry = have + max(n, have / 2)
            case .unknown: nextTry = have + max(1, have / 2)
            case .untilClose: nextTry = Int.max
            }
            return .incomplete
        } catch let e as HTTPReadError {
            start = saved   // the request line stays readable for the refusal's shape
            return .failed(e)
        } catch {
            return .failed(.failed("\(error)"))
        }
    }
}
