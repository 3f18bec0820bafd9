# SPDX-License-Identifier: GPL-2.0-or-later
# bootstrap.py -- a Lambda Runtime API client in the standard library only:
# import the handler named by argv[1] (or _HANDLER) from the working directory,
# then poll /invocation/next and post each result (or error) back.
import http.client
import importlib
import json
import os
import sys
import traceback

API = os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
BASE = "/2018-06-01/runtime"


def call(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, BASE + path, body=body, headers=headers)
    r = conn.getresponse()
    return r, r.read()


def error_body(e):
    return json.dumps({"errorMessage": str(e), "errorType": type(e).__name__,
                       "stackTrace": traceback.format_exc().splitlines()})


def main():
    conn = http.client.HTTPConnection(API)
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    try:
        module, func = name.rsplit(".", 1)
        handler = getattr(importlib.import_module(module), func)
    except Exception as e:
        call(conn, "POST", "/init/error", error_body(e))
        sys.exit(1)
    while True:
        try:
            r, event = call(conn, "GET", "/invocation/next")
        except (OSError, http.client.HTTPException):
            sys.exit(0)  # the Runtime API is gone: the sandbox is ending
        rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
        try:
            out = json.dumps(handler(json.loads(event or b"null"), None))
            call(conn, "POST", "/invocation/%s/response" % rid, out)
        except Exception as e:
            call(conn, "POST", "/invocation/%s/error" % rid, error_body(e))


main()
