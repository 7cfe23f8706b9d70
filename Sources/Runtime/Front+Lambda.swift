import Foundation

extension HTTPResponse {
    /// The message of an error Headroom answered (`{"error": message}`); nil for any other
    /// answer. Read on error paths only.
    var errorMessage: String? {
        guard isHeadroomError, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return object["error"] as? String
    }
}

/// The Lambda Invoke API's error shape, so AWS SDKs see the errors they expect: Headroom's own
/// refusals on `/2015-03-31/functions/{name}/invocations` carry `x-amzn-ErrorType` and a
/// `{"Type", "message"}` body (with `Reason` for throttling), which botocore turns into the
/// modelled exceptions (`ResourceNotFoundException`, `TooManyRequestsException`, …). A
/// function's own error stays a 200 with `X-Amz-Function-Error: Unhandled`, as Lambda answers it.
///
/// Source: the Lambda API reference, Invoke, "Errors" (status, exception and Type of each).
extension Front {
    /// The function named by an Invoke path (`/2015-03-31/functions/{name}/invocations`, with a
    /// query or not), or nil for another path.
    static func lambdaFunction(_ target: String) -> String? {
        let path = target.split(separator: "?", maxSplits: 1).first ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "2015-03-31", parts[2] == "functions", parts[4] == "invocations" else { return nil }
        return decoded(String(parts[3]))
    }

    /// The exception name, the error's `Type` ("User": the request; "Service": the service)
    /// and, for throttling, the `Reason`, of a status Headroom answered.
    static func lambdaError(_ status: Int, message: String) -> (type: String, kind: String, reason: String?) {
        switch status {
        case 401: return ("UnrecognizedClientException", "User", nil)
        case 403: return ("AccessDeniedException", "User", nil)
        case 404: return ("ResourceNotFoundException", "User", nil)
        case 413: return ("RequestTooLargeException", "User", nil)
        case 415: return ("UnsupportedMediaTypeException", "User", nil)
        case 429:
            // The documented reasons: the plan's concurrency or scaling rate, or this caller's quota.
            let reason = message.contains("quota") ? "CallerRateLimitExceeded" : "ConcurrentInvocationLimitExceeded"
            return ("TooManyRequestsException", "User", reason)
        case 400..<500: return ("InvalidRequestContentException", "User", nil)
        default: return ("ServiceException", "Service", nil)
        }
    }

    /// `response` in the Invoke API's error shape when Headroom itself answered it with an
    /// error; a worker's answer (a function error included) as it is.
    static func lambdaShaped(_ response: HTTPResponse, function: String) -> HTTPResponse {
        guard let message = response.errorMessage, response.status >= 400 else { return response }
        let (type, kind, reason) = lambdaError(response.status, message: message)
        let text = response.status == 404 && message.hasPrefix("unknown target")
            ? "Function not found: arn:aws:lambda:local:000000000000:function:\(function) (\(message))" : message
        var body = "{\"Type\":\"\(kind)\",\"message\":\(JSON.quote(text))"
        if let reason { body += ",\"Reason\":\"\(reason)\"" }
        body += "}"
        var shaped = HTTPResponse(status: response.status,
                                  headers: response.headers.filter { $0.name.lowercased() != "content-type" }
                                      + [("Content-Type", "application/json"), ("x-amzn-ErrorType", type)],
                                  body: Array(body.utf8))
        shaped.framingFaulty = response.framingFaulty
        return shaped
    }
}
