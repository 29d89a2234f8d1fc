// Package rule: a package listed in `only` may be imported (type-only imports included) solely by
// the files its globs match; an empty list means never in the files this rule runs on.
import { globToRegExp, importVisitor, isPathSpecifier, packageName, repoPath } from './paths.js';

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Platform packages (electron, ssh2, nodemailer, better-sqlite3, child_process, …) only where they are allowed.' },
    schema: [
      {
        type: 'object',
        properties: { only: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
        required: ['only'],
        additionalProperties: false,
      },
    ],
    messages: {
      place: '"{{name}}" may only be imported in {{places}}.',
      never: '"{{name}}" is never imported by product code.',
    },
  },
  create(context) {
    const file = repoPath(context.filename);
    const { only } = context.options[0];
    return importVisitor((node, spec) => {
      if (isPathSpecifier(spec)) return;
      const name = packageName(spec);
      const globs = Object.hasOwn(only, name) ? only[name] : null;
      if (!globs || globs.some((g) => globToRegExp(g).test(file))) return;
      if (globs.length === 0) context.report({ node, messageId: 'never', data: { name } });
      else context.report({ node, messageId: 'place', data: { name, places: globs.join(', ') } });
    });
  },
};
