import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildBridge } from '../../electron/preload/bridge.js';
import { bundleElectron, foreignRequires } from '../../scripts/build.mjs';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract/index.js';
import type { Envelope } from '../../shared/errors.js';
import { callChannel, eventChannel } from '../../shared/shell.js';

function recordingBridge() {
  const calls: { channel: string; input: unknown; callId?: string }[] = [];
  const cancels: string[] = [];
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const bridge = buildBridge(
    METHOD_NAMES,
    EVENT_NAMES,
    async (channel, input, callId) => {
      calls.push(callId === undefined ? { channel, input } : { channel, input, callId });
      return { ok: true, value: channel } as Envelope<unknown>;
    },
    (channel, listener) => {
      const set = subs.get(channel) ?? new Set();
      subs.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    (callId) => void cancels.push(callId),
  );
  return { bridge, calls, subs, cancels };
}

describe('preload bridge (window.puesta)', () => {
  it('exposes exactly one function per contract method plus `on` and `cancel`', () => {
    const { bridge } = recordingBridge();
    expect(METHOD_NAMES.length).toBeGreaterThan(3);
    expect(Object.keys(bridge).sort()).toEqual([...METHOD_NAMES, 'on', 'cancel'].sort());
    for (const m of METHOD_NAMES) expect(typeof bridge[m]).toBe('function');
  });

  it('exposes exactly one subscribe per contract event', () => {
    const { bridge } = recordingBridge();
    expect(EVENT_NAMES.length).toBeGreaterThan(0);
    expect(Object.keys(bridge.on).sort()).toEqual([...EVENT_NAMES].sort());
  });

  it('has nothing generic (no raw invoke/send/ipcRenderer) and cannot be changed by the page', () => {
    const { bridge } = recordingBridge();
    for (const k of ['invoke', 'send', 'sendSync', 'ipcRenderer', 'call', 'emit', 'require', 'process']) {
      expect(k in bridge).toBe(false);
    }
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(bridge.on)).toBe(true);
  });

  it('routes each method to its own channel with the input as is', async () => {
    const { bridge, calls } = recordingBridge();
    const m = METHOD_NAMES[0]!;
    const env = await bridge[m]!({ a: 1 });
    expect(env).toEqual({ ok: true, value: callChannel(m) });
    expect(calls).toEqual([{ channel: `puesta:call:${m}`, input: { a: 1 } }]);
  });

  it('delivers only the payload to listeners and unsubscribes', () => {
    const { bridge, subs } = recordingBridge();
    const e = EVENT_NAMES[0]!;
    const got: unknown[] = [];
    const off = bridge.on[e]!((p) => got.push(p));
    const set = subs.get(eventChannel(e))!;
    expect(set.size).toBe(1);
    for (const l of set) l({ x: 1 });
    expect(got).toEqual([{ x: 1 }]);
    off();
    expect(set.size).toBe(0);
    expect(() => bridge.on[e]!('nope' as never)).toThrow(TypeError);
  });

  it('refuses a method named "on" or "cancel"', () => {
    expect(() => buildBridge(['on'], [], async () => ({ ok: true, value: null }), () => () => {})).toThrow(/may not be called "on"/);
    expect(() => buildBridge(['cancel'], [], async () => ({ ok: true, value: null }), () => () => {})).toThrow(/may not be called "cancel"/);
  });

  it('passes a call id for cancellable calls and forwards cancel(id), refusing malformed ids', async () => {
    const { bridge, calls, cancels } = recordingBridge();
    const m = METHOD_NAMES[0]!;
    await bridge[m]!({}, 'c7');
    await bridge[m]!({}, 'bad id with spaces');
    expect(calls).toEqual([
      { channel: callChannel(m), input: {}, callId: 'c7' },
      { channel: callChannel(m), input: {} },
    ]);
    bridge.cancel('c7');
    bridge.cancel('x'.repeat(65));
    (bridge.cancel as (x: unknown) => void)({ toString: () => 'c7' });
    expect(cancels).toEqual(['c7']);
  });
});

describe('Electron bundles (scripts/build.mjs)', () => {
  it('spots any require() other than electron', () => {
    expect(foreignRequires('const e=require("electron");')).toEqual([]);
    expect(foreignRequires('require("electron");require("node:fs");require(x)')).toEqual(['require("node:fs")', 'require(x)']);
  });

  it('builds main.cjs and a preload that requires only electron', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'puesta-bundle-'));
    try {
      const r = await bundleElectron({ outdir: out });
      const preload = readFileSync(r.preload, 'utf8');
      expect(foreignRequires(preload)).toEqual([]);
      expect(preload).toContain('require("electron")');
      expect(preload).toContain('exposeInMainWorld');
      for (const m of METHOD_NAMES.slice(0, 3)) expect(preload).toContain(JSON.stringify(m).slice(1, -1));
      // Run the minified bundle the way a sandboxed preload runs: only require('electron') exists.
      const exposed: Record<string, unknown> = {};
      const invoked: [string, unknown][] = [];
      const sent: [string, unknown][] = [];
      const fakeElectron = {
        contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
        ipcRenderer: {
          invoke: async (channel: string, input: unknown) => (invoked.push([channel, input]), { ok: true, value: 1 }),
          send: (channel: string, id: unknown) => void sent.push([channel, id]),
          on() {},
          removeListener() {},
        },
      };
      const mod = { exports: {} };
      vm.runInNewContext(preload, {
        module: mod,
        exports: mod.exports,
        console,
        require: (name: string) => {
          if (name === 'electron') return fakeElectron;
          throw new Error(`a sandboxed preload cannot require ${name}`);
        },
      });
      const puesta = exposed.puesta as Record<string, (i: unknown) => Promise<unknown>> & { on: Record<string, unknown>; cancel: (id: string) => void };
      expect(Object.keys(exposed)).toEqual(['puesta']);
      expect(Object.keys(puesta).sort()).toEqual([...METHOD_NAMES, 'on', 'cancel'].sort());
      puesta.cancel('c1');
      expect(sent).toEqual([['puesta:cancel', 'c1']]);
      expect(Object.keys(puesta.on).sort()).toEqual([...EVENT_NAMES].sort());
      await expect(puesta['system.info']!({})).resolves.toEqual({ ok: true, value: 1 });
      expect(invoked).toEqual([['puesta:call:system.info', {}]]);
      const main = readFileSync(r.main, 'utf8');
      expect(main).toContain('require("electron")');
      expect(main).toContain('require("better-sqlite3")');
      expect(main).not.toMatch(/require\("\.{1,2}\//); // everything of ours is bundled in
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
