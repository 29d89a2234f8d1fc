// Layer rule: every relative import is resolved to the folder it lands in, and that folder must be
// the importer's own layer or one its layer allows (an allow-list, modelled on VS Code's
// `.eslint-plugin-local/code-layering.ts`). Matching the raw import text instead let
// `electron/core/runs/x.ts` import `../../main/ipc.js` unnoticed.
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { importVisitor, isPathSpecifier, repoPath } from './paths.js';

/** The layer (a key of `layers`) holding a repo-relative path: the longest folder that contains it. */
function layerOf(file, layers) {
  let best = null;
  for (const folder of Object.keys(layers)) {
    if ((file === folder || file.startsWith(`${folder}/`)) && (!best || folder.length > best.length)) best = folder;
  }
  return best;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layer allow-list: relative imports resolved to their folder, Node built-ins only where a layer runs on Node.' },
    schema: [
      {
        type: 'object',
        properties: {
          layers: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: { allow: { type: 'array', items: { type: 'string' } }, builtins: { type: 'boolean' } },
              required: ['allow'],
              additionalProperties: false,
            },
          },
        },
        required: ['layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      edge: '{{from}} may not import {{to}} ("{{spec}}"): {{from}} imports only from itself{{allowed}}.',
      outside: '{{from}} may not import "{{spec}}": it resolves to {{target}}, which is in no layer.',
      builtin: '{{from}} may not import the Node built-in "{{spec}}": this layer does not run on Node.',
    },
  },
  create(context) {
    const { layers } = context.options[0];
    const file = repoPath(context.filename);
    const from = layerOf(file, layers);
    if (!from) return {};
    const { allow, builtins = true } = layers[from];
    const allowed = allow.length ? ` and ${allow.join(', ')}` : '';
    return importVisitor((node, spec) => {
      if (!isPathSpecifier(spec)) {
        if (!builtins && isBuiltin(spec)) context.report({ node, messageId: 'builtin', data: { from, spec } });
        return;
      }
      const target = repoPath(path.resolve(path.dirname(context.filename), spec.replace(/\?.*$/, '')));
      const to = target.startsWith('../') ? null : layerOf(target, layers);
      if (!to) context.report({ node, messageId: 'outside', data: { from, spec, target } });
      else if (to !== from && !allow.includes(to)) context.report({ node, messageId: 'edge', data: { from, to, spec, allowed } });
    });
  },
};
