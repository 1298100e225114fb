// Time, ids and timer bookkeeping shared by the emulator modules.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * The service clock can run faster than real time (`clockScale`), so that phases measured in
 * minutes upstream (a 10-minute setup script, [api: start-task]) take seconds in a test. Service time =
 * origin + (real − origin) × scale; every emulator timer waits ms / scale of real time. A client
 * run against a scaled emulator needs the same clock (test/e2e/scaled-clock.ts does that for the
 * action's process), else the service's timestamps look far in the future.
 */
export interface Clock {
  /** real epoch ms at which service time and real time agree */
  readonly origin: number;
  readonly scale: number;
}

let clock: Clock = { origin: 0, scale: 1 };

const realNow = (): number => performance.timeOrigin + performance.now();

/** Sets the service clock for this process (one emulator per process uses a scale ≠ 1 at a time). */
export function setClock(scale: number): Clock {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`clockScale must be a positive number, got ${scale}`);
  clock = { origin: realNow(), scale };
  return clock;
}

export function getClock(): Clock {
  return clock;
}

/** The one clock of the emulator: epoch milliseconds with a fraction (service time, see Clock). */
export function now(): number {
  const real = realNow();
  return clock.scale === 1 ? real : clock.origin + (real - clock.origin) * clock.scale;
}

/** Real milliseconds for a service-time duration. */
export function realMs(ms: number): number {
  return ms / clock.scale;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Pydantic's JSON form of an aware UTC datetime: 2026-07-25T12:34:56.789012Z */
export function isoUtc(ms: number): string {
  const d = new Date(Math.floor(ms));
  const micro = Math.floor(ms * 1000) % 1_000_000;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}.${pad(micro, 6)}Z`;
}

/** Event timestamps: naive local time with microseconds, like Python's datetime.now().isoformat() ([api: events]). */
export function isoNaiveLocalMicros(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}.${pad(micros % 1_000_000, 6)}`;
}

export const newHex = (): string => randomUUID().replaceAll('-', '');

export function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Accepts a UUID with or without dashes (optionally urn:uuid: / braces); returns 32 lowercase hex or null. */
export function parseUuid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let s = value.trim().replace(/^urn:uuid:/i, '');
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (/^[0-9a-f]{32}$/i.test(s)) return s.toLowerCase();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return s.replaceAll('-', '').toLowerCase();
  return null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(len: number): string {
  const bytes = randomBytes(len);
  let out = '';
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

/**
 * A parsed datetime filter. `py` is what Python's datetime.isoformat() gives for it (the form
 * the event store compares against as a string, [api: events]); `ms` is the instant (naive input = UTC).
 */
export interface ParsedDatetime {
  py: string;
  ms: number;
}

/** Lenient parse in the spirit of pydantic v2: ISO date or datetime (T or space), Z/offset, or unix seconds/ms. */
export function parseDatetime(raw: string): ParsedDatetime | null {
  const s = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    let n = Number(s);
    if (Math.abs(n) > 2e10) n = n / 1000; // pydantic: large numbers are milliseconds
    const ms = n * 1000;
    const d = new Date(ms);
    if (Number.isNaN(d.getTime())) return null;
    return { ms, py: pyIso(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), Math.round((ms % 1000) * 1000) % 1_000_000, '+00:00') };
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s);
  if (!m) return null;
  const [, y, mo, da, h = '0', mi = '0', se = '0', frac = '', tzRaw] = m;
  const micro = frac ? Number(frac.slice(0, 6).padEnd(6, '0')) : 0;
  let tz: string | null = null;
  let offsetMin = 0;
  if (tzRaw) {
    if (tzRaw === 'Z' || tzRaw === 'z') tz = '+00:00';
    else {
      const sign = tzRaw[0] === '-' ? -1 : 1;
      const digits = tzRaw.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = Number(digits.slice(2) || '0');
      offsetMin = sign * (oh * 60 + om);
      tz = `${tzRaw[0]}${pad(oh)}:${pad(om)}`;
    }
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(se)) + micro / 1000 - offsetMin * 60_000;
  if (Number.isNaN(ms) || Number(mo) > 12 || Number(da) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) return null;
  return { ms, py: pyIso(Number(y), Number(mo), Number(da), Number(h), Number(mi), Number(se), micro, tz) };
}

function pyIso(y: number, mo: number, d: number, h: number, mi: number, s: number, micro: number, tz: string | null): string {
  const base = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  return base + (micro ? `.${pad(micro, 6)}` : '') + (tz ?? '');
}

/** setTimeout bookkeeping so that reset()/close() can cancel everything at once. */
export class Timers {
  private readonly live = new Set<ReturnType<typeof setTimeout>>();

  set(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.live.delete(t);
      fn();
    }, Math.max(0, realMs(ms)));
    this.live.add(t);
    return t;
  }

  clear(t: ReturnType<typeof setTimeout> | null | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.live.delete(t);
  }

  /** A promise that resolves after ms (never, if clearAll() runs first). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.set(resolve, ms));
  }

  clearAll(): void {
    for (const t of this.live) clearTimeout(t);
    this.live.clear();
  }
}
