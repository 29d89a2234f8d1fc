// Puesta's local ESLint plugin, registered as `local` in eslint.config.js; the rules are proven by
// test/unit/layers.test.ts with one bad probe per rule.
import layers from './layers.js';
import packages from './packages.js';
import sqlInStores from './sql-in-stores.js';

export default {
  meta: { name: 'puesta-local' },
  rules: { layers, packages, 'sql-in-stores': sqlInStores },
};
