"""An AWS Lambda handler, run unchanged through the real runtime interface client:
    python3 -m awslambdaric lambda_handler.handler
It upper-cases the event's "text" field (or, for another event, the event as JSON)."""
import json
import os


def handler(event, context):
    text = event["text"] if isinstance(event, dict) and "text" in event else json.dumps(event)
    return {
        "upper": text.upper(),
        "request_id": context.aws_request_id,
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
    }
