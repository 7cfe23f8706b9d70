import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario

/// The OpenAI-compatible paths: routing by the body's model to an OpenAI-compatible worker
/// (the example worker, Scenarios/workers/openai_worker.py), OpenAI's error object for
/// Headroom's own errors, and the real `openai` client when it is installed.
final class OpenAIAPITests: RuntimeTestCase {
    func startServer() throws -> RuntimeServer {
        let worker = "{\"contract\": \"http\", \"command\": [\"python3\", \"\(Self.repository)/Scenarios/workers/openai_worker.py\"], \"readiness\": \"/healthz\", "
            + "\"startTimeout\": \"20s\", \"stopGrace\": \"1s\", \"env\": {\"TOKEN_MS\": \"2\", \"PREFILL_MS_PER_TOKEN\": \"0.1\"}}"
        let s = try scenario(models: [("tiny", model(worker, concurrency: 4)), ("other", model(httpWorker(), concurrency: 1))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"tiny\": 1, \"other\": 1}}")
        let server = try start(s, plan: "reserved")
        XCTAssertTrue(eventually(20) { self.call(server, "/v2/models/tiny/ready", method: "GET")?.status == 200 }, "the worker is ready")
        return server
    }

    func testRoutingByModelAndOpenAIsErrors() throws {
        let server = try startServer()
        let chat = call(server, "/v1/chat/completions", body: "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}], \"max_tokens\": 3}")
        XCTAssertEqual(chat?.status, 200)
        let choice = (json(chat)["choices"] as? [[String: Any]])?.first
        XCTAssertEqual((choice?["message"] as? [String: Any])?["content"] as? String, "tok0 tok1 tok2")
        XCTAssertEqual((json(chat)["usage"] as? [String: Any])?["prompt_tokens"] as? Int, 2)
        XCTAssertNotNil(chat?.header("x-request-id"))
        let completion = call(server, "/v1/completions", body: "{\"model\": \"tiny\", \"prompt\": \"a b c\", \"max_tokens\": 2}")
        XCTAssertEqual(((json(completion)["choices"] as? [[String: Any]])?.first?["text"]) as? String, "tok0 tok1")
        XCTAssertEqual((json(call(server, "/v1/embeddings", body: "{\"model\": \"tiny\", \"input\": [\"x\", \"yy\"]}"))["data"] as? [Any])?.count, 2)
        let models = json(call(server, "/v1/models", method: "GET"))
        XCTAssertEqual((models["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["tiny", "other"])
        // Headroom's own errors, in OpenAI's error object.
        let unknown = call(server, "/v1/chat/completions", body: "{\"model\": \"gpt-9\", \"messages\": []}")
        XCTAssertEqual(unknown?.status, 404)
        let error = json(unknown)["error"] as? [String: Any]
        XCTAssertEqual(error?["code"] as? String, "model_not_found")
        XCTAssertEqual(error?["param"] as? String, "model")
        XCTAssertTrue((error?["message"] as? String)?.hasPrefix("The model `gpt-9` does not exist") == true)
        for (body, fragment) in [("{not json", "not a JSON object"), ("{\"messages\": []}", "expected \"model\""), ("", "the body is empty")] {
            let bad = call(server, "/v1/chat/completions", body: body)
            XCTAssertEqual(bad?.status, 400, body)
            XCTAssertEqual((json(bad)["error"] as? [String: Any])?["type"] as? String, "invalid_request_error")
            XCTAssertTrue(((json(bad)["error"] as? [String: Any])?["message"] as? String)?.contains(fragment) == true, body)
        }
        let wrong = call(server, "/v1/chat/completions", method: "GET")
        XCTAssertEqual(wrong?.status, 405)
        XCTAssertEqual(wrong?.header("allow"), "POST")
        XCTAssertEqual(call(server, "/v1/audio/speech", body: "{}")?.status, 404)
        // A stream: the worker's events arrive (whole, at the end, for now), in order.
        let stream = call(server, "/v1/chat/completions", body: "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 4, \"stream\": true}")
        XCTAssertEqual(stream?.status, 200)
        XCTAssertEqual(stream?.header("content-type"), "text/event-stream")
        let events = String(decoding: stream?.body ?? [], as: UTF8.self).components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        XCTAssertEqual(events.count, 5)
        XCTAssertEqual(events.last, "data: [DONE]")
    }

    /// The `openai` package (PyPI, in .venv as Scripts/ci-tools.sh installs it).
    func testTheOpenAIClient() throws {
        let python = try venvPython(importing: "openai", what: "the real OpenAI client")
        let server = try startServer()
        let script = """
        import json, openai
        c = openai.OpenAI(base_url="http://\(server.address)/v1", api_key="none", max_retries=0)
        out = {}
        r = c.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hello"}], max_tokens=3)
        out["content"] = r.choices[0].message.content
        out["usage"] = r.usage.completion_tokens
        out["models"] = [m.id for m in c.models.list()]
        out["streamed"] = "".join((ch.choices[0].delta.content or "") for ch in c.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "hello"}], max_tokens=3, stream=True))
        try:
            c.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
        except openai.NotFoundError as e:
            out["not_found"] = e.body.get("code") if isinstance(e.body, dict) else str(e.body)
        out["embedding"] = len(c.embeddings.create(model="tiny", input="x").data[0].embedding)
        print(json.dumps(out))
        """
        let o = try runPython(python, script)
        XCTAssertEqual(o["content"] as? String, "tok0 tok1 tok2")
        XCTAssertEqual(o["usage"] as? Int, 3)
        XCTAssertEqual(o["models"] as? [String], ["tiny", "other"])
        XCTAssertEqual(o["streamed"] as? String, "tok0 tok1 tok2")
        XCTAssertEqual(o["not_found"] as? String, "model_not_found")
        XCTAssertEqual(o["embedding"] as? Int, 3)
    }
}
