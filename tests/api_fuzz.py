"""The REST API fuzzed against its own OpenAPI spec (issue 10 item 14), by schemathesis.

    python tests/api_fuzz.py            # from the repository root; .ci/run runs it

Starts ``run.py --demo`` on a free loopback port with a fresh instance directory (as
tests/browser/smoke.py does), then for the office and for an officer: logs in through
``POST /api/v1/security/login``, downloads ``/api/v1/_openapi`` with that token and runs
schemathesis against it — every GET operation with more examples, the writes (POST, PUT, DELETE)
with fewer — checking that no answer is a 5xx and that every answer's status, content type and
body are the ones the spec declares. The login/refresh endpoints are left out (the rate limit
and the lockout are tested in tests/test_sessions.py).

Not collected by pytest. Environment: FUZZ_GET_EXAMPLES (default 12), FUZZ_WRITE_EXAMPLES (4),
FUZZ_SEED (a fixed seed: the same cases each run), FUZZ_REPORT_DIR (schemathesis' JUnit reports).
Exit code 0 when both runs pass, 1 otherwise.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "browser"))
import smoke  # noqa: E402  (the same way of starting the portal)

USERS = ("office", "officer01")
GET_EXAMPLES = int(os.environ.get("FUZZ_GET_EXAMPLES") or 12)
WRITE_EXAMPLES = int(os.environ.get("FUZZ_WRITE_EXAMPLES") or 4)
SEED = os.environ.get("FUZZ_SEED") or "20261201"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXCLUDE = r"^/api/v1/security/"


def token(base, username):
    body = json.dumps({"username": username, "password": smoke.PASSWORD, "provider": "db"}).encode()
    request = urllib.request.Request(base + "/api/v1/security/login", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.load(resp)["access_token"]


def spec_file(base, bearer, workdir, username):
    request = urllib.request.Request(base + "/api/v1/_openapi", headers={"Authorization": "Bearer " + bearer})
    with urllib.request.urlopen(request, timeout=60) as resp:
        spec = json.load(resp)
    path = os.path.join(workdir, f"openapi-{username}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(spec, fh, ensure_ascii=False)
    return path, len(spec.get("paths", {}))


def schemathesis(spec, base, bearer, methods, examples, report):
    exe = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    cmd = [exe, "run", spec, "--url", base, "-H", f"Authorization: Bearer {bearer}",
           "--checks", CHECKS, "--max-examples", str(examples), "--seed", SEED, "--workers", "1",
           "--phases", "examples,coverage,fuzzing", "--request-timeout", "30", "--no-shrink",
           "--exclude-path-regex", EXCLUDE, "--report", "junit", "--report-junit-path", report,
           "--warnings", "off"]
    for method in methods:
        cmd += ["--include-method", method]
    print("$", " ".join(c if not c.startswith("Authorization") else "Authorization: Bearer …" for c in cmd), flush=True)
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=os.path.dirname(report))  # hypothesis' .hypothesis folder goes there, not in the checkout
    print(f"   exit {code} in {time.monotonic() - started:.0f} s", flush=True)
    return code


def main():
    workdir = tempfile.mkdtemp(prefix="cso-fuzz-")
    reports = os.environ.get("FUZZ_REPORT_DIR") or workdir
    port = smoke.free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(workdir, "server.log")
    proc = smoke.start_server(port, os.path.join(workdir, "instance"), log_path)
    os.makedirs(reports, exist_ok=True)
    failed = []
    try:
        smoke.wait_for_server(proc, base)
        for username in USERS:
            bearer = token(base, username)
            spec, paths = spec_file(base, bearer, workdir, username)
            print(f"== {username}: {paths} paths in the spec", flush=True)
            for label, methods, examples in (("get", ["GET"], GET_EXAMPLES),
                                             ("writes", ["POST", "PUT", "DELETE"], WRITE_EXAMPLES)):
                report = os.path.join(reports, f"schemathesis-{username}-{label}.xml")
                if schemathesis(spec, base, bearer, methods, examples, report):
                    failed.append(f"{username} {label}")
    except smoke.CheckFailed as exc:
        failed.append(str(exc))
    finally:
        smoke.stop_server(proc)
    if failed:
        smoke.print_server_output(log_path)
        print("FAILED:", ", ".join(failed))
        return 1
    print("API fuzzing passed for", ", ".join(USERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
