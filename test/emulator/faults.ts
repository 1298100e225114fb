// Injected faults (network, load balancer, key store): matching, consumption and their canned answers.
import http from 'node:http';
import { json, type Headers, type Reply } from './http.ts';
import type { Fault, FaultAction, Json } from './types.ts';
import { now } from './util.ts';

interface StoredFault {
  fault: Fault;
  left: number;
  /** Time-boxed faults (key-store with forMs) end here. */
  until: number | null;
}

export class FaultBook {
  private faults: StoredFault[] = [];

  get size(): number {
    return this.faults.length;
  }

  add(fault: Fault): void {
    const timed = fault.kind === 'key-store' && fault.forMs !== undefined;
    this.faults.push({ fault, left: timed ? Infinity : (fault.times ?? 1), until: timed ? now() + fault.forMs! : null });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first matching fault, consumed once. Stream faults only match stream-start; key-store only /api with a credential. */
  take(method: string, pathAndQuery: string, hasCredential: boolean): FaultAction | null {
    const at = now();
    this.faults = this.faults.filter((f) => f.until === null || f.until > at);
    const path = pathAndQuery.split('?')[0]!;
    const isStream = method === 'POST' && path === '/api/v1/app-conversations/stream-start';
    const i = this.faults.findIndex(({ fault }) => {
      if (fault.method && fault.method.toUpperCase() !== method) return false;
      if ((fault.kind === 'stream-break' || fault.kind === 'stream-stall') && !isStream) return false;
      if (fault.kind === 'key-store' && !(hasCredential && path.startsWith('/api/'))) return false;
      if (fault.path === undefined) return true;
      return typeof fault.path === 'string' ? pathAndQuery.startsWith(fault.path) : fault.path.test(pathAndQuery);
    });
    if (i < 0) return null;
    const stored = this.faults[i]!;
    if (--stored.left <= 0) this.faults.splice(i, 1);
    return stored.fault;
  }
}

export function faultReply(f: Extract<FaultAction, { kind: 'status' }>): Reply {
  const headers: Headers = f.retryAfter !== undefined ? { 'Retry-After': String(f.retryAfter) } : {};
  if (f.body !== undefined) {
    if (typeof f.body === 'string') return { status: f.status, text: f.body, contentType: f.contentType ?? 'text/plain; charset=utf-8', headers };
    return json(f.status, f.body, headers);
  }
  if (f.status === 429) return json(429, { message: 'Too many requests' }, { 'Retry-After': '1', ...headers });
  if (f.status === 500) return { status: 500, text: 'Internal Server Error', contentType: 'text/plain; charset=utf-8', headers };
  const reason = http.STATUS_CODES[f.status] ?? 'Error';
  if (f.status >= 502 && f.status <= 504) {
    // what a load balancer in front of the service answers
    return { status: f.status, text: `<html><head><title>${f.status} ${reason}</title></head><body><center><h1>${f.status} ${reason}</h1></center></body></html>\n`, contentType: 'text/html', headers };
  }
  return json(f.status, { detail: reason }, headers);
}

/** Faults sent as JSON: `pathRegex` (string) becomes a RegExp, `times: null` means always. */
export function faultFromJson(f: Json): Fault {
  const { pathRegex, times, ...rest } = f;
  const fault = { ...rest } as unknown as Fault;
  if (typeof pathRegex === 'string') fault.path = new RegExp(pathRegex);
  if (times === null) fault.times = Infinity;
  else if (typeof times === 'number') fault.times = times;
  return fault;
}
