"""A minimal Lambda runtime interface client in the standard library, so the Lambda
contract is tested even where awslambdaric is not installed: long-poll next, answer with
the event and the invocation's headers, or post an error for {"fail": true}; {"sleep": s}
holds the invocation s seconds first."""
import json, os, time, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(API + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        deadline = r.headers["Lambda-Runtime-Deadline-Ms"]
        arn = r.headers["Lambda-Runtime-Invoked-Function-Arn"]
        trace = r.headers["Lambda-Runtime-Trace-Id"]
        event = json.loads(r.read() or b"null")
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(float(event["sleep"]))
    if isinstance(event, dict) and event.get("fail"):
        body = json.dumps({"errorMessage": "asked to fail", "errorType": "Failure"}).encode()
        urllib.request.urlopen(urllib.request.Request(API + "/invocation/" + rid + "/error", data=body, method="POST")).read()
        continue
    body = json.dumps({"event": event, "id": rid, "deadline": deadline, "arn": arn, "trace": trace, "pid": os.getpid()}).encode()
    urllib.request.urlopen(urllib.request.Request(API + "/invocation/" + rid + "/response", data=body, method="POST")).read()
