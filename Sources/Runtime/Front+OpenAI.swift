import Foundation

/// The OpenAI-compatible API, the paths LLM clients and benchmark tools use:
///
/// - `GET /v1/models` — the models served (`{"object": "list", "data": [{"id", …}]}`);
/// - `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings` — routed by the body's
///   `"model"` to the model of that name, whose worker (any OpenAI-compatible server) is called
///   on the same path with the body as it is.
///
/// Errors take OpenAI's error object, `{"error": {"message", "type", "param", "code"}}`, so the
/// `openai` client raises the exception it models (NotFoundError, BadRequestError,
/// RateLimitError, …). A `"stream": true` answer (server-sent events) is relayed as it comes
/// (docs/runtime.md, "Streamed answers").
extension Front {
    static let openAIPaths: Set<String> = ["chat/completions", "completions", "embeddings"]

    func routeOpenAI(_ request: HTTPRequest, _ parts: [String], loop: EventLoop, respond: @escaping Respond) -> HTTPResponse? {
        let path = parts.joined(separator: "/")
        if path == "models" {
            guard request.method == "GET" || request.method == "HEAD" else { return Front.methodNotAllowed(request, use: "GET") }
            let models = scenario.models.filter { $0.variantOf == nil }.map { "{\"id\":\(JSON.quote($0.name)),\"object\":\"model\",\"created\":0,\"owned_by\":\"headroom\"}" }
            return .json(200, "{\"object\":\"list\",\"data\":[\(models.joined(separator: ","))]}")
        }
        guard Front.openAIPaths.contains(path) else {
            return Front.openAIError(404, "no such path: /v1/\(path); served are /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models",
                                     type: "invalid_request_error", code: "unknown_url")
        }
        guard request.method == "POST" else {
            var r = Front.openAIError(405, "\(request.method) is not allowed on /v1/\(path); use POST", type: "invalid_request_error")
            r.headers.append(("Allow", "POST"))
            return r
        }
        let model: String
        switch Front.modelField(request.body) {
        case let .success(m): model = m
        case let .failure(why): return Front.openAIError(400, why.description, type: "invalid_request_error", param: "model")
        }
        guard let t = targetNames.firstIndex(of: model), t < scenario.models.count, scenario.models[t].variantOf == nil else {
            let known = scenario.models.filter { $0.variantOf == nil }.map(\.name).joined(separator: ", ")
            return Front.openAIError(404, "The model `\(model)` does not exist; models are \(known)", type: "invalid_request_error",
                                     param: "model", code: "model_not_found")
        }
        infer(request, target: model, version: nil, style: .openai, query: String(request.query), workerPath: "/v1/" + path, loop: loop,
              respond: { respond(Front.openAIShaped($0)) })
        return nil
    }

    /// The body's `"model"`: the top-level string member of a JSON object.
    static func modelField(_ body: [UInt8]) -> Result<String, OpenAIBodyError> {
        guard !body.isEmpty else { return .failure(OpenAIBodyError("the body is empty: expected a JSON object with \"model\"")) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .failure(OpenAIBodyError("the body is not a JSON object: expected one with \"model\""))
        }
        guard let model = object["model"] as? String, !model.isEmpty else {
            return .failure(OpenAIBodyError("expected \"model\", the name of a served model, as a string"))
        }
        return .success(model)
    }

    struct OpenAIBodyError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// OpenAI's error object.
    static func openAIError(_ status: Int, _ message: String, type: String, param: String? = nil, code: String? = nil) -> HTTPResponse {
        func text(_ s: String?) -> String { s.map(JSON.quote) ?? "null" }
        return HTTPResponse.json(status, "{\"error\":{\"message\":\(JSON.quote(message)),\"type\":\(JSON.quote(type)),\"param\":\(text(param)),\"code\":\(text(code))}}")
    }

    /// Headroom's own errors on the OpenAI paths in OpenAI's shape (a worker's answer as it is).
    static func openAIShaped(_ response: HTTPResponse) -> HTTPResponse {
        guard let message = response.errorMessage, response.status >= 400 else { return response }
        let (type, code): (String, String?)
        switch response.status {
        case 401: (type, code) = ("authentication_error", "invalid_api_key")
        case 403: (type, code) = ("permission_error", nil)
        case 404: (type, code) = ("invalid_request_error", "model_not_found")
        case 429: (type, code) = ("rate_limit_error", "rate_limit_exceeded")
        case 400..<500: (type, code) = ("invalid_request_error", nil)
        default: (type, code) = ("server_error", nil)
        }
        var shaped = openAIError(response.status, message, type: type, code: code)
        shaped.headers += response.headers.filter { $0.name.lowercased() != "content-type" }
        shaped.framingFaulty = response.framingFaulty
        return shaped
    }
}
