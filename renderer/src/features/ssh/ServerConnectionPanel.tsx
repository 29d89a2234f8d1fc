/**
 * Server view panel: "Test connection" (fingerprint, latency, OS, disk and memory read over SSH),
 * the host-key trust flow (unknown key → compare and trust; changed key → red refusal with a
 * deliberate replace path), pinned keys, and the server's stored password / passphrase.
 *
 * Mount: <ServerConnectionPanel serverId={id} /> inside <ApiProvider><QueryProvider>.
 */
import { useCallback, useEffect, useState } from 'react';
import { Dialog } from '../../components/Dialog.js';
import { dfUsedPercent } from '../../../../shared/contract/provision.js';
import type { ConnectionFacts } from '../../../../shared/contract/ssh.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { bytes, errorOf } from './format.js';
import './ssh.css';

type KeyProblem = { kind: 'unknown' | 'changed'; fingerprint: string; keyType: string; host: string; port: number; pinned: { keyType: string; fingerprint: string }[] };

export function ServerConnectionPanel({ serverId }: { serverId: number }) {
  const api = useApi();
  const server = useApiQuery('servers.get', { id: serverId });
  const hostKeys = useApiQuery('servers.hostKeys', { id: serverId });
  const secretStatus = useApiQuery('servers.secretStatus', { id: serverId });
  const invalidate = useInvalidate();
  const serverName = server.data?.name ?? '';
  const auth = server.data?.auth ?? '';
  const pins = hostKeys.data?.items ?? [];
  const secrets = secretStatus.data ?? null;
  const metaError = server.error ?? hostKeys.error ?? secretStatus.error;
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const shownError = error ?? (metaError ? errorOf(metaError) : null);
  const [facts, setFacts] = useState<ConnectionFacts | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<KeyProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // Pins and stored secrets change through this panel only; no event announces them.
  const reloadMeta = useCallback(() => invalidate('servers.get', 'servers.hostKeys', 'servers.secretStatus'), [invalidate]);

  useEffect(() => {
    setFacts(null);
    setProblem(null);
    setError(null);
    setNotice(null);
  }, [serverId]);

  const test = useCallback(async (keepNotice = false) => {
    setBusy(true);
    setError(null);
    if (!keepNotice) setNotice(null);
    try {
      setFacts(await api.call('servers.testConnection', { id: serverId }));
      setProblem(null);
    } catch (e) {
      const err = errorOf(e);
      setFacts(null);
      if (err.code === 'HOST_KEY_UNKNOWN' || err.code === 'HOST_KEY_CHANGED') {
        const d = err.details;
        setProblem({
          kind: err.code === 'HOST_KEY_UNKNOWN' ? 'unknown' : 'changed',
          fingerprint: String(d.fingerprint ?? ''),
          keyType: String(d.keyType ?? ''),
          host: String(d.host ?? ''),
          port: Number(d.port ?? 22),
          pinned: Array.isArray(d.pinned) ? (d.pinned as KeyProblem['pinned']) : [],
        });
        if (err.code === 'HOST_KEY_CHANGED') setError(err);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }, [api, serverId]);

  const trust = useCallback(
    async (fingerprint: string, replace: boolean) => {
      setBusy(true);
      try {
        const r = await api.call('servers.trustHostKey', { id: serverId, fingerprint, replace });
        setProblem(null);
        setError(null);
        setNotice(r.replaced ? `Pin replaced: ${r.replaced.fingerprint} → ${r.pinned.fingerprint}.` : `Host key ${r.pinned.fingerprint} is now trusted.`);
        await reloadMeta();
      } catch (e) {
        setError(errorOf(e));
        setProblem(null);
      } finally {
        setBusy(false);
      }
      await test(true);
    },
    [api, serverId, reloadMeta, test],
  );

  return (
    <section className="pssh-panel" aria-label="SSH connection">
      <h3>SSH connection</h3>
      <div className="pssh-row">
        <button className="pssh-btn pssh-btn-primary" onClick={() => void test()} disabled={busy}>
          {busy ? 'Testing…' : 'Test connection'}
        </button>
        {facts && <span className="pssh-muted">latency {facts.latencyMs} ms{facts.connectMs ? ` · connect ${facts.connectMs} ms` : ''}</span>}
      </div>

      {notice && (
        <div className="pssh-alert pssh-alert-ok" role="status">
          {notice}
        </div>
      )}

      {shownError && problem?.kind !== 'changed' && (
        <div className="pssh-alert pssh-alert-error" role="alert">
          <strong>{titleFor(shownError.code)}</strong>
          {shownError.message}
        </div>
      )}

      {problem?.kind === 'changed' && (
        <ChangedKey problem={problem} serverName={serverName} busy={busy} onReplace={(fp) => void trust(fp, true)} />
      )}

      {facts && <Facts facts={facts} />}

      <div className="pssh-section">
        <h4>Pinned host keys</h4>
        {pins.length === 0 ? (
          <div className="pssh-muted">None yet — test the connection to see the server's key.</div>
        ) : (
          <ul className="pssh-keys">
            {pins.map((p) => (
              <li key={p.keyType}>
                <span className="pssh-mono">{p.fingerprint}</span> <span className="pssh-muted">({p.keyType}, trusted by {p.trustedBy} on {p.trustedAt.slice(0, 10)})</span>
              </li>
            ))}
          </ul>
        )}
      </div>

      {secrets && <Secrets serverId={serverId} auth={auth} status={secrets} onChange={() => void reloadMeta()} />}

      {problem?.kind === 'unknown' && <TrustDialog problem={problem} serverName={serverName} busy={busy} onCancel={() => setProblem(null)} onTrust={(fp) => void trust(fp, false)} />}
    </section>
  );
}

function titleFor(code: string): string {
  switch (code) {
    case 'SSH_AUTH_FAILED':
      return 'Login refused';
    case 'SSH_TIMEOUT':
      return 'The server did not answer';
    case 'SSH_CONNECTION_LOST':
      return 'Connection lost';
    case 'HOST_KEY_CHANGED':
      return 'Host key changed — connection refused';
    case 'PRECONDITION_FAILED':
      return 'Not trusted';
    default:
      return 'Connection failed';
  }
}

function Facts({ facts }: { facts: ConnectionFacts }) {
  return (
    <dl className="pssh-facts">
      <dt>Host key</dt>
      <dd>
        <span className="pssh-mono">{facts.fingerprint}</span> <span className="pssh-muted">{facts.keyType}</span>
      </dd>
      <dt>Latency</dt>
      <dd>{facts.latencyMs} ms per command</dd>
      <dt>System</dt>
      <dd>{facts.os || '—'}</dd>
      <dt>Kernel</dt>
      <dd>{facts.kernel || '—'}</dd>
      <dt>Host name</dt>
      <dd>{facts.hostname || '—'}</dd>
      <dt>Uptime</dt>
      <dd>{facts.uptime || '—'}</dd>
      <dt>Memory</dt>
      <dd>{facts.memory ? <Usage used={facts.memory.totalBytes - facts.memory.availableBytes} size={facts.memory.totalBytes} /> : '—'}</dd>
      {facts.disk.map((d) => (
        <FactsDisk key={d.mount} mount={d.mount} used={d.usedBytes} available={d.availableBytes} />
      ))}
      <dt>sudo</dt>
      <dd>{facts.sudo ? 'available without a password' : 'not available without a password'}</dd>
    </dl>
  );
}

/** As `df` shows it: Use% of used + available (root's reserved blocks count in neither), and df's Avail as free. */
function FactsDisk({ mount, used, available }: { mount: string; used: number; available: number }) {
  return (
    <>
      <dt>Disk {mount}</dt>
      <dd>
        {bytes(used)} used, {bytes(available)} free ({dfUsedPercent(used, available)}% used)
      </dd>
    </>
  );
}

function Usage({ used, size }: { used: number; size: number }) {
  const pct = size > 0 ? Math.round((used / size) * 100) : 0;
  return (
    <>
      {bytes(used)} used of {bytes(size)} ({pct}%)
      <div className={'pssh-bar' + (pct >= 90 ? ' pssh-high' : '')} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <span style={{ width: `${pct}%` }} />
      </div>
    </>
  );
}

function TrustDialog({ problem, serverName, busy, onCancel, onTrust }: { problem: KeyProblem; serverName: string; busy: boolean; onCancel: () => void; onTrust: (fp: string) => void }) {
  const [compared, setCompared] = useState(false);
  const file = keyFileFor(problem.keyType);
  // The shared Dialog (native <dialog>): focus stays inside, Escape cancels, focus returns to the opener.
  return (
    <Dialog
      title={`Is this really ${serverName || problem.host}?`}
      onClose={onCancel}
      footer={
        <>
          <button className="pssh-btn" onClick={onCancel}>
            Cancel
          </button>
          <button className="pssh-btn pssh-btn-primary" disabled={!compared || busy} onClick={() => onTrust(problem.fingerprint)}>
            Trust this key
          </button>
        </>
      }
    >
      <p>
        Puesta has never connected to <span className="pssh-mono">{problem.host}:{problem.port}</span> before. It presents this {problem.keyType} host key:
      </p>
      <code className="pssh-fp" data-testid="host-key-fingerprint">
        {problem.fingerprint}
      </code>
      <p>
        Before trusting it, compare it with the server's own fingerprint — run this on the server (or ask its administrator):
        <br />
        <span className="pssh-code">ssh-keygen -lf {file}</span>
      </p>
      <p className="pssh-muted">If they differ, do not trust it: someone may be intercepting the connection.</p>
      <label className="pssh-row">
        <input type="checkbox" checked={compared} onChange={(e) => setCompared(e.target.checked)} /> I compared the fingerprints and they match
      </label>
    </Dialog>
  );
}

function ChangedKey({ problem, serverName, busy, onReplace }: { problem: KeyProblem; serverName: string; busy: boolean; onReplace: (fp: string) => void }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const confirmed = serverName !== '' && typed.trim() === serverName;
  return (
    <div className="pssh-alert pssh-alert-error" role="alert">
      <strong>The host key of {serverName || problem.host} has CHANGED — nothing will run on it</strong>
      <p>
        Pinned: {problem.pinned.map((p) => `${p.keyType} ${p.fingerprint}`).join(', ') || '—'}
        <br />
        Now presented: <span className="pssh-mono">{problem.keyType} {problem.fingerprint}</span>
      </p>
      <p>
        This happens when a server is reinstalled or its keys are regenerated — and also when someone is intercepting the connection. Ask the server's administrator to confirm the new key (
        <span className="pssh-code">ssh-keygen -lf {keyFileFor(problem.keyType)}</span>) before replacing the pin. The replacement is recorded in the audit log.
      </p>
      {!open ? (
        <button className="pssh-btn" onClick={() => setOpen(true)}>
          Replace pin…
        </button>
      ) : (
        <div className="pssh-row">
          <label>
            Type the server name <span className="pssh-mono">{serverName}</span> to confirm:{' '}
            <input className="pssh-input" value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Server name to confirm" autoFocus />
          </label>
          <button className="pssh-btn pssh-btn-danger" disabled={!confirmed || busy} onClick={() => onReplace(problem.fingerprint)}>
            Replace the pinned key
          </button>
          <button
            className="pssh-btn"
            onClick={() => {
              setOpen(false);
              setTyped('');
            }}
          >
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

function keyFileFor(keyType: string): string {
  const t = keyType.replace(/^ssh-/, '').replace(/^ecdsa-sha2-nistp\d+$/, 'ecdsa');
  return `/etc/ssh/ssh_host_${t || 'ed25519'}_key.pub`;
}

function Secrets({ serverId, auth, status, onChange }: { serverId: number; auth: string; status: { password: boolean; passphrase: boolean }; onChange: () => void }) {
  const api = useApi();
  const kind: 'password' | 'passphrase' | null = auth === 'password' ? 'password' : auth === 'key' ? 'passphrase' : null;
  const [value, setValue] = useState('');
  const [err, setErr] = useState<string | null>(null);
  if (!kind) return null;
  const stored = status[kind];
  const label = kind === 'password' ? 'SSH password' : 'Key passphrase';
  const save = async () => {
    try {
      await api.call('servers.setSecret', { id: serverId, kind, value });
      setValue('');
      setErr(null);
      onChange();
    } catch (e) {
      setErr(errorOf(e).message);
    }
  };
  const clear = async () => {
    try {
      await api.call('servers.clearSecret', { id: serverId, kind });
      onChange();
    } catch (e) {
      setErr(errorOf(e).message);
    }
  };
  return (
    <div className="pssh-section">
      <h4>{label}</h4>
      <div className="pssh-row">
        <span className="pssh-muted">{stored ? 'Stored in the secret store.' : 'Not stored.'}</span>
        <input className="pssh-input" type="password" autoComplete="off" placeholder={stored ? 'Replace…' : 'Enter…'} value={value} onChange={(e) => setValue(e.target.value)} aria-label={label} />
        <button className="pssh-btn" disabled={!value} onClick={() => void save()}>
          Save
        </button>
        {stored && (
          <button className="pssh-btn" onClick={() => void clear()}>
            Clear
          </button>
        )}
      </div>
      {err && <div className="pssh-alert pssh-alert-error">{err}</div>}
    </div>
  );
}
