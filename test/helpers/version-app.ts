/**
 * The small web app the run tests deploy: a Python HTTP server that answers its release's VERSION,
 * and the restart command that (re)starts it from `current` on a test host.
 */

/**
 * server.py, answering `<VERSION>\n` with 200, or 500 while `unhealthy` (a Python expression over
 * VERSION and os) holds — how a test makes one release fail its health check.
 */
export const versionServerPy = (unhealthy = 'False'): string => `import http.server, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = open(os.path.join(HERE, 'VERSION')).read().strip()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        bad = ${unhealthy}
        body = (VERSION + '\\n').encode()
        self.send_response(500 if bad else 200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
`;

/** A checklist restart step: stops the previous server (by its pid file) and starts current's on the host's address, saying which. */
export const restartCommand = (port: number): string => `set -e
pidf={{app.shared}}/app.pid
if [ -f "$pidf" ]; then old=$(cat "$pidf"); kill "$old" 2>/dev/null || true; while kill -0 "$old" 2>/dev/null; do sleep 0.05; done; fi
cd {{app.current}}
setsid nohup python3 {{app.current}}/server.py {{host.address}} ${port} </dev/null >>{{app.shared}}/log/app.log 2>&1 &
echo $! > "$pidf"
echo "started pid $(cat "$pidf"), version $(cat VERSION)"`;
