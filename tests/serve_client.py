#!/usr/bin/env python3
"""serve_client.py: the client side of tests/cli_serve.sh (not a test by itself).

Talks to `s2s serve` on 127.0.0.1 only, with bounded timeouts:
  serve_client.py PORT translate FILE [JSON-OPTIONS]  one request of FILE's lines: prints each
                                                      answer's hypotheses, one line each,
                                                      "n_best<TAB>tgt<TAB>pred_score"
  serve_client.py PORT concurrent FILE C R            C clients x R one-sentence requests each,
                                                      line (c * R + r) mod n of FILE; prints
                                                      "line<TAB>tgt" per request, sorted
  serve_client.py PORT status METHOD PATH [BODY-FILE] [HEADER=VALUE]  prints the status and,
                                                      on a second line, the body
  serve_client.py PORT held FILE                      sends a request's headers with Expect:
                                                      100-continue, waits for "100 Continue",
                                                      prints "held", waits for a line on stdin,
                                                      then sends the body and prints the
                                                      answer's status and translations
  serve_client.py PORT hangup                         sends half a request, then closes
  serve_client.py PORT idle                           connects, sends nothing, and prints
                                                      "closed" when the server hangs up
  serve_client.py PORT slow SECONDS body|headers      a slow client: sends a POST's headers
                                                      (announcing 100000 bytes) and prints
                                                      "sending", then a body byte every 0.5 s
                                                      (headers: the headers themselves a byte
                                                      every 0.5 s, "sending" first); prints
                                                      "cut" when the server closes the
                                                      connection, "not cut" after SECONDS
"""
import http.client
import json
import select
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
TIMEOUT = 120  # guards against a hang only, far above any expected time


def post(port, body, headers=None):
    c = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", "/translator/translate", body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def lines_of(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def translate(port, path, opts):
    extra = json.loads(opts) if opts else {}
    items = [dict(src=s, **extra) for s in lines_of(path)]
    status, data = post(port, json.dumps(items).encode())
    if status != 200:
        print("status", status, data.decode(errors="replace"))
        return 1
    for answer in json.loads(data):
        for h in answer:
            print("%d\t%s\t%.6f" % (h["n_best"], h["tgt"], h["pred_score"]))
    return 0


def concurrent(port, path, clients, reps):
    src = lines_of(path)
    out, errors = [], []
    lock = threading.Lock()

    def client(c):
        for r in range(reps):
            i = (c * reps + r) % len(src)
            try:
                status, data = post(port, json.dumps([{"src": src[i]}]).encode())
                tgt = json.loads(data)[0][0]["tgt"] if status == 200 else None
            except Exception as e:  # noqa: BLE001 - reported below
                status, tgt = repr(e), None
            with lock:
                (out if tgt is not None else errors).append((i, tgt if tgt is not None else status))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, tgt in sorted(out):
        print("%d\t%s" % (i, tgt))
    for i, e in errors:
        print("error %d %s" % (i, e))
    return 0


def status(port, method, path, body_file=None, *headers):
    body = open(body_file, "rb").read() if body_file else None
    h = dict(x.split("=", 1) for x in headers)
    c = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    extra = ["%s=%s" % (k, r.getheader(k)) for k in ("Retry-After", "Allow") if r.getheader(k)]
    print(r.status, *extra)
    print(data.decode(errors="replace"))
    return 0


def held(port, path):
    body = json.dumps([{"src": s} for s in lines_of(path)]).encode()
    s = socket.create_connection((HOST, port), timeout=TIMEOUT)
    s.sendall(b"POST /translator/translate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            print("closed before 100 Continue")
            return 1
        got += chunk
    if b" 100 " not in got.split(b"\r\n")[0]:
        print("no 100 Continue:", got[:80])
        return 1
    print("held", flush=True)
    sys.stdin.readline()
    s.sendall(body)
    f = s.makefile("rb")
    line = f.readline().decode()
    length = 0
    while True:
        h = f.readline().decode().strip()
        if not h:
            break
        if h.lower().startswith("content-length:"):
            length = int(h.split(":")[1])
    data = f.read(length)
    print(line.split()[1])
    for answer in json.loads(data):
        print(answer[0]["tgt"])
    return 0


def hangup(port):
    s = socket.create_connection((HOST, port), timeout=TIMEOUT)
    s.sendall(b"POST /translator/translate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Length: 100000\r\n\r\n[{\"src\": \"one")
    s.close()
    return 0


def idle(port):
    s = socket.create_connection((HOST, port), timeout=TIMEOUT)
    if s.recv(1) == b"":
        print("closed")
    return 0


def slow(port, seconds, what):
    head = (b"POST /translator/translate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    s = socket.create_connection((HOST, port), timeout=TIMEOUT)
    drip = head if what == "headers" else b"[" + b" " * 99999
    if what != "headers":
        s.sendall(head)
    print("sending", flush=True)
    end = time.monotonic() + float(seconds)
    for byte in drip:
        if time.monotonic() > end:
            break
        try:
            ready, _, _ = select.select([s], [], [], 0.5)
            if ready and s.recv(4096) == b"":
                break
            s.sendall(bytes([byte]))
        except OSError:
            break
    else:
        print("sent it all")
        return 1
    print("not cut" if time.monotonic() > end else "cut")
    return 0


def main(argv):
    port, cmd, args = int(argv[1]), argv[2], argv[3:]
    if cmd == "translate":
        return translate(port, args[0], args[1] if len(args) > 1 else "")
    if cmd == "concurrent":
        return concurrent(port, args[0], int(args[1]), int(args[2]))
    if cmd == "status":
        return status(port, *args)
    if cmd == "held":
        return held(port, args[0])
    if cmd == "hangup":
        return hangup(port)
    if cmd == "idle":
        return idle(port)
    if cmd == "slow":
        return slow(port, args[0], args[1])
    print("unknown command", cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
