/**
 * The process logger of nodes and authorities: one JSON object per line on standard error, with
 * a level, a message and flat fields. Services receive it injected. What a service node logs is
 * limited by review to node IDs, counts, timings and error codes: never message bodies, keys or
 * anything naming a sender (docs/SECURITY.md).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  return value;
}

/** A logger writing JSON lines through `write` (standard error in a process). */
export function createJsonLogger(options: {
  readonly write: (line: string) => void;
  readonly now: () => number;
  readonly level?: LogLevel;
  readonly component?: string;
}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const log = (level: LogLevel) => (message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    if (ORDER[level] < min) return;
    const entry = { t: new Date(options.now()).toISOString(), level, ...(options.component === undefined ? {} : { component: options.component }), msg: message, ...fields };
    options.write(`${JSON.stringify(entry, replacer)}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
