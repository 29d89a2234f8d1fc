/**
 * Command lines the engine runs on hosts besides the checklist's own steps, built (Kamal style)
 * by small pure functions through the one quoting function; the callers execute them.
 * The host lock scripts are in locks.ts.
 */
import { raw, sh } from '../ssh/quote.js';

/**
 * Fetches `ref` of a git repository into `tmp` and packs it (without .git) at `uploadPath`, so the
 * upload step's own command (checksum, extract) runs as for an uploaded archive. Prints
 * `commit <sha1>` and the archive's `sha256sum` line.
 */
export function gitFetchPackScript(p: { tmp: string; url: string; ref: string; releases: string; uploadPath: string }): string {
  return sh`set -e
rm -rf ${p.tmp}
git init -q ${p.tmp}
git -C ${p.tmp} fetch -q --depth 1 -- ${p.url} ${p.ref}
git -C ${p.tmp} -c advice.detachedHead=false checkout -q FETCH_HEAD
echo "commit $(git -C ${p.tmp} rev-parse HEAD)"
mkdir -p ${p.releases}
tar -czf ${p.uploadPath} -C ${p.tmp} --exclude=./.git .
rm -rf ${p.tmp}
sha256sum ${p.uploadPath}`;
}

/**
 * Prints where `<base>/current` points, a NUL, then each name under `<base>/releases` followed by a
 * NUL: names may hold any byte but NUL (a label ending in `---`, a newline), so nothing is split on text.
 */
export function inspectScript(base: string): string {
  return sh`readlink -- ${base}/current; printf '\\0'; for f in ${base}/releases/*; do [ -e "$f" ] && printf '%s\\0' "\${f##*/}"; done; true`;
}

/**
 * `inspectScript`, then — only when `current` points at the release `key` — `unlock` (the run's
 * host unlock script) with its output dropped, so the inspect output stays as it is: the record
 * step that ends a run leaves its host unlocked in the same command, one channel less per host.
 */
export function inspectThenUnlockScript(base: string, key: string, unlock: string): string {
  return sh`${raw(inspectScript(base))}
case "$(readlink -- ${base}/current)" in */${key}) { ${raw(unlock)}
} >/dev/null 2>&1;; esac
true`;
}

/**
 * An HTTP check run on the host itself: curl GETs `url` (no keep-alive to reuse, no redirects
 * followed, like the GET from Puesta) and prints the body, then a last line with the status code.
 */
export function httpCheckCommand(url: string, timeoutSeconds: number): string {
  return sh`curl -sS --max-time ${timeoutSeconds} -w '\\n%{http_code}\\n' -- ${url}`;
}

/** The status and body of `httpCheckCommand`'s output (status 0 when curl got no answer). */
export function parseHttpCheck(stdout: string): { status: number; body: string } {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const status = Number(lines.pop());
  return { status: Number.isFinite(status) ? status : 0, body: lines.join('\n') };
}

/**
 * The line that says why a command failed, for the failure banner: the last non-empty line of its
 * stderr (else of its stdout), whole — the log shows output in chunks that may cut a line — without
 * colour codes, at most 300 characters.
 */
export function failingLine(stderr: string, stdout: string): string {
  const last = (t: string) =>
    t
      .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
      .split(/\r?\n|\r/)
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '';
  const line = last(stderr) || last(stdout);
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
