// Lint: TypeScript rules plus the layer rules of ARCHITECTURE.md, enforced by the local rules in
// eslint-rules/ (proven by test/unit/layers.test.ts).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import local from './eslint-rules/index.js';

/** Store modules: the only places that run SQL or touch better-sqlite3. */
const STORES = ['electron/core/db/**', 'electron/core/repos/**', 'electron/core/**/*store.ts', 'electron/core/**/*repo.ts'];

/**
 * Who may import whom. A relative import is resolved to the layer folder it lands in; a layer
 * always reaches its own folder plus `allow`. `builtins: false`: no Node built-ins (the code runs
 * in the browser, or must stay pure).
 */
const LAYERS = {
  shared: { allow: [], builtins: false },
  'electron/core': { allow: ['shared'] },
  'electron/main': { allow: ['electron/core', 'shared'] },
  'electron/preload': { allow: ['electron/core', 'shared'] },
  'electron/web': { allow: ['electron/core', 'shared'] },
  renderer: { allow: ['shared'], builtins: false },
};

/** Packages allowed only in the listed files of product code (an empty list: never). */
const PACKAGES = {
  electron: ['electron/main/**', 'electron/preload/**'],
  ssh2: ['electron/core/ssh/**'],
  // node-postgres: the PostgreSQL engine of database patches.
  pg: ['electron/core/dbpatch/pg/**'],
  nodemailer: ['electron/core/notices/transport.ts'],
  'better-sqlite3': STORES,
  // The local executor, and the git archive packer.
  child_process: ['electron/core/runs/local-exec.ts', 'electron/core/runs/archive.ts'],
  react: ['renderer/**'],
  'react-dom': ['renderer/**'],
  '@tanstack/react-query': ['renderer/**'],
  '@tanstack/react-virtual': ['renderer/**'],
  echarts: ['renderer/**'],
  'playwright-core': [],
  'smtp-server': [],
};

const PRODUCT = ['electron/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx'];

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
  {
    files: PRODUCT,
    plugins: { local },
    rules: {
      'local/layers': ['error', { layers: LAYERS }],
      'local/packages': ['error', { only: PACKAGES }],
    },
  },
  // SQL only in stores.
  {
    files: ['electron/**/*.ts'],
    ignores: STORES,
    plugins: { local },
    rules: { 'local/sql-in-stores': 'error' },
  },
  // shared/ is pure: no host globals either.
  {
    files: ['shared/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', 'window', 'document', 'process', 'require', 'Buffer'] },
  },
  // The React compiler rules of the plugin's v7 preset are not enabled: only the two classic ones.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
