#!/usr/bin/env python3
"""A tiny webhook receiver for the pipeline's notification (standard library only).

Usage: python webhook.py [--host ADDR] [--port N] [--count N]

Listens on ADDR:PORT (default 0.0.0.0:7451: pods have networks of their own and reach this
machine as host.drover.internal, so 127.0.0.1 alone would be out of their reach), answers every
POST with 200, prints each request's path and JSON body on one line, and exits after COUNT
requests (default: never).
"""
import argparse
import http.server
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=7451)
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args(argv)
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
            print("POST %s %s" % (self.path, body), flush=True)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok\n")
            seen.append(body)

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer((args.host, args.port), Handler)
    print("listening on http://%s:%d" % (args.host, server.server_port), flush=True)
    while not args.count or len(seen) < args.count:
        server.handle_request()
    return 0


if __name__ == "__main__":
    sys.exit(main())
