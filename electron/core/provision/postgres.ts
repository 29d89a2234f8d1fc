/**
 * PostgreSQL role and database of the application, created when missing (never dropped, never
 * altered). The role's password comes from the secret store and reaches the host ONLY on the
 * script's stdin (first line): never in the script, on a command line (`ps`), in the environment
 * of a visible command, in the step's log, or in the server log (log_statement is turned off for
 * the session). An existing role keeps its password.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import { shq } from '../ssh/quote.js';
import { DEFAULT_POSTGRES, frame, layoutOf, pgFunctions, type Built, type DatabaseTarget, type PostgresAccess } from './common.js';

const PG_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Identifier quoting for SQL ("…"), after the name passed the schema-like check. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
/** Literal quoting for SQL ('…'), standard_conforming_strings on. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Role and database default to the runtime user's name with - turned into _. */
export function databaseTarget(app: Application, over: Partial<DatabaseTarget> = {}): DatabaseTarget {
  const dflt = layoutOf(app).user.replace(/-/g, '_');
  const t: DatabaseTarget = { ...DEFAULT_POSTGRES, role: dflt, database: dflt, ...over };
  for (const [what, v] of [['role', t.role], ['database', t.database]] as const) {
    if (!PG_NAME.test(v)) throw new PuestaError('INVALID_INPUT', `The PostgreSQL ${what} name "${v}" is not allowed: use lower-case letters, digits and _.`, { field: what });
  }
  return t;
}

/** Secret-store key of an application's database password. */
export const dbPasswordSecretKey = (applicationId: number): string => `application:${applicationId}:db-password`;

export function postgresStep(app: Application, over: Partial<DatabaseTarget> = {}): Built {
  const t = databaseTarget(app, over);
  const roleLit = shq(sqlLiteral(t.role));
  const dbLit = shq(sqlLiteral(t.database));
  const body = `
${pgFunctions(t)}
pg_sql -d postgres -c 'SELECT 1' </dev/null >/dev/null || { echo "PostgreSQL is not reachable as its superuser on this host; start it, or fix the connection settings, and retry." >&2; exit 1; }
if [ "$(pg_sql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = "${roleLit} </dev/null)" = 1 ]; then
  note ${shq(`role ${t.role} exists (password left as it is)`)}
else
  PUESTA_PW=''
  IFS= read -r PUESTA_PW || true
  if [ -z "$PUESTA_PW" ]; then echo ${shq(`The role ${t.role} must be created but no password arrived on stdin: set the application's database password in Puesta and retry.`)} >&2; exit 1; fi
  # Only builtins see the password until it is on psql's stdin (sed reads it from a pipe).
  PUESTA_PW=$(printf '%s' "$PUESTA_PW" | sed "s/'/''/g")
  printf "SET log_statement = 'none';\\nSET log_min_duration_statement = -1;\\nCREATE ROLE %s LOGIN PASSWORD '%s';\\n" ${shq(sqlIdent(t.role))} "$PUESTA_PW" | pg_sql -d postgres >/dev/null
  PUESTA_PW=''
  changed ${shq(`role ${t.role} created`)}
fi
if [ "$(pg_sql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = "${dbLit} </dev/null)" = 1 ]; then
  note ${shq(`database ${t.database} exists`)}
else
  pg_sql -d postgres -c ${shq(`CREATE DATABASE ${sqlIdent(t.database)} OWNER ${sqlIdent(t.role)}`)} </dev/null >/dev/null
  changed ${shq(`database ${t.database} created (owner ${t.role})`)}
fi
`;
  return {
    title: `PostgreSQL role ${t.role} and database ${t.database}`,
    script: frame(body),
    touches: [`postgresql:role/${t.role}`, `postgresql:database/${t.database}`],
  };
}

export type { PostgresAccess };
