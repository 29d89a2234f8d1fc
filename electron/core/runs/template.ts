/**
 * Checklist templates: `{{group.name}}` variables in a command, URL or instructions text.
 * In a command every value is rendered through THE quoting function (`shq`; a list becomes
 * separately quoted words), so a template never quotes a variable itself. In a URL values are
 * URL-encoded; in instructions they appear as plain text.
 */
import { PuestaError } from '../../../shared/errors.js';
import type { ChecklistVariable } from '../../../shared/contract/runs.js';
import { shJoin, shq } from '../ssh/quote.js';

export type VarValue = string | number | readonly string[];
export type Vars = Record<string, VarValue>;

export const VARIABLES: ChecklistVariable[] = [
  { name: 'app.name', description: 'The application name', example: 'shop' },
  { name: 'app.user', description: 'The runtime user the application runs as', example: 'shop' },
  { name: 'app.base', description: 'The base directory', example: '/srv/shop' },
  { name: 'app.releases', description: '<base>/releases', example: '/srv/shop/releases' },
  { name: 'app.shared', description: '<base>/shared', example: '/srv/shop/shared' },
  { name: 'app.current', description: '<base>/current (the symlink switched atomically)', example: '/srv/shop/current' },
  { name: 'app.keep', description: 'How many releases to keep on each host', example: '5' },
  { name: 'app.sharedDirs', description: 'Shared directories, relative to <base>/shared (a list of words)', example: 'storage log' },
  { name: 'app.sharedFiles', description: 'Shared files, relative to <base>/shared (a list of words)', example: '.env' },
  { name: 'env.name', description: 'The environment name', example: 'production' },
  { name: 'release.key', description: 'The release folder name under releases/ (the rollback target in a rollback)', example: '20261126T101500123-v2' },
  { name: 'release.label', description: 'The label given to the release', example: 'v2' },
  { name: 'release.path', description: '<base>/releases/<key>', example: '/srv/shop/releases/20261126T101500123-v2' },
  { name: 'release.previous', description: 'The release that was current on the host before this run (empty if none)', example: '20261120T090000000-v1' },
  { name: 'upload.path', description: 'Where the release archive is uploaded on the host', example: '/srv/shop/releases/.upload-20261126T101500123-v2.tar.gz' },
  { name: 'upload.sha256', description: 'The sha256 of the release archive', example: 'e3b0c442…' },
  { name: 'host.name', description: "The server's name in the inventory", example: 'web-1' },
  { name: 'host.address', description: "The server's host name or address", example: '10.0.0.5' },
  { name: 'host.user', description: 'The SSH user', example: 'deploy' },
  { name: 'run.id', description: 'The run number', example: '42' },
  { name: 'run.operator', description: 'Who runs it', example: 'alice' },
];
export const VARIABLE_NAMES = new Set(VARIABLES.map((v) => v.name));

const VAR_RE = /\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}/g;

/** Names used by a template. */
export function variablesOf(template: string): string[] {
  return [...template.matchAll(VAR_RE)].map((m) => m[1]!);
}

/** Throws INVALID_INPUT naming the first unknown variable. */
export function checkTemplate(template: string, where: string): void {
  for (const name of variablesOf(template)) {
    if (!VARIABLE_NAMES.has(name)) {
      throw new PuestaError('INVALID_INPUT', `${where}: unknown variable {{${name}}}. Known variables: ${[...VARIABLE_NAMES].join(', ')}.`, { variable: name });
    }
  }
}

export type RenderMode = 'shell' | 'url' | 'text';

export function render(template: string, vars: Vars, mode: RenderMode = 'shell'): string {
  return template.replace(VAR_RE, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new PuestaError('INVALID_INPUT', `The template uses {{${name}}}, which has no value here.`, { variable: name });
    if (mode === 'shell') return Array.isArray(v) ? shJoin(v as string[]) : shq(v as string | number);
    const s = Array.isArray(v) ? v.join(' ') : String(v);
    return mode === 'url' ? urlSegment(s, name) : s;
  });
}

/**
 * A value in a URL is one path segment: `/ ? # %` and the rest are percent-encoded, so a `../` in a
 * value cannot change the path. A value that is a whole dot segment is refused: URL parsers resolve
 * `..` and `%2E%2E` alike.
 */
function urlSegment(s: string, name: string): string {
  if (s === '.' || s === '..') {
    throw new PuestaError('INVALID_INPUT', `{{${name}}} is "${s}", which cannot be put in a URL as a path segment.`, { variable: name });
  }
  return encodeURIComponent(s);
}
