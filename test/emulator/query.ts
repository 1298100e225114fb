// FastAPI-style validation of query and path parameters (422 bodies, [api: start-task], [api: reading], [api: events], [api: rate-limits]).
import { enumError, Errors, optUuid, uuidError } from './validation.ts';
import { parseDatetime, parseUuid, type ParsedDatetime } from './util.ts';

/** `limit` with gt=0, le=100, default 100. */
export function queryLimit(q: URLSearchParams, errors: Errors): number {
  const raw = q.get('limit');
  if (raw === null) return 100;
  if (!/^[+-]?\d+$/.test(raw.trim())) {
    errors.add('int_parsing', ['query', 'limit'], 'Input should be a valid integer, unable to parse string as an integer', raw);
    return 100;
  }
  const n = Number(raw);
  if (n <= 0) errors.add('greater_than', ['query', 'limit'], 'Input should be greater than 0', raw, { gt: 0 });
  else if (n > 100) errors.add('less_than_equal', ['query', 'limit'], 'Input should be less than or equal to 100', raw, { le: 100 });
  return n;
}

/** `page_id` is a stringified offset; anything else restarts from 0 ([api: reading]). */
export function queryOffset(q: URLSearchParams): number {
  const raw = q.get('page_id');
  if (raw === null || !/^\d+$/.test(raw)) return 0;
  return Number(raw);
}

export function queryDatetime(q: URLSearchParams, name: string, errors: Errors): ParsedDatetime | null {
  const raw = q.get(name);
  if (raw === null || raw === '') return null;
  const d = parseDatetime(raw);
  if (!d) errors.add('datetime_from_date_parsing', ['query', name], 'Input should be a valid datetime or date, invalid character in year', raw, { error: 'invalid character in year' });
  return d;
}

export function queryUuid(q: URLSearchParams, name: string, errors: Errors): string | null {
  const raw = q.get(name);
  if (raw === null || raw === '') return null;
  return optUuid(errors, ['query', name], raw);
}

export function queryEnum<T extends string>(q: URLSearchParams, name: string, values: readonly T[], fallback: T, errors: Errors): T {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    enumError(errors, ['query', name], values, raw);
    return fallback;
  }
  return raw as T;
}

export function queryBool(q: URLSearchParams, name: string, errors: Errors): boolean {
  const raw = q.get(name);
  if (raw === null) return false;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  errors.add('bool_parsing', ['query', name], 'Input should be a valid boolean, unable to interpret input', raw);
  return false;
}

/** Repeated UUID query param (start-tasks `ids`): required; invalid entries give 422. */
export function queryUuidList(q: URLSearchParams, name: string, errors: Errors): string[] {
  const raw = q.getAll(name);
  if (raw.length === 0) errors.missing(['query', name]);
  return raw.map((r, i) => {
    const hex = parseUuid(r);
    if (!hex) uuidError(errors, ['query', name, i], r);
    return hex ?? '';
  });
}

export function pathUuid(value: string, name: string, errors: Errors): string {
  const hex = parseUuid(value);
  if (!hex) uuidError(errors, ['path', name], value);
  return hex ?? '';
}
