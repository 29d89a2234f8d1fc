/**
 * The one list of error codes that may cross a boundary (IPC, HTTP, events).
 * Errors always travel as `{ code, message, details? }`.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'UNKNOWN_METHOD',
  'CONFLICT',
  'REFERENCED',
  'PRECONDITION_FAILED',
  'LOCKED',
  'CANCELLED',
  'TIMEOUT',
  'DB_TOO_NEW',
  'MIGRATION_FAILED',
  'IMPORT_INVALID',
  'SECRET_STORE_UNAVAILABLE',
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_CHANGED',
  'SSH_AUTH_FAILED',
  'SSH_TIMEOUT',
  'SSH_CONNECTION_LOST',
  'SSH_ERROR',
  'COMMAND_FAILED',
  'SMTP_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An error that carries a code from the list; the only kind core code throws on purpose. */
export class PuestaError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'PuestaError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
  toJSON(): ApiErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** The INVALID_INPUT error for a failed schema check (zod's issues): one line per issue, and the issues as details. */
export function invalidInput(issues: readonly { path: readonly PropertyKey[]; message: string }[]): PuestaError {
  return new PuestaError('INVALID_INPUT', issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`).join('; '), {
    issues: issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

/** HTTP status used by the browser shell for each code. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'IMPORT_INVALID':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'UNKNOWN_METHOD':
      return 404;
    case 'CONFLICT':
    case 'REFERENCED':
    case 'LOCKED':
    case 'HOST_KEY_CHANGED':
    case 'HOST_KEY_UNKNOWN':
    case 'PRECONDITION_FAILED':
      return 409;
    case 'TIMEOUT':
    case 'SSH_TIMEOUT':
      return 504;
    case 'SSH_AUTH_FAILED':
    case 'SSH_CONNECTION_LOST':
    case 'SSH_ERROR':
    case 'SMTP_ERROR':
    case 'COMMAND_FAILED':
      return 502;
    case 'CANCELLED':
      return 499;
    default:
      return 500;
  }
}

/** Result envelope used by every transport. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };
