// Lint: TypeScript rules plus the layer rules of ARCHITECTURE.md, enforced per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'http2',
  'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'tls', 'url', 'util', 'worker_threads', 'zlib',
];
const nodeOnly = [
  { group: ['node:*'], message: 'Node built-ins are not allowed in this layer.' },
  ...NODE_BUILTINS.map((n) => ({ group: [n], message: `Node built-in "${n}" is not allowed in this layer.` })),
];
const platformPackages = ['better-sqlite3', 'ssh2', 'nodemailer', 'smtp-server', 'electron', 'playwright-core'].map((n) => ({
  group: [n, `${n}/*`],
  message: `"${n}" is platform-specific and not allowed in this layer.`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', '.cache/**', 'coverage/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
  },
  // shared/: pure TypeScript — nothing platform-specific.
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...nodeOnly, ...platformPackages, { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ imports nothing outside shared/.' }] }],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'require', 'Buffer'],
    },
  },
  // electron/core: plain Node, never Electron, never the renderer.
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'electron/core must run under plain Node: never import electron.' }],
          patterns: [
            { group: ['electron/*'], message: 'electron/core must run under plain Node.' },
            { group: ['**/renderer/**', '**/electron/main/**', '**/electron/preload/**', '**/electron/web/**', '../main/*', '../preload/*', '../web/*'], message: 'core does not depend on a shell or the renderer.' },
          ],
        },
      ],
    },
  },
  // electron/web: Node, no Electron.
  {
    files: ['electron/web/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The browser shell runs under plain Node.' }], patterns: [{ group: ['**/renderer/**'], message: 'shells do not import the renderer.' }] }],
    },
  },
  // renderer: only shared/ and its own code.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...nodeOnly,
            ...platformPackages,
            { group: ['**/electron/**', 'electron/*'], message: 'The renderer talks to the core only through the PuestaApi (shared/contract).' },
          ],
        },
      ],
    },
  },
);
