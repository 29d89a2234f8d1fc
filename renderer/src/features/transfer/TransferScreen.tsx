import { useState } from 'react';
import { ENTITIES, IMPORT_CHARSETS, type EntityName, type ImportOutput } from '../../../../shared/contract/inventory.js';
import { PuestaError } from '../../../../shared/errors.js';
import { useApi } from '../../api/context.js';
import { ErrorLine, PageHeader, Section } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, humanMessage } from '../../lib/form.js';
import { META } from '../inventory/meta.js';

type RowError = ImportOutput['errors'][number];

/** Saves text as a file through a Blob and a temporary link with `download`. */
export function download(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** File bytes → base64: the core decodes them itself, so bytes that are not UTF-8 are caught rather than replaced. */
function base64Of(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const CHARSET_LABEL: Record<(typeof IMPORT_CHARSETS)[number], string> = { 'utf-8': 'UTF-8', 'windows-1252': 'Windows-1252 (Latin-1)' };

function ExportPanel() {
  const api = useApi();
  const toast = useToast();
  const [format, setFormat] = useState<'json' | 'csv'>('json');
  const [entity, setEntity] = useState<EntityName>('servers');
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      const r = await api.call('inventory.export', format === 'json' ? { format } : { format, entity });
      download(r.filename, r.content, r.format === 'json' ? 'application/json' : 'text/csv');
      toast.success(`Exported ${r.filename}.`);
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Export">
      <p className="muted">A portable file: references are by name, not by local id, so it moves between laptops. Secrets are never exported.</p>
      <div className="form-row">
        <div className="segmented" role="radiogroup" aria-label="Export format">
          <button type="button" role="radio" aria-checked={format === 'json'} className={format === 'json' ? 'on' : ''} onClick={() => setFormat('json')}>
            JSON — everything
          </button>
          <button type="button" role="radio" aria-checked={format === 'csv'} className={format === 'csv' ? 'on' : ''} onClick={() => setFormat('csv')}>
            CSV — one entity
          </button>
        </div>
        {format === 'csv' && (
          <select aria-label="Entity to export" value={entity} onChange={(e) => setEntity(e.target.value as EntityName)}>
            {ENTITIES.map((e) => (
              <option key={e} value={e}>
                {META[e].plural}
              </option>
            ))}
          </select>
        )}
        <button className="btn btn-primary" disabled={busy} onClick={() => void go()} data-testid="export">
          <Icon name="download" /> Download
        </button>
      </div>
    </Section>
  );
}

interface Outcome {
  kind: 'checked' | 'imported' | 'invalid';
  created: Record<string, number>;
  updated: Record<string, number>;
  errors: RowError[];
  message?: string;
}

function counts(rec: Record<string, number>): string {
  const parts = Object.entries(rec)
    .filter(([, n]) => n > 0)
    .map(([e, n]) => `${n} ${n === 1 ? (META[e as EntityName]?.singular ?? e) : (META[e as EntityName]?.plural.toLowerCase() ?? e)}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

function ImportPanel() {
  const api = useApi();
  const toast = useToast();
  const [file, setFile] = useState<{ name: string; bytes: string } | null>(null);
  const [charset, setCharset] = useState<(typeof IMPORT_CHARSETS)[number]>('utf-8');
  const [format, setFormat] = useState<'json' | 'csv'>('json');
  const [entity, setEntity] = useState<EntityName>('servers');
  const [busy, setBusy] = useState<null | 'check' | 'import'>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const pick = async (f: File | undefined) => {
    setOutcome(null);
    setFailure(null);
    if (!f) return setFile(null);
    setFile({ name: f.name, bytes: base64Of(new Uint8Array(await f.arrayBuffer())) });
    if (/\.csv$/i.test(f.name)) {
      setFormat('csv');
      const guess = ENTITIES.find((e) => f.name.toLowerCase().includes(e));
      if (guess) setEntity(guess);
    } else setFormat('json');
  };

  const run = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(dryRun ? 'check' : 'import');
    setFailure(null);
    try {
      const r = await api.call('inventory.import', { format, bytes: file.bytes, charset, dryRun, ...(format === 'csv' ? { entity } : {}) });
      if (dryRun) {
        setOutcome({ kind: r.ok ? 'checked' : 'invalid', created: r.created, updated: r.updated, errors: r.errors });
      } else {
        setOutcome({ kind: 'imported', created: r.created, updated: r.updated, errors: [] });
        toast.success(`Imported: ${counts(r.created)} created, ${counts(r.updated)} updated.`);
      }
    } catch (e) {
      if (e instanceof PuestaError && e.code === 'IMPORT_INVALID') {
        const errors = ((e.details as { errors?: RowError[] } | undefined)?.errors ?? []) as RowError[];
        setOutcome({ kind: 'invalid', created: {}, updated: {}, errors, message: e.message });
        toast.error(e.message);
      } else {
        setFailure(errorMessage(e));
        toast.error(errorMessage(e));
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section title="Import">
      <p className="muted">
        Rows are matched by name (servers, applications, customers…) and updated, or created when new. Any bad row stops the whole import: nothing is written until every row is
        valid. “Check” runs everything and writes nothing.
      </p>
      <div className="form-row">
        <label className="file-pick btn">
          <Icon name="upload" /> {file ? 'Choose another file' : 'Choose a file…'}
          <input type="file" accept=".json,.csv,application/json,text/csv" data-testid="import-file" onChange={(e) => void pick(e.target.files?.[0])} />
        </label>
        {file && <span className="mono small">{file.name}</span>}
        <select aria-label="File format" value={format} onChange={(e) => setFormat(e.target.value as 'json' | 'csv')}>
          <option value="json">JSON</option>
          <option value="csv">CSV</option>
        </select>
        {format === 'csv' && (
          <select aria-label="Entity of the CSV rows" value={entity} onChange={(e) => setEntity(e.target.value as EntityName)}>
            {ENTITIES.map((e) => (
              <option key={e} value={e}>
                {META[e].plural}
              </option>
            ))}
          </select>
        )}
        <select aria-label="File encoding" value={charset} onChange={(e) => setCharset(e.target.value as (typeof IMPORT_CHARSETS)[number])}>
          {IMPORT_CHARSETS.map((c) => (
            <option key={c} value={c}>
              {CHARSET_LABEL[c]}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <button className="btn" disabled={!file || busy !== null} onClick={() => void run(true)} data-testid="import-check">
          {busy === 'check' ? 'Checking…' : 'Check'}
        </button>
        <button className="btn btn-primary" disabled={!file || busy !== null} onClick={() => void run(false)} data-testid="import-run">
          {busy === 'import' ? 'Importing…' : 'Import'}
        </button>
      </div>
      <ErrorLine error={failure} />
      {outcome && outcome.kind !== 'invalid' && (
        <div className="callout callout-ok" data-testid="import-result">
          <Icon name="check" />
          <span>
            {outcome.kind === 'checked' ? 'The file is valid. Importing it would create ' : 'Imported. Created '}
            <strong>{counts(outcome.created)}</strong> and {outcome.kind === 'checked' ? 'update ' : 'updated '}
            <strong>{counts(outcome.updated)}</strong>.
          </span>
        </div>
      )}
      {outcome && outcome.kind === 'invalid' && (
        <div data-testid="import-errors">
          <div className="callout callout-error" role="alert">
            <Icon name="warn" />
            <span>
              {outcome.message ?? `${outcome.errors.length} problem${outcome.errors.length === 1 ? '' : 's'} found.`} Nothing was written.
            </span>
          </div>
          <table className="table">
            <thead>
              <tr>
                <th>Entity</th>
                <th className="right">Row</th>
                <th>Name</th>
                <th>Field</th>
                <th>Problem</th>
              </tr>
            </thead>
            <tbody>
              {outcome.errors.map((e, i) => (
                <tr key={i}>
                  <td>{META[e.entity]?.plural ?? e.entity}</td>
                  <td className="right mono">{e.row}</td>
                  <td>{e.name ?? '—'}</td>
                  <td className="mono">{e.field ?? '—'}</td>
                  <td>{humanMessage(e.message)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">{format === 'csv' ? 'Rows are numbered as your spreadsheet shows them (the header is row 1).' : 'Rows are counted from the first row of each section.'}</p>
        </div>
      )}
    </Section>
  );
}

export function TransferScreen() {
  return (
    <div className="page" data-testid="transfer">
      <PageHeader icon="transfer" title="Import / export" subtitle="Move the inventory between laptops, or bring it in from a spreadsheet." />
      <div className="stack">
        <ExportPanel />
        <ImportPanel />
      </div>
    </div>
  );
}
