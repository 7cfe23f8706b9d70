import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario

/// The Lambda Invoke path answers Headroom's own refusals in the Invoke API's error shape
/// (`x-amzn-ErrorType`, `{"Type", "message"}`, `Reason` for 429), so AWS SDKs raise the
/// exceptions they model; tried with the real client, boto3, when it is installed.
final class LambdaErrorTests: RuntimeTestCase {
    /// One function with one instance of concurrency 1 and no queue: a second call while the
    /// first sleeps is throttled. Bodies above 1 KiB are refused.
    func startServer() throws -> RuntimeServer {
        let s = try scenario(models: [("fn", model(lambdaWorker(), concurrency: 1, queueLimit: 0))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"fn\": 1}}")
        var limits = HTTPLimits()
        limits.body = 1024
        let server = try start(s, plan: "reserved", limits: limits)
        XCTAssertTrue(eventually(20) { self.call(server, "/v2/models/fn/ready", method: "GET")?.status == 200 }, "the function is ready")
        return server
    }

    func testRefusalsCarryTheInvokeAPIsErrorShape() throws {
        let server = try startServer()
        let missing = call(server, "/2015-03-31/functions/nope/invocations")
        XCTAssertEqual(missing?.status, 404)
        XCTAssertEqual(missing?.header("x-amzn-errortype"), "ResourceNotFoundException")
        XCTAssertEqual(json(missing)["Type"] as? String, "User")
        XCTAssertTrue((json(missing)["message"] as? String)?.hasPrefix("Function not found: arn:aws:lambda:local:000000000000:function:nope") == true, "\(json(missing))")
        let large = call(server, "/2015-03-31/functions/fn/invocations", body: String(repeating: "x", count: 2000))
        XCTAssertEqual(large?.status, 413)
        XCTAssertEqual(large?.header("x-amzn-errortype"), "RequestTooLargeException")
        // Throttled: the one slot is busy and there is no queue.
        let slow = Atomic<HTTPResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { slow.withLock { $0 = RuntimeTestCase.call(server, "/2015-03-31/functions/fn/invocations", body: "{\"sleep\": 1}") }; done.signal() }
        usleep(300_000)
        let throttled = call(server, "/2015-03-31/functions/fn/invocations")
        XCTAssertEqual(throttled?.status, 429)
        XCTAssertEqual(throttled?.header("x-amzn-errortype"), "TooManyRequestsException")
        XCTAssertEqual(json(throttled)["Reason"] as? String, "ConcurrentInvocationLimitExceeded")
        XCTAssertEqual(throttled?.header("retry-after"), "1")
        done.wait()
        XCTAssertEqual(slow.withLock { $0 }?.status, 200)
        // The function's own error: 200 and X-Amz-Function-Error, as before; the KServe path keeps its shape.
        let failed = call(server, "/2015-03-31/functions/fn/invocations", body: "{\"fail\": true}")
        XCTAssertEqual(failed?.status, 200)
        XCTAssertEqual(failed?.header("x-amz-function-error"), "Unhandled")
        XCTAssertNil(failed?.header("x-amzn-errortype"))
        let kserve = call(server, "/v2/models/nope/infer")
        XCTAssertEqual(kserve?.status, 404)
        XCTAssertNil(kserve?.header("x-amzn-errortype"))
        XCTAssertNotNil(json(kserve)["error"])
    }

    /// boto3 (PyPI, in .venv as Scripts/ci-tools.sh installs it): the exceptions it raises.
    func testBoto3SeesTheExceptionsItModels() throws {
        let python = try venvPython(importing: "boto3", what: "the real AWS SDK")
        let server = try startServer()
        let script = """
        import json, sys, threading, time, boto3, botocore.config
        c = boto3.client("lambda", endpoint_url="http://\(server.address)", region_name="us-east-1",
                         aws_access_key_id="x", aws_secret_access_key="x",
                         config=botocore.config.Config(retries={"total_max_attempts": 1}))
        out = {}
        def outcome(**kw):
            try:
                r = c.invoke(**kw)
                return {"status": r["StatusCode"], "function_error": r.get("FunctionError"), "payload": json.loads(r["Payload"].read() or b"null")}
            except c.exceptions.ResourceNotFoundException as e: return {"exception": "ResourceNotFoundException", "message": e.response["Error"]["Message"]}
            except c.exceptions.TooManyRequestsException as e: return {"exception": "TooManyRequestsException", "reason": e.response.get("Reason")}
            except c.exceptions.RequestTooLargeException as e: return {"exception": "RequestTooLargeException"}
            except Exception as e: return {"exception": type(e).__name__, "message": str(e)}
        out["ok"] = outcome(FunctionName="fn", Payload=b'{"text": "hi"}')
        out["missing"] = outcome(FunctionName="nope", Payload=b"{}")
        out["failed"] = outcome(FunctionName="fn", Payload=b'{"fail": true}')
        out["large"] = outcome(FunctionName="fn", Payload=b'"' + b"x" * 2000 + b'"')
        slow = threading.Thread(target=lambda: outcome(FunctionName="fn", Payload=b'{"sleep": 1}'))
        slow.start(); time.sleep(0.3)
        out["throttled"] = outcome(FunctionName="fn", Payload=b"{}")
        slow.join()
        print(json.dumps(out))
        """
        let o = try runPython(python, script) as! [String: [String: Any]]
        XCTAssertEqual(o["ok"]?["status"] as? Int, 200)
        XCTAssertEqual((o["ok"]?["payload"] as? [String: Any]).flatMap { $0["event"] as? [String: Any] }?["text"] as? String, "hi")
        XCTAssertEqual(o["missing"]?["exception"] as? String, "ResourceNotFoundException", "\(o["missing"] ?? [:])")
        XCTAssertTrue((o["missing"]?["message"] as? String)?.hasPrefix("Function not found") == true)
        XCTAssertEqual(o["failed"]?["status"] as? Int, 200)
        XCTAssertEqual(o["failed"]?["function_error"] as? String, "Unhandled")
        XCTAssertEqual(o["large"]?["exception"] as? String, "RequestTooLargeException", "\(o["large"] ?? [:])")
        XCTAssertEqual(o["throttled"]?["exception"] as? String, "TooManyRequestsException", "\(o["throttled"] ?? [:])")
        XCTAssertEqual(o["throttled"]?["reason"] as? String, "ConcurrentInvocationLimitExceeded")
    }
}
