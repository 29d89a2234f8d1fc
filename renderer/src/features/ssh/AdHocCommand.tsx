/**
 * Ad-hoc command on one or many servers — the operator's quick check before a window.
 * Pick servers (each with its environment), type a command, run: live per-host output panes
 * (stdout / stderr distinguished), exit codes, signals and errors; Cancel stops the remote
 * processes. Servers in an environment that asks for a confirmation need its name typed first.
 *
 * Mount: <AdHocCommand /> (optionally initialServerIds={[…]}) inside <ApiProvider><QueryProvider>.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EventPayload, MethodOutput } from '../../../../shared/contract/index.js';
import { useApi, useEvent } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { EnvTag, PageHeader } from '../../components/Bits.js';
import { useEnvironments } from '../inventory/lookups.js';
import { AdHocConfirm, type GuardedEnv } from './AdHocConfirm.js';
import { errorOf } from './format.js';
import './ssh.css';

interface ServerItem {
  id: number;
  name: string;
  host: string;
  user: string;
  tags: string[];
  environmentId: number | null;
}

interface Pane {
  serverId: number;
  chunks: { stream: 'stdout' | 'stderr'; text: string; seq: number }[];
  bytes: number;
  truncated: boolean;
  exit: EventPayload<'ssh.exit'> | null;
}

const MAX_PANE_BYTES = 512 * 1024;

const NO_SERVERS: ServerItem[] = [];
const toItems = (r: MethodOutput<'servers.list'>): ServerItem[] => r.items.map((s) => ({ id: s.id, name: s.name, host: s.host, user: s.user, tags: s.tags, environmentId: s.environmentId }));

export function AdHocCommand({ initialServerIds = [] }: { initialServerIds?: number[] }) {
  const api = useApi();
  const list = useApiQuery('servers.list', { limit: 10_000, offset: 0 }, { select: toItems });
  const servers = list.data ?? NO_SERVERS;
  const envs = useEnvironments();
  const [guard, setGuard] = useState<GuardedEnv[] | null>(null);
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState<Set<number>>(() => new Set(initialServerIds));
  const [command, setCommand] = useState('');
  const [timeoutSeconds, setTimeoutSeconds] = useState(60);
  const [execId, setExecId] = useState<string | null>(null);
  const [panes, setPanes] = useState<Map<number, Pane>>(new Map());
  const [error, setError] = useState<string | null>(null);
  /** The shell dropped this window's events while the command ran (it could not keep up): say so. */
  const [fellBehind, setFellBehind] = useState(false);
  const execRef = useRef<string | null>(null);
  /** While ssh.exec is in flight, events can arrive before its answer (SSE vs POST): keep them. */
  const earlyRef = useRef<{ kind: 'output' | 'exit'; p: EventPayload<'ssh.output'> | EventPayload<'ssh.exit'> }[] | null>(null);

  const onOutput = useCallback((p: EventPayload<'ssh.output'>) => {
    if (earlyRef.current) earlyRef.current.push({ kind: 'output', p });
    if (p.execId !== execRef.current) return;
    setPanes((prev) => {
      const pane = prev.get(p.serverId);
      if (!pane) return prev;
      const next = new Map(prev);
      if (pane.bytes >= MAX_PANE_BYTES) {
        next.set(p.serverId, { ...pane, truncated: true });
        return next;
      }
      const chunks = [...pane.chunks, { stream: p.stream, text: p.text, seq: p.seq }];
      chunks.sort((a, b) => a.seq - b.seq);
      next.set(p.serverId, { ...pane, chunks, bytes: pane.bytes + p.text.length });
      return next;
    });
  }, []);
  const onExit = useCallback((p: EventPayload<'ssh.exit'>) => {
    if (earlyRef.current) earlyRef.current.push({ kind: 'exit', p });
    if (p.execId !== execRef.current) return;
    setPanes((prev) => {
      const pane = prev.get(p.serverId);
      if (!pane) return prev;
      const next = new Map(prev);
      next.set(p.serverId, { ...pane, exit: p });
      return next;
    });
  }, []);
  useEvent('ssh.output', onOutput);
  useEvent('ssh.exit', onExit);
  const panesRef = useRef(panes);
  panesRef.current = panes;
  const onResync = useCallback(() => {
    if (execRef.current && [...panesRef.current.values()].some((p) => !p.exit)) setFellBehind(true);
  }, []);
  useEvent('events.resync', onResync);

  const running = execId !== null && [...panes.values()].some((p) => !p.exit);
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return q ? servers.filter((s) => `${s.name} ${s.host} ${s.tags.join(' ')}`.toLowerCase().includes(q)) : servers;
  }, [servers, filter]);
  const byId = useMemo(() => new Map(servers.map((s) => [s.id, s])), [servers]);

  const toggle = (id: number) =>
    setSelected((prev) => {
      const n = new Set(prev);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  /** The selected servers' environments that ask for a typed confirmation, with their servers. */
  const guarded = (ids: number[]): GuardedEnv[] => {
    const out = new Map<number, GuardedEnv>();
    for (const id of ids) {
      const s = byId.get(id);
      const e = s?.environmentId ? envs.byId.get(s.environmentId) : undefined;
      if (!s || !e?.confirmRuns) continue;
      const g = out.get(e.id) ?? { name: e.name, colour: e.colour, servers: [] };
      g.servers.push(s.name);
      out.set(e.id, g);
    }
    return [...out.values()];
  };

  const run = async (confirm?: string[]) => {
    const ids = [...selected];
    if (!ids.length || !command.trim() || running) return;
    if (!confirm && guarded(ids).length) {
      setGuard(guarded(ids));
      return;
    }
    setGuard(null);
    setError(null);
    setFellBehind(false);
    const fresh = new Map<number, Pane>(ids.map((id) => [id, { serverId: id, chunks: [], bytes: 0, truncated: false, exit: null }]));
    setPanes(fresh);
    execRef.current = null;
    earlyRef.current = [];
    try {
      const r = await api.call('ssh.exec', { serverIds: ids, command, timeoutSeconds, confirm: confirm ?? [] });
      const early = earlyRef.current ?? [];
      earlyRef.current = null;
      execRef.current = r.execId;
      setExecId(r.execId);
      for (const ev of early) {
        if (ev.p.execId !== r.execId) continue;
        if (ev.kind === 'output') onOutput(ev.p as EventPayload<'ssh.output'>);
        else onExit(ev.p as EventPayload<'ssh.exit'>);
      }
    } catch (e) {
      earlyRef.current = null;
      setError(errorOf(e).message);
      setPanes(new Map());
    }
  };

  const cancel = async () => {
    if (!execId) return;
    try {
      await api.call('ssh.cancel', { execId });
    } catch (e) {
      setError(errorOf(e).message);
    }
  };

  return (
    <div className="page">
    <PageHeader icon="terminal" title="Ad-hoc command" subtitle="Run one command on several servers and watch each one's output. Every run is written to each server's history." />
    <div className="pssh-adhoc">
      <aside className="pssh-pick" aria-label="Servers">
        <header>
          <input className="pssh-input" placeholder="Filter servers…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter servers" />
          <div className="pssh-row">
            <button className="pssh-btn" onClick={() => setSelected(new Set([...selected, ...shown.map((s) => s.id)]))}>
              Select shown
            </button>
            <button className="pssh-btn" onClick={() => setSelected(new Set())}>
              None
            </button>
            <span className="pssh-muted">{selected.size} selected</span>
          </div>
        </header>
        <ul>
          {shown.map((s) => (
            <li key={s.id}>
              <label>
                <input type="checkbox" checked={selected.has(s.id)} onChange={() => toggle(s.id)} />
                <span className="pssh-pick-name">
                  <span>{s.name}</span>
                  <span className="pssh-muted pssh-mono">{s.host}</span>
                </span>
                <ServerEnv env={s.environmentId ? envs.byId.get(s.environmentId) : undefined} />
              </label>
            </li>
          ))}
          {shown.length === 0 && <li className="pssh-muted" style={{ padding: '4px 8px' }}>No servers.</li>}
        </ul>
      </aside>

      <div className="pssh-cmd">
        <textarea
          className="pssh-input"
          placeholder="Command, e.g. df -h /srv && systemctl is-active nginx"
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            }
          }}
          aria-label="Command"
          spellCheck={false}
        />
        <div className="pssh-row">
          <button className="pssh-btn pssh-btn-primary" disabled={!selected.size || !command.trim() || running} onClick={() => void run()}>
            Run on {selected.size} server{selected.size === 1 ? '' : 's'}
          </button>
          <button className="pssh-btn" disabled={!running} onClick={() => void cancel()}>
            Cancel
          </button>
          <label className="pssh-muted">
            Timeout{' '}
            <input
              className="pssh-input"
              type="number"
              min={1}
              max={86400}
              value={timeoutSeconds}
              onChange={(e) => setTimeoutSeconds(Math.max(1, Math.min(86400, Number(e.target.value) || 60)))}
              style={{ width: 80 }}
              aria-label="Timeout in seconds"
            />{' '}
            s
          </label>
          <span className="pssh-muted">Ctrl+Enter runs. The command runs as each server's SSH user.</span>
        </div>
        {(error ?? list.error) && (
          <div className="pssh-alert pssh-alert-error" role="alert">
            {error ?? errorOf(list.error).message}
          </div>
        )}
        {fellBehind && (
          <div className="pssh-alert pssh-alert-warn" role="status" data-testid="adhoc-fell-behind">
            This window fell behind and Puesta dropped part of this command’s live output (the servers still ran it). Run it again to see the whole output; if a server’s exit code never arrives, Cancel ends the command there.
          </div>
        )}
        <div className="pssh-panes">
          {[...panes.values()].map((p) => (
            <OutputPane key={p.serverId} pane={p} server={byId.get(p.serverId)} />
          ))}
        </div>
      </div>
    </div>
    {guard && <AdHocConfirm envs={guard} command={command} onConfirm={(typed) => void run(typed)} onClose={() => setGuard(null)} />}
    </div>
  );
}

function ServerEnv({ env }: { env: { name: string; colour: string } | undefined }) {
  return env ? <EnvTag name={env.name} colour={env.colour} /> : <span />;
}

function OutputPane({ pane, server }: { pane: Pane; server: ServerItem | undefined }) {
  const preRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = preRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [pane.chunks.length]);
  const x = pane.exit;
  const status = !x ? (
    <span className="pssh-badge pssh-badge-run">running…</span>
  ) : x.error ? (
    <span className="pssh-badge pssh-badge-bad">{x.error.code}</span>
  ) : x.signal ? (
    <span className="pssh-badge pssh-badge-bad">killed by {x.signal}</span>
  ) : (
    <span className={'pssh-badge ' + (x.exitCode === 0 ? 'pssh-badge-ok' : 'pssh-badge-bad')}>exit {x.exitCode}</span>
  );
  return (
    <section className="pssh-pane" aria-label={`Output of ${server?.name ?? pane.serverId}`} data-server-id={pane.serverId}>
      <header>
        <strong>{server?.name ?? `server ${pane.serverId}`}</strong>
        <span>
          {status} {x && <span className="pssh-muted">{(x.durationMs / 1000).toFixed(2)} s</span>}
        </span>
      </header>
      <pre ref={preRef}>
        {pane.chunks.map((c) => (
          <span key={c.seq} className={c.stream === 'stderr' ? 'pssh-stderr' : undefined} data-stream={c.stream}>
            {c.text}
          </span>
        ))}
        {pane.truncated && <span className="pssh-muted">{'\n'}… output truncated here (over 512 KiB)</span>}
      </pre>
      {x?.error && <div className="pssh-pane-error">{x.error.message}</div>}
    </section>
  );
}
