import Papa from 'papaparse';
import type { z } from 'zod';
import { ENTITIES, type EntityName, type ImportInput, type ImportOutput } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Row } from '../db/rows.js';
import type { EntityRepo } from '../repos/entity.js';
import { FORMULA, toCsv } from '../util/csv.js';
import { decodeFile } from './file-text.js';
import { FIELDS } from './handlers.js';

/**
 * Import/export of the inventory in a portable form: references are by natural key (names),
 * never by local ids, so a file moves between laptops. Rows are upserted by natural key.
 */

type Ref = { field: string; as: string; entity: EntityName; many?: boolean };

interface Portable {
  /** natural key fields, matched case-insensitively where the column is NOCASE */
  key: string[];
  refs: Ref[];
}

const PORTABLE: Record<EntityName, Portable> = {
  environments: { key: ['name'], refs: [] },
  servers: { key: ['name'], refs: [{ field: 'environmentId', as: 'environment', entity: 'environments' }] },
  applications: { key: ['name'], refs: [] },
  placements: {
    key: ['applicationId', 'serverId', 'role'],
    refs: [
      { field: 'applicationId', as: 'application', entity: 'applications' },
      { field: 'serverId', as: 'server', entity: 'servers' },
    ],
  },
  customers: { key: ['name'], refs: [] },
  contacts: { key: ['customerId', 'email'], refs: [{ field: 'customerId', as: 'customer', entity: 'customers' }] },
  contracts: {
    key: ['reference'],
    refs: [
      { field: 'customerId', as: 'customer', entity: 'customers' },
      { field: 'applicationIds', as: 'applications', entity: 'applications', many: true },
    ],
  },
};

const refLabel = (e: EntityName) => e.replace(/s$/, '');

function nameOf(core: Core, entity: EntityName, id: number): string {
  const r: Row | undefined = core.inventory[entity].find(id);
  return r ? String(r.name) : '';
}

const idOf = (core: Core, entity: EntityName, name: string): number | undefined => core.inventory[entity].idByKey({ name }, true);

/** A stored record → its portable row (references as names, no ids or timestamps). */
function toPortable(core: Core, entity: EntityName, rec: Row): Row {
  const repo: EntityRepo = core.inventory[entity];
  const out: Row = {};
  const refs = PORTABLE[entity].refs;
  const fields = [...repo.def.fields, ...(repo.def.link ? [repo.def.link.field] : [])];
  for (const f of fields) {
    const ref = refs.find((r) => r.field === f);
    if (!ref) out[f] = rec[f];
    else if (ref.many) out[ref.as] = ((rec[f] as number[]) ?? []).map((id) => nameOf(core, ref.entity, id));
    else out[ref.as] = rec[f] == null ? null : nameOf(core, ref.entity, rec[f] as number);
  }
  return out;
}

function allRows(repo: EntityRepo): Row[] {
  const out: Row[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = repo.list({ limit: 1000, offset, sort: 'name' });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export function exportInventory(core: Core, input: { format: 'json' | 'csv'; entity?: EntityName | undefined }): { format: 'json' | 'csv'; filename: string; content: string } {
  const stamp = new Date().toISOString().slice(0, 10);
  if (input.format === 'json') {
    const doc: Record<string, unknown> = { format: 'puesta-inventory', version: 1, exportedAt: new Date().toISOString() };
    for (const e of input.entity ? [input.entity] : ENTITIES) doc[e] = allRows(core.inventory[e]).map((r) => toPortable(core, e, r));
    return { format: 'json', filename: `puesta-inventory-${stamp}.json`, content: JSON.stringify(doc, null, 2) + '\n' };
  }
  const entity = input.entity;
  if (!entity) throw new PuestaError('INVALID_INPUT', 'A CSV export holds one entity: choose which (e.g. servers).', { field: 'entity' });
  const rows = allRows(core.inventory[entity]).map((r) => toPortable(core, entity, r));
  const columns = portableColumns(core, entity);
  return { format: 'csv', filename: `puesta-${entity}-${stamp}.csv`, content: toCsv(columns, rows.map((r) => columns.map((c) => toCell(r[c])))) };
}

/** A cell written behind a `'` (util/csv.ts) reads back without it. */
const unescapeFormula = (cell: string) => (FORMULA.test(cell) && cell.startsWith("'") ? cell.slice(1) : cell);

function portableColumns(core: Core, entity: EntityName): string[] {
  const repo = core.inventory[entity];
  const refs = PORTABLE[entity].refs;
  return [...repo.def.fields, ...(repo.def.link ? [repo.def.link.field] : [])].map((f) => refs.find((r) => r.field === f)?.as ?? f);
}

/** CSV cells: string lists as "a;b", other structures as JSON, null as empty. */
function toCell(v: unknown): string {
  if (v == null) return '';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(';');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** CSV cell → typed value, guided by what the schema expects for that field. */
function fromCell(core: Core, entity: EntityName, column: string, cell: string): unknown {
  const repo = core.inventory[entity];
  const ref = PORTABLE[entity].refs.find((r) => r.as === column);
  if (ref) return ref.many ? splitList(cell) : cell === '' ? null : cell;
  const sample = sampleDefaults[entity]?.[column];
  if (cell === '') return sample === null ? null : undefined;
  if (repo.def.bool?.includes(column)) return /^(true|1|yes)$/i.test(cell) ? true : /^(false|0|no)$/i.test(cell) ? false : cell;
  if (repo.def.json?.includes(column)) {
    if (Array.isArray(sample) && !cell.trim().startsWith('[')) return splitList(cell);
    try {
      return JSON.parse(cell);
    } catch {
      return cell; // the schema will say what is wrong
    }
  }
  if (typeof sample === 'number' || numericColumns.has(column)) return /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
  return cell;
}

const numericColumns = new Set(['port', 'keepReleases', 'graceDays']);
const splitList = (s: string) => s.split(/[;,]/).map((x) => x.trim()).filter(Boolean);
/** defaults parsed from each schema: tells which columns are lists, numbers or nullable. */
const sampleDefaults: Partial<Record<EntityName, Record<string, unknown>>> = {
  servers: { keyPath: null, environmentId: null, roles: [], tags: [], port: 22 },
  applications: { sharedDirs: [], sharedFiles: [], services: [], keepReleases: 5 },
  placements: { slot: null },
  contracts: { allowedHours: null, graceDays: 15 },
};

interface ParsedDoc {
  rows: Partial<Record<EntityName, Row[]>>;
}

type Input = z.output<typeof ImportInput>;

function parseContent(input: Input): ParsedDoc {
  const text = input.bytes !== undefined ? decodeFile(Buffer.from(input.bytes, 'base64'), input.charset) : (input.content ?? '');
  if (input.format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new PuestaError('INVALID_INPUT', `The file is not valid JSON: ${(e as Error).message}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      if (Array.isArray(doc) && input.entity) return { rows: { [input.entity]: doc as Row[] } };
      throw new PuestaError('INVALID_INPUT', 'Expected a JSON object such as {"servers": [...], "customers": [...]} (as written by Export).');
    }
    const rows: ParsedDoc['rows'] = {};
    const unknown = Object.keys(doc).filter((k) => !['format', 'version', 'exportedAt', ...ENTITIES].includes(k));
    if (unknown.length) throw new PuestaError('INVALID_INPUT', `Unknown section(s) in the file: ${unknown.join(', ')}. Known: ${ENTITIES.join(', ')}.`);
    for (const e of ENTITIES) {
      const v = (doc as Record<string, unknown>)[e];
      if (v === undefined) continue;
      if (!Array.isArray(v)) throw new PuestaError('INVALID_INPUT', `"${e}" must be a list of rows.`);
      rows[e] = v as Row[];
    }
    return { rows };
  }
  if (!input.entity) throw new PuestaError('INVALID_INPUT', 'A CSV file holds one entity: say which (e.g. servers).', { field: 'entity' });
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy' });
  // a one-column file has no delimiter to detect; papaparse then uses ',' which is right
  const errors = parsed.errors.filter((e) => e.code !== 'UndetectableDelimiter');
  if (errors.length) {
    const e = errors[0]!;
    throw new PuestaError('INVALID_INPUT', `The CSV could not be read: ${e.message}${e.row !== undefined ? ` (row ${e.row + 1})` : ''}.`);
  }
  return { rows: { [input.entity]: parsed.data as Row[] } };
}

type RowError = ImportOutput['errors'][number];

/** A row that passed validation, waiting for the write. */
interface Planned {
  entity: EntityName;
  row: number;
  name: string | undefined;
  rec: Row;
  existingId: number | undefined;
}

/**
 * Validation gives the event loop back this often, so a 10 000-row file does not hold up other
 * requests while it is checked; the write that follows is one transaction.
 */
const SLICE_MS = 15;

/**
 * Stand-in ids for rows that reference a record created earlier in the same file (the servers of
 * a new environment): valid ids to the schema, matching no stored row, swapped for the real id at
 * write time.
 */
const PENDING_FLOOR = Number.MAX_SAFE_INTEGER - 10_000_000;

/** The row's own name, to say which row an error is about. */
function rowName(raw: unknown): string | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Row;
  const n = r.name ?? r.reference ?? r.email;
  return typeof n === 'string' && n.trim() ? n.trim().slice(0, 200) : undefined;
}

export async function importInventory(core: Core, input: Input): Promise<ImportOutput> {
  const doc = parseContent(input);
  const errors: RowError[] = [];
  const planned: Planned[] = [];
  // a CSV's header is the spreadsheet's row 1; a JSON row is its place in its list
  const firstRow = input.format === 'csv' ? 2 : 1;
  /** Names (lower case) each entity's section of this file creates, and the stand-in id of each one referenced. */
  const incoming = new Map<EntityName, Set<string>>();
  const pending = new Map<string, number>();
  const pendingRef = new Map<number, { entity: EntityName; name: string }>();
  let slice = performance.now();

  for (const entity of ENTITIES) {
    const rows = doc.rows[entity];
    if (!rows) continue;
    const columns = new Set(portableColumns(core, entity));
    const seen = new Map<string, number>();
    const names = new Set<string>();
    incoming.set(entity, names);
    for (let i = 0; i < rows.length; i++) {
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
      const raw = rows[i];
      const rowNo = i + firstRow;
      const name = rowName(raw);
      const fail = (message: string, field?: string) => errors.push({ entity, row: rowNo, ...(name ? { name } : {}), ...(field ? { field } : {}), message });
      if (!raw || typeof raw !== 'object') {
        fail('not an object');
        continue;
      }
      const rec: Row = {};
      let bad = false;
      for (const [col, value] of Object.entries(raw)) {
        if (!columns.has(col)) {
          fail(`unknown column "${col}"`, col);
          bad = true;
          continue;
        }
        rec[col] = input.format === 'csv' ? fromCell(core, entity, col, unescapeFormula(String(value ?? ''))) : value;
      }
      for (const ref of PORTABLE[entity].refs) {
        const v = rec[ref.as];
        delete rec[ref.as];
        if (v == null || v === '') continue;
        const refNames = ref.many ? (Array.isArray(v) ? v : [v]) : [v];
        const ids: number[] = [];
        for (const n of refNames.map(String)) {
          const id = idOf(core, ref.entity, n) ?? (incoming.get(ref.entity)?.has(n.toLowerCase()) ? pendingId(ref.entity, n) : undefined);
          if (id === undefined) {
            fail(`no ${refLabel(ref.entity)} named "${n}"`, ref.as);
            bad = true;
          } else ids.push(id);
        }
        rec[ref.field] = ref.many ? ids : ids[0];
      }
      if (bad) continue;
      for (const k of Object.keys(rec)) if (rec[k] === undefined) delete rec[k];
      // a second row with the same natural key would silently overwrite the first one
      const key = naturalKey(entity, rec);
      if (key !== undefined) {
        const first = seen.get(key);
        if (first !== undefined) {
          fail(`same ${keyLabel(entity)} as row ${first}: each ${refLabel(entity)} may appear only once in a file`, keyColumn(entity));
          continue;
        }
        seen.set(key, rowNo);
      }
      const repo: EntityRepo = core.inventory[entity];
      const existing = findExisting(core, entity, rec);
      const base: Row = {};
      if (existing) {
        for (const f of repo.def.fields) base[f] = existing[f];
        if (repo.def.link) base[repo.def.link.field] = existing[repo.def.link.field];
      }
      const parsed = FIELDS[entity].safeParse({ ...base, ...rec });
      if (!parsed.success) {
        for (const iss of parsed.error.issues) fail(iss.message, iss.path.map(String).join('.') || undefined);
        continue;
      }
      if (typeof rec.name === 'string') names.add(rec.name.toLowerCase());
      planned.push({ entity, row: rowNo, name, rec: parsed.data as Row, existingId: existing?.id as number | undefined });
    }
  }

  function pendingId(entity: EntityName, name: string): number {
    const k = `${entity}\u0000${name.toLowerCase()}`;
    let id = pending.get(k);
    if (id === undefined) {
      id = PENDING_FLOOR + pending.size;
      pending.set(k, id);
      pendingRef.set(id, { entity, name });
    }
    return id;
  }

  const created: Record<string, number> = {};
  const updated: Record<string, number> = {};
  if (!errors.length) writePlanned(core, planned, pendingRef, { errors, created, updated, format: input.format, dryRun: input.dryRun });
  if (errors.length && !input.dryRun) {
    throw new PuestaError('IMPORT_INVALID', `${errors.length} problem${errors.length === 1 ? '' : 's'} found; nothing was imported. Fix the rows listed and import again.`, {
      errors,
    });
  }
  return { ok: errors.length === 0, created, updated, errors };
}

/** Writes the validated rows in one transaction (rolled back on any error, and for a dry run). */
function writePlanned(
  core: Core,
  planned: Planned[],
  pendingRef: Map<number, { entity: EntityName; name: string }>,
  out: { errors: RowError[]; created: Record<string, number>; updated: Record<string, number>; format: string; dryRun: boolean },
): void {
  const actor = core.operator();
  const ROLLBACK = Symbol('rollback');
  const real = (id: unknown): unknown => {
    const p = typeof id === 'number' && id >= PENDING_FLOOR ? pendingRef.get(id) : undefined;
    return p ? (idOf(core, p.entity, p.name) ?? id) : id;
  };
  try {
    core.tx(() => {
      for (const p of planned) {
        const repo: EntityRepo = core.inventory[p.entity];
        const rec: Row = { ...p.rec };
        for (const ref of PORTABLE[p.entity].refs) {
          const v = rec[ref.field];
          if (v != null) rec[ref.field] = Array.isArray(v) ? v.map(real) : real(v);
        }
        try {
          if (p.existingId !== undefined) {
            repo.update(p.existingId, rec, actor);
            out.updated[p.entity] = (out.updated[p.entity] ?? 0) + 1;
          } else {
            repo.create(rec, actor);
            out.created[p.entity] = (out.created[p.entity] ?? 0) + 1;
          }
        } catch (e) {
          const pe = e as PuestaError;
          const field = (pe.details as { field?: string } | undefined)?.field;
          out.errors.push({ entity: p.entity, row: p.row, ...(p.name ? { name: p.name } : {}), ...(field ? { field } : {}), message: pe.message });
        }
      }
      if (out.errors.length || out.dryRun) throw ROLLBACK;
      core.audit.write(actor, 'import', 'inventory', null, null, { format: out.format, created: out.created, updated: out.updated });
    });
  } catch (e) {
    if (e !== ROLLBACK) throw e;
  }
}

/** The row's natural key as one comparable string (text compared case-insensitively, as the NOCASE columns do), or undefined when incomplete. */
function naturalKey(entity: EntityName, rec: Row): string | undefined {
  const parts = PORTABLE[entity].key.map((k) => rec[k]);
  if (parts.some((p) => p === undefined || p === null || p === '')) return undefined;
  return JSON.stringify(parts.map((p) => (typeof p === 'string' ? p.toLowerCase() : p)));
}

/** The column a duplicate is reported on: the key's own text column (name, email, reference, role), as the file spells it. */
function keyColumn(entity: EntityName): string {
  const key = PORTABLE[entity].key;
  const own = key.filter((k) => !PORTABLE[entity].refs.some((r) => r.field === k));
  return own[own.length - 1] ?? key[0]!;
}

function keyLabel(entity: EntityName): string {
  const refs = PORTABLE[entity].refs;
  const words = PORTABLE[entity].key.map((k) => refs.find((r) => r.field === k)?.as ?? k);
  return words.length === 1 ? words[0]! : words.slice(0, -1).join(', ') + ' and ' + words[words.length - 1];
}

function findExisting(core: Core, entity: EntityName, rec: Row): Row | undefined {
  const repo: EntityRepo = core.inventory[entity];
  const key = PORTABLE[entity].key;
  if (key.some((k) => rec[k] === undefined || rec[k] === null)) return undefined;
  const id = repo.idByKey(Object.fromEntries(key.map((k) => [k, rec[k]])));
  return id === undefined ? undefined : repo.get(id);
}
