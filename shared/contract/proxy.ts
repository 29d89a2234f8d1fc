/**
 * Blue-green and A/B behind a reverse proxy (issue 12). Each placement of a blue-green or A/B
 * application has two slots, blue and green: a release link (`<base>/slots/<slot>`) and a service
 * instance listening on `<base>/run/<slot>.sock`. The proxy driver says how the live slot changes;
 * the live slot is recorded here with its history and read back from the servers (the server wins).
 */
import { z } from 'zod';
import { Id, method, Timestamp } from './common.js';

export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];

export const PROXY_DRIVERS = ['nginx-socket', 'haproxy-runtime', 'nginx-reload'] as const;
export type ProxyDriver = (typeof PROXY_DRIVERS)[number];

/** What each driver promises, shown where the driver is chosen and on the application page. */
export const DRIVER_GUARANTEES: Record<ProxyDriver, { title: string; guarantee: string; warning: string; ab: boolean }> = {
  'nginx-socket': {
    title: 'nginx, socket swap',
    guarantee: 'nginx proxies to <base>/run/live.sock; a switch swaps that symlink atomically, without reloading nginx: no request fails. 100/0 only.',
    warning: 'No upstream keepalive pool may point at live.sock. A/B weights need HAProxy.',
    ab: false,
  },
  'haproxy-runtime': {
    title: 'HAProxy runtime API',
    guarantee: 'Two servers per backend; a switch readies the new slot and drains the old one over the admin socket, without a reload: no request fails. Weights for A/B, sticky cookie, state kept across reloads (server-state-file).',
    warning: '',
    ab: true,
  },
  'nginx-reload': {
    title: 'nginx, include + reload',
    guarantee: 'For sites that cannot change their proxy: the include naming the live slot is rewritten, then nginx -t and nginx -s reload.',
    warning: 'nginx before 1.27.4 resets about one request per busy keep-alive connection on every reload, on every site of that nginx.',
    ab: false,
  },
};

const Path = z.string().regex(/^\/[A-Za-z0-9_./-]{1,500}$/, 'an absolute path');
const Word = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only');
const Address = z.string().regex(/^[0-9a-zA-Z.-]{1,253}:[0-9]{1,5}$/, 'host:port, e.g. 127.0.0.1:9999');

/** The settings (no defaults in the schema: a save gives only what changes; PROXY_DEFAULTS fill the rest). */
export const ProxySettingsFields = z.object({
  driver: z.enum(PROXY_DRIVERS),
  /** Path the idle slot is checked on, directly on its socket (not through the proxy). */
  healthPath: z.string().regex(/^\/[A-Za-z0-9_./?=&%-]{0,200}$/, 'a path starting with /'),
  /** Consecutive successes the idle slot must answer before the switch, within the deadline. */
  healthSuccesses: z.number().int().min(1).max(100),
  healthDeadlineSeconds: z.number().int().min(1).max(3600),
  /** Shell run on the host to (re)start a slot: $PUESTA_SLOT, $PUESTA_SLOT_DIR (its release), $PUESTA_SLOT_SOCKET. */
  startCommand: z.string().max(20_000),
  stopCommand: z.string().max(20_000),
  /** The old slot's in-flight requests must reach 0 within this time (then it is stopped anyway). */
  drainSeconds: z.number().int().min(0).max(3600),
  /** How long the old slot stays running after the switch (switch-back without a start). */
  warmSeconds: z.number().int().min(0).max(7 * 86_400),
  /** haproxy-runtime: the admin socket, on TCP loopback of the host (`stats socket ipv4@… level admin`). */
  haproxyAdmin: Address,
  haproxyBackend: Word,
  /** nginx-reload: the file nginx includes in the site's location (rewritten by each switch). */
  nginxInclude: Path,
  /**
   * The install writes the proxy's config (nginx-socket: the site in `nginxSitesDir`; haproxy-runtime:
   * `haproxyConfig`), checked (`nginx -t` / `haproxy -c`) before it is used, the previous one put
   * back on refusal. Off: the config is the operator's, the install prints what it must contain.
   */
  writeProxyConfig: z.boolean(),
  /** Where the site / frontend listens (nginx `listen` values; HAProxy binds the same addresses). */
  listen: z.array(z.string().regex(/^[A-Za-z0-9_.:[\]]{1,100}$/, 'e.g. 80, 127.0.0.1:8080, [::]:80')).min(1).max(8),
  serverNames: z.array(z.string().regex(/^[A-Za-z0-9_.*~-]{1,253}$/, 'a host name')).max(20),
  nginxSitesDir: Path,
  /** haproxy-runtime: the whole HAProxy config file Puesta writes (it owns that file). */
  haproxyConfig: Path,
  /** haproxy-runtime: how that HAProxy reloads after its config changed (the live slot survives: server-state-file). */
  haproxyReload: z.string().min(1).max(2000),
  /**
   * What a slot's service runs (in its release, with $PUESTA_SLOT, $PUESTA_SLOT_DIR, $PUESTA_SLOT_SOCKET):
   * the install writes a service per slot (systemd template `puesta-<app>-slot@blue|green`, or the
   * supervisor programs `puesta-<app>-slot-blue|green`) and the slots start / stop through it.
   * Empty: `startCommand` / `stopCommand` are run instead.
   */
  slotCommand: z.string().max(2000),
});
export type ProxySettingsFields = z.infer<typeof ProxySettingsFields>;

/** An application's settings until they are saved. */
export const PROXY_DEFAULTS: ProxySettingsFields = {
  driver: 'nginx-socket',
  healthPath: '/',
  healthSuccesses: 3,
  healthDeadlineSeconds: 30,
  startCommand: 'sudo -n systemctl restart {{app.name}}@"$PUESTA_SLOT"',
  stopCommand: 'sudo -n systemctl stop {{app.name}}@"$PUESTA_SLOT"',
  drainSeconds: 30,
  warmSeconds: 600,
  haproxyAdmin: '127.0.0.1:9999',
  haproxyBackend: 'app',
  nginxInclude: '/etc/nginx/puesta/app.conf',
  writeProxyConfig: true,
  listen: ['80'],
  serverNames: [],
  nginxSitesDir: '/etc/nginx/sites-enabled',
  haproxyConfig: '/etc/haproxy/haproxy.cfg',
  haproxyReload: 'sudo -n systemctl reload haproxy',
  slotCommand: '',
};

export const ProxySettings = ProxySettingsFields.extend({ applicationId: Id, updatedAt: Timestamp.nullable() });
export type ProxySettings = z.infer<typeof ProxySettings>;

/** A database patch applied since a slot's release that its code may not survive (contract / breaking). */
export const UnsafePatch = z.object({ patchId: z.string(), compat: z.enum(['contract', 'breaking']), databaseName: z.string() });
export type UnsafePatch = z.infer<typeof UnsafePatch>;

export const SlotInfo = z.object({
  slot: z.enum(SLOTS),
  state: z.enum(['live', 'idle', 'warm', 'draining']),
  release: z.string().nullable(),
  since: Timestamp.nullable(),
  /** A/B: its share of new clients, in percent. */
  weight: z.number().int().min(0).max(100).nullable(),
  /** Not live: switching (back) to it is refused unless the confirmation names each of these. */
  unsafePatches: z.array(UnsafePatch),
});
export type SlotInfo = z.infer<typeof SlotInfo>;

export const HostSlots = z.object({
  serverId: Id,
  serverName: z.string(),
  live: z.enum(SLOTS).nullable(),
  since: Timestamp.nullable(),
  slots: z.array(SlotInfo),
  /** When read from the server: what it said differs from the local record (the server wins). */
  notice: z.string().nullable(),
  /** When read from the server and it could not be reached. */
  error: z.string().nullable(),
});
export type HostSlots = z.infer<typeof HostSlots>;

export const SlotsOutput = z.object({ driver: z.enum(PROXY_DRIVERS), hosts: z.array(HostSlots) });
export type SlotsOutput = z.infer<typeof SlotsOutput>;

export const SlotEvent = z.object({
  id: Id,
  serverId: Id,
  serverName: z.string(),
  at: Timestamp,
  kind: z.enum(['switch', 'switch-back', 'read', 'weights']),
  live: z.enum(SLOTS).nullable(),
  weights: z.object({ blue: z.number(), green: z.number() }).nullable(),
  release: z.string().nullable(),
  runId: Id.nullable(),
  operator: z.string(),
  note: z.string(),
});
export type SlotEvent = z.infer<typeof SlotEvent>;

const AppEnv = z.object({ applicationId: Id, environmentId: Id }).strict();

export const SwitchInput = AppEnv.extend({
  to: z.enum(SLOTS),
  serverIds: z.array(Id).max(1000).optional(),
  reason: z.string().max(500).default(''),
  /** Names (patch ids) of the contract / breaking patches applied since the target slot's release: switch back anyway. */
  confirmPatches: z.string().max(2000).optional(),
}).strict();
export type SwitchInput = z.input<typeof SwitchInput>;

export const SwitchHost = z.object({
  serverId: Id,
  serverName: z.string(),
  from: z.enum(SLOTS).nullable(),
  to: z.enum(SLOTS),
  ok: z.boolean(),
  /** Refused: a run (or another action) holds the host's lock file; nothing changed there. */
  held: z.boolean(),
  /** From the start of the action to the host's answer that the proxy points at the new slot. */
  ms: z.number().int(),
  error: z.string().nullable(),
});
export const SwitchOutput = z.object({ hosts: z.array(SwitchHost) });
export type SwitchOutput = z.infer<typeof SwitchOutput>;

export const WeightsInput = AppEnv.extend({
  /** Percent of new clients sent to green (blue gets the rest); returning clients keep their cookie's slot. */
  green: z.number().int().min(0).max(100),
  reason: z.string().max(500).default(''),
}).strict();
export type WeightsInput = z.input<typeof WeightsInput>;

export const ExperimentStep = z.object({ at: Timestamp, green: z.number().int().min(0).max(100), operator: z.string(), reason: z.string() });
export type ExperimentStep = z.infer<typeof ExperimentStep>;

/** An A/B experiment: from the first split of new clients until 100/0 again (or a switch); its weights over time. */
export const Experiment = z.object({
  id: Id,
  environmentId: Id,
  environmentName: z.string(),
  blueRelease: z.string().nullable(),
  greenRelease: z.string().nullable(),
  startedAt: Timestamp,
  startedBy: z.string(),
  endedAt: Timestamp.nullable(),
  endedBy: z.string().nullable(),
  endNote: z.string(),
  steps: z.array(ExperimentStep),
});
export type Experiment = z.infer<typeof Experiment>;

export const proxyMethods = {
  'proxy.settings.get': method(z.object({ applicationId: Id }).strict(), ProxySettings, 'The proxy driver and slot settings of a blue-green / A/B application'),
  'proxy.settings.save': method(ProxySettingsFields.partial().extend({ applicationId: Id }).strict(), ProxySettings, 'Saves the proxy driver and slot settings'),
  'proxy.slots': method(AppEnv, SlotsOutput, 'Both slots of each host as recorded here (live / idle / warm / draining, release, since)'),
  'proxy.read': method(AppEnv, SlotsOutput, 'Reads the live slot back from each server; the server wins, and a disagreement is told'),
  'proxy.switch': method(SwitchInput, SwitchOutput, 'Points the proxy of each host at a slot (switch, or switch back while the old slot is warm)'),
  'proxy.weights': method(WeightsInput, SwitchOutput.extend({ green: z.number().int() }), 'A/B: sets the share of new clients each slot gets (HAProxy only)'),
  'proxy.experiments': method(
    z.object({ applicationId: Id, limit: z.number().int().min(1).max(200).default(20) }).strict(),
    z.object({ items: z.array(Experiment) }),
    'A/B experiments of an application, newest first: start, end, releases, who, the weights over time',
  ),
  'proxy.history': method(z.object({ applicationId: Id, limit: z.number().int().min(1).max(1000).default(50) }).strict(), z.object({ items: z.array(SlotEvent) }), 'Switches, switch-backs and weight changes, newest first'),
};
