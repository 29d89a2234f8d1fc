/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- electron-builder loads hooks with require() */
// electron-builder afterPack hook: refuse to ship a better-sqlite3 that Electron cannot load.
// Packaging rebuilds native modules for Electron (npmRebuild); if that silently used Node's
// headers (e.g. npm_config_nodedir) the app would only fail on the user's machine. Checked here
// from the `node_register_module_v<ABI>` symbol against node_modules/electron/abi_version.
const fs = require('node:fs');
const path = require('node:path');

function findNodeFiles(dir, out = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findNodeFiles(p, out);
    else if (e.name === 'better_sqlite3.node') out.push(p);
  }
  return out;
}

function checkAbi(appOutDir, expectedAbi) {
  const files = findNodeFiles(appOutDir);
  if (files.length === 0) throw new Error(`afterPack: no better_sqlite3.node under ${appOutDir} (it must be unpacked from the asar).`);
  for (const f of files) {
    const m = /node_register_module_v(\d+)/.exec(fs.readFileSync(f).toString('latin1'));
    if (!m || m[1] !== String(expectedAbi)) {
      throw new Error(`afterPack: ${f} is built for NODE_MODULE_VERSION ${m ? m[1] : 'unknown'}, Electron needs ${expectedAbi}. Unset npm_config_nodedir and package again.`);
    }
  }
  return files;
}

module.exports = async function afterPack(context) {
  const abiFile = path.join(__dirname, '..', 'node_modules', 'electron', 'abi_version');
  const expected = fs.readFileSync(abiFile, 'utf8').trim();
  const files = checkAbi(context.appOutDir, expected);
  console.log(`  • better-sqlite3 built for Electron's ABI ${expected} (${files.length} file${files.length === 1 ? '' : 's'})`);
};
module.exports.checkAbi = checkAbi;
