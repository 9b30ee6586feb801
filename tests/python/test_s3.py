"""nrr against a real S3 API server (moto, on loopback, started here): read
snapshots from a bucket, write every table back, and get the same bytes as a
local run. Also the failures an operator meets: a missing bucket, refused
credentials, and a flaky endpoint that the job must ride out with retries."""

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import NRR, ROOT

SECRET = "s3cr3t-Key-Never-Logged-42"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(env_extra=None):
    port = free_port()
    env = dict(os.environ, **(env_extra or {}))
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="module")
def s3():
    proc, url = start_moto()
    yield url
    proc.kill()
    proc.wait()


def aws_env(endpoint=None):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIANRRTEST", AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION="us-east-1")
    env.pop("AWS_ENDPOINT_URL", None)
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def client(url):
    return boto3.client("s3", endpoint_url=url, aws_access_key_id="AKIANRRTEST",
                        aws_secret_access_key=SECRET, region_name="us-east-1")


def upload_sample(url, bucket):
    c = client(url)
    c.create_bucket(Bucket=bucket)
    for path in (ROOT / "sample_data").rglob("*.parquet"):
        c.upload_file(str(path), bucket, f"exports/{path.relative_to(ROOT / 'sample_data')}")
    return c


def nrr(args, env, timeout=120):
    return subprocess.run([NRR, *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)


def objects(c, bucket, prefix):
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            key = o["Key"][len(prefix):]
            out[key] = c.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


def local_files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def job_args(src, out, endpoint=None):
    args = ["--quiet", "run", "--input", f"{src}/snapshots", "--fx-rates", f"{src}/fx_rates.parquet",
            "--segment-by", "plan,region", "--output", out]
    return args + (["--s3-endpoint", endpoint] if endpoint else [])


def test_bucket_to_bucket_equals_local_run_byte_for_byte(s3, sample_output):
    c = upload_sample(s3, "snapshots-in")
    c.create_bucket(Bucket="tables-out")
    # Endpoint through --s3-endpoint here; through AWS_ENDPOINT_URL in the next test.
    r = nrr(job_args("s3://snapshots-in/exports", "s3://tables-out/nrr", s3), aws_env())
    assert r.returncode == 0, r.stderr
    remote = objects(c, "tables-out", "nrr/")
    local = local_files(sample_output)
    manifest = remote.pop("_manifest.json")
    local.pop("_manifest.json")
    assert len(remote) > 90
    assert remote == local
    assert b'"status": "complete"' in manifest and b"s3://snapshots-in/exports/snapshots/" in manifest

    # The manifest check reads the bucket too.
    r = nrr(["check", "--output", "s3://tables-out/nrr", "--s3-endpoint", s3], aws_env())
    assert r.returncode == 0, r.stderr
    assert "ok: full run" in r.stdout

    # A second run over its own output rewrites the same bytes.
    r = nrr(job_args("s3://snapshots-in/exports", "s3://tables-out/nrr"), aws_env(s3))
    assert r.returncode == 0, r.stderr
    again = objects(c, "tables-out", "nrr/")
    again.pop("_manifest.json")
    assert again == remote


def test_missing_bucket_fails_fast_with_uri_and_no_secret(s3):
    started = time.monotonic()
    r = nrr(job_args("s3://no-such-bucket/exports", "s3://no-such-bucket/out", s3), aws_env())
    assert r.returncode == 1, r.stderr
    assert "s3://no-such-bucket" in r.stderr
    assert "NoSuchBucket" in r.stderr or "not found" in r.stderr.lower()
    assert SECRET not in r.stderr + r.stdout
    assert time.monotonic() - started < 20, "a permanent error must not be retried for long"


def test_refused_credentials_fail_fast(tmp_path):
    proc, url = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        env = aws_env(url)
        env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNUSER"
        started = time.monotonic()
        r = nrr(job_args("s3://any-bucket/exports", tmp_path / "out"), env)
        assert r.returncode == 1, r.stderr
        assert "s3://any-bucket/exports" in r.stderr
        assert SECRET not in r.stderr + r.stdout
        assert time.monotonic() - started < 20
        assert not (tmp_path / "out").exists()
    finally:
        proc.kill()
        proc.wait()


class FlakyProxy(http.server.BaseHTTPRequestHandler):
    """Forwards to moto, but answers every third request with 503."""

    upstream = ""
    count = 0
    failed = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def handle_any(self):
        with FlakyProxy.lock:
            FlakyProxy.count += 1
            fail = FlakyProxy.count % 3 == 0
        body = self.read_body()
        if fail:
            FlakyProxy.failed += 1
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request(FlakyProxy.upstream + self.path, data=body or None, method=self.command)
        # urllib would label a body as a form, and the server would parse it away.
        req.add_header("Content-Type", self.headers.get("Content-Type", "application/octet-stream"))
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection", "transfer-encoding", "expect", "content-type"):
                req.add_header(k, v)
        try:
            resp = urllib.request.urlopen(req, timeout=30)
            status, headers, data = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def test_flaky_endpoint_is_retried(s3, sample_output):
    upload_sample(s3, "flaky-in")
    client(s3).create_bucket(Bucket="flaky-out")
    FlakyProxy.upstream = s3
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        r = nrr(job_args("s3://flaky-in/exports", "s3://flaky-out/nrr", proxy), aws_env())
    finally:
        server.shutdown()
    assert r.returncode == 0, r.stderr
    assert FlakyProxy.failed > 10, "the proxy injected failures"
    remote = objects(client(s3), "flaky-out", "nrr/")
    remote.pop("_manifest.json")
    local = local_files(sample_output)
    local.pop("_manifest.json")
    assert remote == local


def test_a_live_lease_in_the_bucket_stops_an_overlapping_writer(s3):
    """The lease is a create-only conditional put: a month leased by a live run
    elsewhere stops this run before it writes anything, naming the holder."""
    import json
    c = upload_sample(s3, "lease-in")
    c.create_bucket(Bucket="lease-out")
    holder = {"host": "airflow-worker-7", "pid": 4242, "started_at": "2026-12-01T00:00:00Z",
              "expires_at": "2999-01-01T00:00:00Z", "months": "2024-01..2024-03"}
    c.put_object(Bucket="lease-out", Key="nrr/_lease/month=2024-02.json", Body=json.dumps(holder).encode())
    r = nrr(job_args("s3://lease-in/exports", "s3://lease-out/nrr", s3), aws_env())
    assert r.returncode == 1, r.stderr
    assert "month 2024-02 is leased to host airflow-worker-7, pid 4242" in r.stderr, r.stderr
    assert set(objects(c, "lease-out", "nrr/")) == {"_lease/month=2024-02.json"}, "nothing written, no lease kept"


def test_keep_previous_explain_and_diff_on_a_bucket(s3, sample_output):
    c = upload_sample(s3, "restate-in")
    c.create_bucket(Bucket="restate-out")
    out = "s3://restate-out/nrr"
    for _ in range(2):
        r = nrr(job_args("s3://restate-in/exports", out, s3) + ["--keep-previous"], aws_env())
        assert r.returncode == 0, r.stderr
    kept = objects(c, "restate-out", "nrr/_previous/")
    local = local_files(sample_output)
    assert kept.pop("_manifest.json") and (local.pop("_manifest.json") or True)
    assert kept == local, "the server-side copy is the published tables, byte for byte"
    r = nrr(["diff", f"{out}/_previous", out, "--s3-endpoint", s3], aws_env())
    assert r.returncode == 0 and "identical" in r.stdout, r.stdout + r.stderr
    r = nrr(["explain", "--output", out, "--month", "2024-12", "--window", "3", "--s3-endpoint", s3], aws_env())
    assert r.returncode == 0 and "matches nrr_summary" in r.stdout, r.stderr
