import Papa from 'papaparse';
import { ENTITIES, type EntityName, type ImportOutput } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { EntityRepo, Row } from '../repos/entity.js';
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
  const r = core.inventory[entity].find(id);
  return r ? String(r.name) : '';
}

function idOf(core: Core, entity: EntityName, name: string): number | undefined {
  const row = core.db.prepare(`SELECT id FROM ${core.inventory[entity].def.table} WHERE name = ? COLLATE NOCASE`).get(name) as { id: number } | undefined;
  return row?.id;
}

/** A stored record → its portable row (references as names, no ids or timestamps). */
function toPortable(core: Core, entity: EntityName, rec: Row): Row {
  const repo = core.inventory[entity];
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
  const content = Papa.unparse({ fields: columns, data: rows.map((r) => columns.map((c) => toCell(r[c]))) }, { newline: '\n' });
  return { format: 'csv', filename: `puesta-${entity}-${stamp}.csv`, content: content + '\n' };
}

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

function parseContent(input: { format: 'json' | 'csv'; entity?: EntityName | undefined; content: string }): ParsedDoc {
  if (input.format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(input.content);
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
  const parsed = Papa.parse<Record<string, string>>(input.content.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy' });
  if (parsed.errors.length) {
    const e = parsed.errors[0]!;
    throw new PuestaError('INVALID_INPUT', `The CSV could not be read: ${e.message}${e.row !== undefined ? ` (row ${e.row + 1})` : ''}.`);
  }
  return { rows: { [input.entity]: parsed.data as Row[] } };
}

type RowError = ImportOutput['errors'][number];

export function importInventory(
  core: Core,
  input: { format: 'json' | 'csv'; entity?: EntityName | undefined; content: string; dryRun: boolean },
): ImportOutput {
  const doc = parseContent(input);
  const errors: RowError[] = [];
  const created: Record<string, number> = {};
  const updated: Record<string, number> = {};
  const actor = core.operator();
  const ROLLBACK = Symbol('rollback');

  try {
    core.tx(() => {
      for (const entity of ENTITIES) {
        const rows = doc.rows[entity];
        if (!rows) continue;
        const repo = core.inventory[entity];
        const columns = new Set(portableColumns(core, entity));
        rows.forEach((raw, i) => {
          const rowNo = i + 1;
          const fail = (message: string, field?: string) => errors.push({ entity, row: rowNo, ...(field ? { field } : {}), message });
          if (!raw || typeof raw !== 'object') return fail('not an object');
          const rec: Row = {};
          let bad = false;
          for (const [col, value] of Object.entries(raw)) {
            if (!columns.has(col)) {
              fail(`unknown column "${col}"`, col);
              bad = true;
              continue;
            }
            rec[col] = input.format === 'csv' ? fromCell(core, entity, col, String(value ?? '')) : value;
          }
          for (const ref of PORTABLE[entity].refs) {
            const v = rec[ref.as];
            delete rec[ref.as];
            if (v == null || v === '') continue;
            const names = ref.many ? (Array.isArray(v) ? v : [v]) : [v];
            const ids: number[] = [];
            for (const n of names) {
              const id = idOf(core, ref.entity, String(n));
              if (id === undefined) {
                fail(`no ${refLabel(ref.entity)} named "${String(n)}"`, ref.as);
                bad = true;
              } else ids.push(id);
            }
            rec[ref.field] = ref.many ? ids : ids[0];
          }
          if (bad) return;
          for (const k of Object.keys(rec)) if (rec[k] === undefined) delete rec[k];
          const existing = findExisting(core, entity, rec);
          const base: Row = {};
          if (existing) {
            for (const f of repo.def.fields) base[f] = existing[f];
            if (repo.def.link) base[repo.def.link.field] = existing[repo.def.link.field];
          }
          const parsed = FIELDS[entity].safeParse({ ...base, ...rec });
          if (!parsed.success) {
            for (const iss of parsed.error.issues) fail(iss.message, iss.path.map(String).join('.') || undefined);
            return;
          }
          try {
            if (existing) {
              repo.update(existing.id as number, parsed.data as Row, actor);
              updated[entity] = (updated[entity] ?? 0) + 1;
            } else {
              repo.create(parsed.data as Row, actor);
              created[entity] = (created[entity] ?? 0) + 1;
            }
          } catch (e) {
            const pe = e as PuestaError;
            fail(pe.message, (pe.details as { field?: string } | undefined)?.field);
          }
        });
      }
      if (errors.length || input.dryRun) throw ROLLBACK;
      core.audit.write(actor, 'import', 'inventory', null, null, { format: input.format, created, updated });
    });
  } catch (e) {
    if (e !== ROLLBACK) throw e;
  }
  if (errors.length && !input.dryRun) {
    throw new PuestaError('IMPORT_INVALID', `${errors.length} problem${errors.length === 1 ? '' : 's'} found; nothing was imported. Fix the rows listed and import again.`, {
      errors,
    });
  }
  return { ok: errors.length === 0, created, updated, errors };
}

function findExisting(core: Core, entity: EntityName, rec: Row): Row | undefined {
  const repo = core.inventory[entity];
  const key = PORTABLE[entity].key;
  if (key.some((k) => rec[k] === undefined || rec[k] === null)) return undefined;
  const cond = key.map((k) => `t.${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())} = ?`).join(' AND ');
  const row = core.db.prepare(`SELECT t.id FROM ${repo.def.table} t WHERE ${cond}`).get(...key.map((k) => rec[k])) as { id: number } | undefined;
  return row ? repo.get(row.id) : undefined;
}
