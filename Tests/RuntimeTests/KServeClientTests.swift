import Foundation
import XCTest
@testable import Runtime

/// The KServe v2 paths tried with the client that speaks them, NVIDIA's `tritonclient[http]`
/// (PyPI, in .venv as Scripts/ci-tools.sh installs it): health, readiness and metadata, an
/// inference with JSON tensors and one with the binary tensor extension both ways (the
/// `Inference-Header-Content-Length` header must cross the runtime in both directions), and
/// an unknown model as the exception it raises, with the status and Headroom's message.
final class KServeClientTests: RuntimeTestCase {
    func testTritonClientServesThroughHeadroom() throws {
        let python = try venvPython(importing: "tritonclient.http", what: "NVIDIA's KServe v2 client")
        let s = try scenario(models: [("m", model(httpWorker()))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"m\": 1}}")
        let server = try start(s, plan: "reserved")
        XCTAssertTrue(eventually(20) { self.call(server, "/v2/models/m/ready", method: "GET")?.status == 200 }, "the model is ready")
        let script = """
        import json, numpy as np, tritonclient.http as h
        from tritonclient.utils import InferenceServerException
        c = h.InferenceServerClient(url="\(server.address)", network_timeout=20)
        out = {"live": c.is_server_live(), "ready": c.is_server_ready(), "model_ready": c.is_model_ready("m"),
               "metadata": c.get_model_metadata("m")["name"]}
        x = np.array([[1.0, 2.5, -3.0]], dtype=np.float32)
        for binary in (False, True):
            i = h.InferInput("IN", list(x.shape), "FP32")
            i.set_data_from_numpy(x, binary_data=binary)
            r = c.infer("m", [i], outputs=[h.InferRequestedOutput("OUT", binary_data=binary)], request_id="r-%d" % binary)
            out["binary" if binary else "json"] = {"out": r.as_numpy("OUT").tolist(), "id": r.get_response().get("id")}
        def failure(f):
            try:
                f()
                return {"raised": False}
            except InferenceServerException as e:
                return {"raised": True, "status": e.status(), "message": e.message()}
        out["unknown_infer"] = failure(lambda: c.infer("nope", [i]))
        out["unknown_metadata"] = failure(lambda: c.get_model_metadata("nope"))
        out["unknown_ready"] = c.is_model_ready("nope")
        print(json.dumps(out))
        """
        let o = try runPython(python, script)
        XCTAssertEqual(o["live"] as? Bool, true)
        XCTAssertEqual(o["ready"] as? Bool, true)
        XCTAssertEqual(o["model_ready"] as? Bool, true)
        XCTAssertEqual(o["metadata"] as? String, "m")
        for form in ["json", "binary"] {
            let r = o[form] as? [String: Any]
            XCTAssertEqual(r?["out"] as? [[Double]], [[2.0, 5.0, -6.0]], "\(form): \(String(describing: r))")
        }
        XCTAssertEqual((o["json"] as? [String: Any])?["id"] as? String, "r-0", "the request id comes back")
        for key in ["unknown_infer", "unknown_metadata"] {
            let e = o[key] as? [String: Any]
            XCTAssertEqual(e?["raised"] as? Bool, true, key)
            XCTAssertEqual(e?["status"] as? String, "404", "\(key): \(String(describing: e))")
            XCTAssertTrue((e?["message"] as? String)?.contains("nope") == true, "\(key): \(String(describing: e))")
        }
        XCTAssertEqual(o["unknown_ready"] as? Bool, false)
    }
}
