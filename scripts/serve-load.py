#!/usr/bin/env python3
"""serve-load.py PORT FILE CLIENTS REQUESTS: the load of scripts/bench-serve.sh.

CLIENTS threads on 127.0.0.1, each with its own keep-alive connection, send
REQUESTS one-sentence requests in all (lines of FILE in turn), each waiting
for its answer before the next. Prints one line:
  requests/s sentences/s p50_ms p90_ms p99_ms errors
"""
import http.client
import json
import sys
import threading
import time


def main(port, path, clients, total):
    with open(path, encoding="utf-8") as f:
        src = f.read().split("\n")[:-1]
    lat, errors = [], [0]
    lock = threading.Lock()
    counter = [0]

    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                i = counter[0]
                counter[0] += 1
            if i >= total:
                break
            body = json.dumps([{"src": src[i % len(src)]}]).encode()
            t0 = time.perf_counter()
            try:
                c.request("POST", "/translator/translate", body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                ok = r.status == 200 and len(json.loads(data)) == 1
            except Exception:  # noqa: BLE001 - counted as an error
                ok = False
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    lat.append(dt)
                else:
                    errors[0] += 1
        c.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    el = time.perf_counter() - t0
    lat.sort()

    def pct(p):
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0

    print("%.1f %.1f %.1f %.1f %.1f %d" % (len(lat) / el, len(lat) / el, pct(0.5), pct(0.9),
                                          pct(0.99), errors[0]))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
