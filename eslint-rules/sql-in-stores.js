// SQL only in stores: reports `x.prepare(…)`, `x.pragma(…)` and `db.exec(…)` (the object's name
// is or ends with `db`/`Db`, so `regex.exec(s)` and `pool.exec(…)` stay legal). Where it runs is
// set in eslint.config.js: everywhere in electron/ except the stores.

const DB_NAME = /(?:^db|Db)$/;
const SQL_CALLS = new Set(['prepare', 'pragma']);

const propertyName = (m) => (!m.computed && m.property.type === 'Identifier' ? m.property.name : m.computed && m.property.type === 'Literal' ? String(m.property.value) : null);

function isDb(node) {
  if (node.type === 'Identifier') return DB_NAME.test(node.name);
  if (node.type === 'MemberExpression') return DB_NAME.test(propertyName(node) ?? '');
  return false;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Statements run on the database only inside store modules (*store.ts, *repo.ts, electron/core/db/**, electron/core/repos/**).' },
    schema: [],
    messages: {
      sql: 'SQL belongs in a store: move this .{{name}}(…) into a *store.ts or *repo.ts module of this area (or electron/core/db/, electron/core/repos/) and call a store method here.',
    },
  },
  create(context) {
    return {
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression') return;
        const name = propertyName(callee);
        if (SQL_CALLS.has(name) || (name === 'exec' && isDb(callee.object))) context.report({ node, messageId: 'sql', data: { name } });
      },
    };
  },
};
