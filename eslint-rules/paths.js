// What the local rules share: the repository root, repo-relative file paths, globs, import sources.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This folder sits at the repository root, so layer folders are known without relying on the cwd. */
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** `electron/core/x.ts` for a file inside the repository (posix separators). */
export const repoPath = (file) => path.relative(ROOT, file).split(path.sep).join('/');

/** A glob (`**`, `*`, `{a,b}`) as an anchored RegExp over repo-relative paths. */
export function globToRegExp(glob) {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+?^$()|[\]\\{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The visitor that hands every module specifier of a file to `check(node, specifier)`: static
 * imports (type-only ones too), re-exports, dynamic `import('…')`, `import x = require('…')`
 * and `typeof import('…')` types.
 */
export function importVisitor(check) {
  const literal = (node, n) => {
    if (n && n.type === 'Literal' && typeof n.value === 'string') check(node, n.value);
  };
  return {
    ImportDeclaration: (node) => literal(node, node.source),
    ExportAllDeclaration: (node) => literal(node, node.source),
    ExportNamedDeclaration: (node) => literal(node, node.source),
    ImportExpression: (node) => literal(node, node.source),
    TSImportEqualsDeclaration: (node) => {
      if (node.moduleReference.type === 'TSExternalModuleReference') literal(node, node.moduleReference.expression);
    },
    TSImportType: (node) => literal(node, node.source ?? node.argument?.literal),
  };
}

/** True for `./x`, `../x` and absolute paths: specifiers that name one of our files. */
export const isPathSpecifier = (spec) => spec.startsWith('.') || path.isAbsolute(spec);

/** The package a bare specifier names: `node:fs/promises` → `fs`, `@scope/pkg/sub` → `@scope/pkg`. */
export function packageName(spec) {
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
