import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PlanHost } from '../../../../shared/contract/runs.js';
import { Icon } from '../../components/Icon.js';
import { Kbd } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { AnsiText } from './AnsiText.js';
import type { PaneLines } from './logStore.js';
import { useRunLogs } from './useRunLogs.js';

const ROW = 18;

interface PaneDef {
  key: number;
  label: string;
  state?: string;
}

/**
 * Per-host log panes: host tabs (or all hosts stacked), a search over every pane, follow.
 * Each pane is virtualized (only the visible rows are in the DOM) and reads the compact LogStore.
 */
export function LogPanes({
  runId,
  hosts,
  hostStates,
  stepFilter,
  stepLabel,
  onClearStep,
  follow,
  setFollow,
  searchRef,
  prunedAt = null,
}: {
  runId: number;
  hosts: PlanHost[];
  /** serverId → the state of its current cell (for the tab dot). */
  hostStates: Map<number, string>;
  stepFilter: number | null;
  stepLabel: string | null;
  onClearStep: () => void;
  follow: boolean;
  setFollow: (f: boolean) => void;
  searchRef?: React.RefObject<HTMLInputElement | null>;
  /** When the retention policy pruned this run's log: its panes say so instead of "No output yet". */
  prunedAt?: string | null;
}) {
  // the logs live here, not in the run view: a frame with new lines re-renders the panes only
  const { store, version, error } = useRunLogs(runId);
  // re-read on each new frame of lines: a "Run" pane appears with its first line
  const runPane = store.has(null);
  const panes: PaneDef[] = useMemo(() => {
    const list: PaneDef[] = hosts.map((h) => ({ key: h.serverId, label: h.serverName, state: hostStates.get(h.serverId) }));
    if (runPane) list.unshift({ key: 0, label: 'Run' });
    return list;
  }, [hosts, hostStates, runPane]);
  // "All hosts" stacks the panes: only while they stay readable
  const stackable = hosts.length <= 4;
  const [tab, setTab] = useState<number | 'all'>(stackable && hosts.length > 1 ? 'all' : (hosts[0]?.serverId ?? 'all'));
  const [query, setQuery] = useState('');
  const search = useDeferredValue(query.trim().toLowerCase());
  const typedAt = useRef(0);
  const timing = useRef<HTMLSpanElement>(null);

  const shown = tab === 'all' ? panes : panes.filter((p) => p.key === tab);
  let matches = 0;
  if (search || stepFilter !== null) for (const p of shown) matches += store.pane(p.key === 0 ? null : p.key).filter(stepFilter, search).length;

  // the in-UI search time: from the keystroke to the frame that shows the filtered panes
  useEffect(() => {
    if (!typedAt.current) return;
    const t0 = typedAt.current;
    typedAt.current = 0;
    requestAnimationFrame(() => {
      if (timing.current) timing.current.dataset.ms = String(Math.round(performance.now() - t0));
    });
  }, [search]);

  return (
    <div className="logs" data-testid="log-panes">
      <div className="logs-bar">
        <div className="logs-row">
          {panes.length > 6 ? (
            <select className="toolbar-select log-host-select" aria-label="Host" value={String(tab)} onChange={(e) => setTab(Number(e.target.value))} data-testid="log-host">
              {panes.map((p) => (
                <option key={p.key} value={p.key}>
                  {p.label}
                  {p.state ? ` — ${p.state}` : ''} ({store.pane(p.key === 0 ? null : p.key).count} lines)
                </option>
              ))}
            </select>
          ) : (
            <div className="log-tabs" role="tablist" aria-label="Hosts">
              {panes.length > 1 && stackable && (
                <button role="tab" aria-selected={tab === 'all'} className={'log-tab' + (tab === 'all' ? ' on' : '')} onClick={() => setTab('all')}>
                  All hosts
                </button>
              )}
              {panes.map((p) => (
                <button key={p.key} role="tab" aria-selected={tab === p.key} className={'log-tab' + (tab === p.key ? ' on' : '')} onClick={() => setTab(p.key)}>
                  {p.state && <span className={`cell-dot cell-${p.state}`} aria-hidden="true" />}
                  {p.label}
                  <span className="count">{store.pane(p.key === 0 ? null : p.key).count}</span>
                </button>
              ))}
            </div>
          )}
          <div className="spacer" />
          {stepLabel && (
            <span className="chip" data-testid="log-step-filter">
              {stepLabel}
              <button type="button" aria-label="Show every step" onClick={onClearStep}>
                <Icon name="close" size={11} />
              </button>
            </span>
          )}
        </div>
        <div className="logs-row">
          <div className="search-box log-search">
            <Icon name="search" />
            <input
              ref={searchRef}
              type="search"
              placeholder="Search the logs…"
              aria-label="Search the logs"
              value={query}
              data-testid="log-search"
              onChange={(e) => {
                typedAt.current = performance.now();
                setQuery(e.target.value);
              }}
            />
          </div>
          <span className="muted small log-matches" data-testid="log-matches" ref={timing}>
            {search || stepFilter !== null ? `${matches.toLocaleString()} ${matches === 1 ? 'line' : 'lines'}` : ''}
          </span>
          <button
            className={'btn btn-small' + (follow ? ' btn-on' : '')}
            aria-pressed={follow}
            title="Keep the newest line in view (F)"
            data-testid="log-follow"
            onClick={() => setFollow(!follow)}
          >
            <Icon name="down" /> Follow <Kbd>F</Kbd>
          </button>
        </div>
      </div>
      <div className={'log-stack' + (shown.length > 1 ? ' log-split' : '')}>
        {shown.map((p) => (
          <LogPane
            key={p.key}
            label={p.label}
            showLabel={shown.length > 1}
            pane={store.pane(p.key === 0 ? null : p.key)}
            version={version}
            search={search}
            stepFilter={stepFilter}
            follow={follow}
            onUnfollow={() => setFollow(false)}
            onBottom={() => setFollow(true)}
            empty={prunedAt ? `Log pruned on ${formatDateTime(prunedAt)}.` : 'No output yet.'}
          />
        ))}
        {!shown.length && <div className="log-empty muted">No host in this run.</div>}
      </div>
      {error && (
        <div className="callout callout-error" role="alert">
          <Icon name="warn" />
          <span>The stored log could not be read: {error.message}</span>
        </div>
      )}
    </div>
  );
}

function LogPane({
  label,
  showLabel,
  pane,
  version,
  search,
  stepFilter,
  follow,
  onUnfollow,
  onBottom,
  empty,
}: {
  label: string;
  showLabel: boolean;
  pane: PaneLines;
  version: number;
  search: string;
  stepFilter: number | null;
  follow: boolean;
  onUnfollow: () => void;
  onBottom: () => void;
  empty: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const filtered = search !== '' || stepFilter !== null;
  // The pane is a mutable store: `version` (a new frame of lines) is what says its content changed.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const indices = useMemo(() => (filtered ? pane.filter(stepFilter, search).slice() : null), [pane, version, search, stepFilter, filtered]);
  const count = indices ? indices.length : pane.count;
  const virt = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });

  useLayoutEffect(() => {
    // rows have a fixed height: the bottom is known without asking the virtualizer to measure
    if (follow && count > 0 && scroller.current) scroller.current.scrollTop = count * ROW;
  }, [follow, count, version]);

  return (
    <div className="log-pane" data-testid={`log-pane-${label}`} data-lines={count}>
      {showLabel && <div className="log-pane-title">{label}</div>}
      <div
        className="log-scroll"
        ref={scroller}
        tabIndex={0}
        aria-label={`Log of ${label}`}
        onWheel={(e) => {
          if (e.deltaY < 0 && follow) onUnfollow();
        }}
        onKeyDown={(e) => {
          if (['ArrowUp', 'PageUp', 'Home'].includes(e.key) && follow) onUnfollow();
        }}
        onScroll={(e) => {
          const el = e.currentTarget;
          const gap = count * ROW - el.scrollTop - el.clientHeight;
          if (!follow && gap <= 2) onBottom();
          else if (follow && gap > ROW * 3) onUnfollow();
        }}
      >
        {count === 0 ? (
          <div className="log-empty muted">{search !== '' && pane.filter(stepFilter, '').length > 0 ? 'No line matches.' : empty}</div>
        ) : (
          <div className="log-inner" style={{ height: virt.getTotalSize() }}>
            {virt.getVirtualItems().map((v) => {
              const i = indices ? indices[v.index]! : v.index;
              const stream = pane.stream(i);
              return (
                <div key={v.key} className={'log-row' + (stream === 'stdout' ? '' : ` log-${stream}`)} style={{ transform: `translateY(${v.start}px)` }}>
                  <span className="log-no">{i + 1}</span>
                  <span className="log-text">
                    <AnsiText text={pane.text(i)} start={pane.start(i)} search={search} />
                  </span>
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
