/**
 * Checks JSON from the server once, at the boundary: every value the UI uses goes through one of
 * these, so a server that sends something unexpected gives a clear MALFORMED error, not a blank
 * screen or `undefined` shown to the user.
 */
export class MalformedError extends Error {
  readonly code = 'MALFORMED';
  constructor(what: string) {
    super(`the server sent an unexpected ${what}`);
    this.name = 'MalformedError';
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function object(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedError(what);
  return value as JsonObject;
}

export function array(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new MalformedError(what);
  return value;
}

/**
 * The items of a list that parse; an item that does not (a state this version does not know, a
 * field missing) is left out and logged, so one odd row cannot blank a whole list. A value that
 * is not a list at all is still MALFORMED.
 */
export function items<T>(value: unknown, what: string, parse: (item: unknown) => T): T[] {
  const out: T[] = [];
  let skipped = 0;
  for (const item of array(value, what)) {
    try {
      out.push(parse(item));
    } catch (err) {
      if (!(err instanceof MalformedError)) throw err;
      skipped += 1;
    }
  }
  if (skipped > 0) console.warn(`samizdat: left out ${skipped} unexpected item(s) of a ${what}`);
  return out;
}

export function string(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new MalformedError(`field "${key}"`);
  return v;
}

export function stringOrNull(o: JsonObject, key: string): string | null {
  const v = o[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new MalformedError(`field "${key}"`);
  return v;
}

export function number(o: JsonObject, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MalformedError(`field "${key}"`);
  return v;
}

export function numberOrNull(o: JsonObject, key: string): number | null {
  const v = o[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MalformedError(`field "${key}"`);
  return v;
}

export function boolean(o: JsonObject, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new MalformedError(`field "${key}"`);
  return v;
}

/** An optional boolean: false when absent. */
export function flag(o: JsonObject, key: string): boolean {
  return o[key] === undefined ? false : boolean(o, key);
}

export function oneOf<T extends string>(o: JsonObject, key: string, values: readonly T[]): T {
  const v = o[key];
  const found = values.find((x) => x === v);
  if (found === undefined) throw new MalformedError(`field "${key}"`);
  return found;
}
