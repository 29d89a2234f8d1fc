/**
 * The HAProxy config Puesta writes for a haproxy-runtime application (pure: text out; the install
 * step checks it with `haproxy -c`, saves the servers' state, installs it and reloads). Puesta owns
 * the whole file: one HAProxy per application's proxy.
 *
 *   global     the admin socket on TCP loopback (the switches' runtime API, `level admin`) and the
 *              `server-state-file` every switch saves, so a reload keeps the live slot and weights
 *   frontend   the application's listen addresses
 *   backend    servers blue and green on the slots' unix sockets, a cookie for A/B stickiness, a
 *              response header naming the slot that answered; green starts at weight 0, so a first
 *              start sends everything to blue until the first switch (after that the state file wins;
 *              not `disabled`: that maintenance flag is the config's, `set server … state ready` keeps it)
 */
import { PuestaError } from '../../../shared/errors.js';

export interface HaproxyOptions {
  appName: string;
  /** The application's base folder on the host: slots listen on `<base>/run/<slot>.sock`. */
  base: string;
  /** nginx-style listen values (`80`, `127.0.0.1:8080`, `[::]:80`): a bare port binds every address. */
  listen: readonly string[];
  /** `host:port` of the admin socket (loopback). */
  admin: string;
  backend: string;
}

const PATH = /^\/[A-Za-z0-9_./-]{1,400}$/;
const LISTEN = /^[A-Za-z0-9_.:[\]]{1,100}$/;
const ADMIN = /^[0-9a-zA-Z.-]{1,253}:[0-9]{1,5}$/;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function word(what: string, v: string, re: RegExp): string {
  if (!re.test(v)) throw new PuestaError('INVALID_INPUT', `${what} cannot go into a HAProxy config: ${JSON.stringify(v)}`);
  return v;
}

/** nginx's `80` is HAProxy's `:80`; an address with a port is the same in both. */
export const bindOf = (listen: string): string => (/^[0-9]+$/.test(listen) ? `:${listen}` : listen);

export function haproxyConfig(o: HaproxyOptions): string {
  const base = word('The base folder', o.base.replace(/\/+$/, ''), PATH);
  const be = word('The backend name', o.backend, NAME);
  const binds = o.listen.map((l) => `  bind ${bindOf(word('A listen value', l, LISTEN))}`);
  if (!binds.length) throw new PuestaError('INVALID_INPUT', 'The frontend needs at least one listen value.');
  return `# Written by Puesta for ${o.appName.replace(/[\r\n]/g, ' ')}. Do not edit: the install step rewrites it.
# Switches and A/B weights go through the admin socket, never through this file.
global
  stats socket ipv4@${word('The admin address', o.admin, ADMIN)} level admin
  server-state-file ${base}/run/haproxy.state

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  # a soft reload closes idle keep-alive connections after a response, not under a request
  option idle-close-on-response
  load-server-state-from-file global

frontend puesta
${binds.join('\n')}
  default_backend ${be}

backend ${be}
  cookie PUESTA_SLOT insert indirect nocache
  http-response set-header X-Puesta-Slot %[srv_name]
  server blue ${base}/run/blue.sock cookie blue weight 100
  server green ${base}/run/green.sock cookie green weight 0
`;
}
