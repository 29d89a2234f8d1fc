import { DateTime } from 'luxon';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Blackout, Window, WindowState } from '../../../../shared/contract/windows.js';
import { WINDOW_STATES } from '../../../../shared/contract/windows.js';
import { useApiQuery } from '../../api/queries.js';
import { EmptyState, ErrorBox, PageHeader } from '../../components/Bits.js';
import { DataTable, FilterSelect, Pager, SearchBox, type Column } from '../../components/DataTable.js';
import { Icon } from '../../components/Icon.js';
import { useDebounced, useStoredState } from '../../lib/hooks.js';
import { navigate, useLocation } from '../../lib/router.js';
import { OutboxBanner } from '../notices/status.js';
import { BlackoutsDialog } from './Blackouts.js';
import { STATE_LABEL } from './meta.js';
import { StateBadge } from './parts.js';
import { dayFraction, fmtDuration, fmtSpan, lanes, monthGrid, touchesDay, utcIso, weekDays } from './time.js';
import { WindowEditor } from './WindowEditor.js';
import { useOperatorZone, ZonePicker } from './zone.js';
import './windows.css';

type View = 'month' | 'week' | 'list';

const NO_COUNTS = new Map<number, number>();
const countsById = (out: { items: { id: number; count: number }[] }) => new Map(out.items.map((c) => [c.id, c.count]));

/**
 * Clash counts of the windows on screen, in one `windows.conflictCounts` call, so the calendar and
 * the list flag them. Only windows still to come or under way are checked. Another window moving
 * changes this one's clashes too: `windows.changed` invalidates the counts (EVENT_INVALIDATES).
 */
function useConflictCounts(items: Window[]): Map<number, number> {
  const ids = items.filter((w) => w.state !== 'done' && w.state !== 'cancelled').map((w) => w.id);
  const q = useApiQuery('windows.conflictCounts', { ids: ids.slice(0, 500) }, { enabled: ids.length > 0, select: countsById });
  return (ids.length && q.data) || NO_COUNTS;
}

function ConflictFlag({ n }: { n: number | undefined }) {
  if (!n) return null;
  return (
    <span className="conflict-flag" title={`${n} conflict${n === 1 ? '' : 's'}: open the window to see them`} data-testid="conflict-flag">
      <Icon name="warn" size={11} />
      {n}
    </span>
  );
}

export function WindowsScreen() {
  const loc = useLocation();
  const [view, setView] = useStoredState<View>('windows:view', 'month');
  const [zone, setZone] = useOperatorZone();
  const anchorParam = loc.query.get('d');
  const anchor = useMemo(() => {
    const d = anchorParam ? DateTime.fromISO(anchorParam, { zone }) : DateTime.now().setZone(zone);
    return d.isValid ? d.startOf('day') : DateTime.now().setZone(zone).startOf('day');
  }, [anchorParam, zone]);
  const [creating, setCreating] = useState<{ start?: string } | null>(null);
  const [blackoutsOpen, setBlackoutsOpen] = useState(false);
  const [rev, setRev] = useState(0);

  const go = (d: DateTime) => navigate(`/windows?d=${d.toISODate()}`, { replace: true });
  const step = (n: number) => go(view === 'week' ? anchor.plus({ weeks: n }) : anchor.plus({ months: n }));

  const title =
    view === 'month'
      ? anchor.toFormat('LLLL yyyy')
      : view === 'week'
        ? (() => {
            const days = weekDays(anchor);
            return `${days[0]!.toFormat('d LLL')} – ${days[6]!.toFormat('d LLL yyyy')}`;
          })()
        : 'All windows';

  return (
    <div className="page windows-page" data-testid="windows-screen">
      <PageHeader
        icon="windows"
        title="Maintenance windows"
        subtitle={<>Times in {zone}. Plans work offline.</>}
        actions={
          <>
            <ZonePicker zone={zone} onChange={setZone} />
            <button className="btn" onClick={() => setBlackoutsOpen(true)} data-testid="open-blackouts">
              Blackout dates
            </button>
            <button className="btn btn-primary" onClick={() => setCreating({})} data-testid="new-window">
              <Icon name="plus" /> Plan a window
            </button>
          </>
        }
      />
      <OutboxBanner compact />
      <div className="toolbar cal-toolbar">
        <div className="segmented" role="tablist" aria-label="View">
          {(['month', 'week', 'list'] as View[]).map((v) => (
            <button key={v} role="tab" aria-selected={view === v} className={view === v ? 'on' : ''} onClick={() => setView(v)} data-testid={`view-${v}`}>
              {v === 'month' ? 'Month' : v === 'week' ? 'Week' : 'List'}
            </button>
          ))}
        </div>
        {view !== 'list' && (
          <>
            <button className="btn btn-small" aria-label="Previous" onClick={() => step(-1)}>
              <Icon name="back" size={14} />
            </button>
            <button className="btn btn-small" onClick={() => go(DateTime.now().setZone(zone))}>
              Today
            </button>
            <button className="btn btn-small" aria-label="Next" onClick={() => step(1)}>
              <Icon name="back" size={14} className="flip" />
            </button>
            <h2 className="cal-title" data-testid="cal-title">
              {title}
            </h2>
          </>
        )}
      </div>
      {view === 'list' ? (
        <WindowList zone={zone} onNew={() => setCreating({})} />
      ) : (
        <CalendarView key={rev} view={view} anchor={anchor} zone={zone} onNew={(start) => setCreating({ start })} />
      )}
      {creating && (
        <WindowEditor
          zone={zone}
          {...(creating.start ? { initialStart: creating.start } : {})}
          onClose={() => setCreating(null)}
          onSaved={(w) => {
            setCreating(null);
            navigate(`/windows/${w.id}`);
          }}
        />
      )}
      {blackoutsOpen && (
        <BlackoutsDialog
          onClose={() => {
            setBlackoutsOpen(false);
            setRev((r) => r + 1);
          }}
        />
      )}
    </div>
  );
}

function CalendarView({ view, anchor, zone, onNew }: { view: 'month' | 'week'; anchor: DateTime; zone: string; onNew: (startIso: string) => void }) {
  const grid = useMemo(() => (view === 'month' ? monthGrid(anchor) : [weekDays(anchor)]), [view, anchor]);
  const first = grid[0]![0]!;
  const last = grid[grid.length - 1]![6]!.plus({ days: 1 });
  const q = useApiQuery('windows.list', { from: utcIso(first), to: utcIso(last), limit: 1000 });
  const bq = useApiQuery('blackouts.list', { from: first.toISODate()!, to: last.toISODate()! });
  const items = useMemo(() => q.data?.items ?? [], [q.data]);
  const conflicts = useConflictCounts(items);
  const blackouts = bq.data?.items ?? [];
  const today = DateTime.now().setZone(zone);
  const blackoutOf = (day: DateTime): Blackout | undefined => {
    const iso = day.toISODate()!;
    return blackouts.find((b) => b.startDate <= iso && b.endDate >= iso);
  };
  // A new window from a click on a day: 22:00 that evening, in the operator's zone.
  const newAt = (day: DateTime, hour = 22) => onNew(utcIso(day.set({ hour, minute: 0 })));

  return (
    <>
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      {view === 'month' ? (
        <div className="cal-month" data-testid="cal-month">
          {['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => (
            <div key={d} className="cal-dow">
              {d}
            </div>
          ))}
          {grid.flat().map((day) => {
            const mine = items.filter((w) => touchesDay(w.start, w.end, day));
            const b = blackoutOf(day);
            return (
              <div
                key={day.toISODate()}
                className={
                  'cal-day' + (day.month !== anchor.month ? ' other-month' : '') + (day.hasSame(today, 'day') ? ' today' : '') + (b ? ' blackout' : '')
                }
                title={b ? `Blackout: ${b.reason}` : undefined}
                onDoubleClick={() => newAt(day)}
                data-date={day.toISODate()}
              >
                <div className="cal-day-head">
                  <span className="cal-daynum">{day.day}</span>
                  {b && <span className="cal-blackout-tag">{b.reason}</span>}
                  <button className="cal-add" aria-label={`Plan a window on ${day.toFormat('d LLLL')}`} onClick={() => newAt(day)}>
                    <Icon name="plus" size={12} />
                  </button>
                </div>
                {mine.slice(0, 4).map((w) => (
                  <a key={w.id} className={`cal-chip state-${w.state}`} href={`#/windows/${w.id}`} title={`${w.title} — ${fmtSpan(w.start, w.end, zone)}`} data-testid="cal-chip">
                    <span className="cal-chip-time">{DateTime.fromISO(w.start).setZone(zone).hasSame(day, 'day') ? DateTime.fromISO(w.start).setZone(zone).toFormat('HH:mm') : '…'}</span>
                    <span className="cal-chip-title">{w.title}</span>
                    <ConflictFlag n={conflicts.get(w.id)} />
                  </a>
                ))}
                {mine.length > 4 && <div className="cal-more">+{mine.length - 4} more</div>}
              </div>
            );
          })}
        </div>
      ) : (
        <WeekView days={grid[0]!} items={items} zone={zone} blackoutOf={blackoutOf} onNew={newAt} conflicts={conflicts} />
      )}
      {!q.isFetching && items.length === 0 && (
        <div className="muted small cal-empty">No window in this {view}. Click + on a day (or “Plan a window”) to plan one.</div>
      )}
    </>
  );
}

function WeekView({
  days,
  items,
  zone,
  blackoutOf,
  onNew,
  conflicts,
}: {
  days: DateTime[];
  items: Window[];
  zone: string;
  blackoutOf: (d: DateTime) => Blackout | undefined;
  onNew: (d: DateTime, hour: number) => void;
  conflicts: Map<number, number>;
}) {
  const today = DateTime.now().setZone(zone);
  const HOUR_PX = 28;
  const body = useRef<HTMLDivElement>(null);
  // Open on the earliest window of the week (or 07:00).
  const firstHour = useMemo(() => {
    const hours = items.map((w) => {
      const s = DateTime.fromISO(w.start).setZone(zone);
      return s < days[0]! ? 0 : s.hour;
    });
    return hours.length ? Math.min(...hours) : 7;
  }, [items, zone, days]);
  useEffect(() => {
    body.current?.scrollTo(0, Math.max(0, firstHour - 1) * HOUR_PX);
  }, [firstHour]);
  return (
    <div className="cal-week" data-testid="cal-week">
      <div className="cal-week-head">
        <div className="cal-gutter" />
        {days.map((d) => {
          const b = blackoutOf(d);
          return (
            <div key={d.toISODate()} className={'cal-week-dayhead' + (d.hasSame(today, 'day') ? ' today' : '') + (b ? ' blackout' : '')} title={b ? `Blackout: ${b.reason}` : undefined}>
              {d.toFormat('ccc d LLL')}
              {b && <div className="cal-blackout-tag">{b.reason}</div>}
            </div>
          );
        })}
      </div>
      <div className="cal-week-body" ref={body}>
        <div className="cal-gutter" style={{ height: 24 * HOUR_PX }}>
          {Array.from({ length: 24 }, (_, h) => (
            <div key={h} className="cal-hour-label" style={{ height: HOUR_PX }}>
              {String(h).padStart(2, '0')}:00
            </div>
          ))}
        </div>
        {days.map((d) => {
          const mine = items.filter((w) => touchesDay(w.start, w.end, d));
          return (
            <div
              key={d.toISODate()}
              className={'cal-week-col' + (blackoutOf(d) ? ' blackout' : '')}
              style={{ backgroundSize: `100% ${HOUR_PX}px` }}
              onDoubleClick={(e) => {
                const rect = e.currentTarget.getBoundingClientRect();
                onNew(d, Math.min(23, Math.max(0, Math.floor((e.clientY - rect.top) / HOUR_PX))));
              }}
            >
              {lanes(mine).map(({ item: w, lane, lanes: n }) => {
                const f = dayFraction(w.start, w.end, d)!;
                return (
                  <a
                    key={w.id}
                    href={`#/windows/${w.id}`}
                    className={`cal-block state-${w.state}`}
                    data-testid="cal-block"
                    style={{ top: `${f.top * 100}%`, height: `max(${(f.bottom - f.top) * 100}%, 18px)`, left: `${(lane / n) * 100}%`, width: `${100 / n}%` }}
                    title={`${w.title} — ${fmtSpan(w.start, w.end, zone)}`}
                  >
                    <span className="cal-block-line">
                      <span className="cal-chip-time">{DateTime.fromISO(w.start).setZone(zone).toFormat('HH:mm')}</span> <strong>{w.title}</strong> <ConflictFlag n={conflicts.get(w.id)} />
                    </span>
                    {(f.bottom - f.top) * 24 * HOUR_PX >= 34 && n === 1 && (
                      <span className="cal-block-sub">
                        until {DateTime.fromISO(w.end).setZone(zone).toFormat('HH:mm')}
                        {w.applicationNames.length ? ` · ${w.applicationNames.join(', ')}` : ''}
                      </span>
                    )}
                  </a>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}

const PAGE = 50;

function WindowList({ zone, onNew }: { zone: string; onNew: () => void }) {
  const [query, setQuery] = useState('');
  const q = useDebounced(query.trim(), 250);
  const [state, setState] = useState<WindowState | ''>('');
  const [offset, setOffset] = useState(0);
  const list = useApiQuery('windows.list', { ...(q ? { query: q } : {}), ...(state ? { state } : {}), limit: PAGE, offset });
  const conflicts = useConflictCounts(useMemo(() => list.data?.items ?? [], [list.data]));
  const columns: Column<Window>[] = [
    {
      key: 'title',
      label: 'Title',
      render: (w) => (
        <>
          <strong>{w.title}</strong> <ConflictFlag n={conflicts.get(w.id)} />
        </>
      ),
    },
    { key: 'state', label: 'State', width: '110px', render: (w) => <StateBadge state={w.state} /> },
    { key: 'when', label: `When (${zone})`, render: (w) => fmtSpan(w.start, w.end, zone) },
    { key: 'dur', label: 'Duration', width: '100px', render: (w) => fmtDuration(w.start, w.end) },
    { key: 'apps', label: 'Applications', render: (w) => w.applicationNames.join(', ') || <span className="muted">—</span> },
  ];
  const data = list.data;
  const empty = data && data.total === 0 && !q && !state;
  return (
    <>
      {!empty && (
        <div className="toolbar">
          <SearchBox placeholder="Search windows…" label="Search windows" value={query} onChange={(text) => (setQuery(text), setOffset(0))} />
          <FilterSelect label="State" allLabel="Any state" value={state} options={WINDOW_STATES.map((s) => ({ value: s, label: STATE_LABEL[s] }))} onChange={(v) => (setState(v as WindowState | ''), setOffset(0))} />
          <div className="spacer" />
          {data && <Pager offset={offset} limit={PAGE} total={data.total} onPage={setOffset} />}
        </div>
      )}
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {empty ? (
        <EmptyState
          icon="windows"
          title="No maintenance window yet"
          action={
            <button className="btn btn-primary" onClick={onNew}>
              <Icon name="plus" /> Plan a window
            </button>
          }
        >
          A window is a planned interruption: when, what it touches, and who must be told. Plan it here — even offline — and Puesta works out the audience from the contracts.
        </EmptyState>
      ) : data ? (
        <>
          <DataTable testId="windows-table" columns={columns} rows={data.items} onOpen={(w) => navigate(`/windows/${w.id}`)} loading={list.isFetching} />
          {data.items.length === 0 && <div className="no-match">No window matches.</div>}
        </>
      ) : null}
    </>
  );
}
