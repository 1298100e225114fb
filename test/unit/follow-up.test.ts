// Follow-ups (src/steps/act/follow-up.ts): which conversations take one, and which failed sends
// may still have delivered the message.
import { describe, expect, it } from 'vitest';
import { OpenHandsApiError } from '../../src/errors.ts';
import type { Conversation } from '../../src/openhands/types.ts';
import { isAlive, maybeDelivered } from '../../src/steps/act/follow-up.ts';

describe('isAlive', () => {
  const conv = (over: Partial<Conversation>): Conversation => ({ id: 'c', updated_at: new Date(1_000_000).toISOString(), ...over }) as Conversation;
  it('follows up only into live conversations', () => {
    const now = 1_000_000 + 60_000;
    expect(isAlive({ conversation: conv({}), executionStatus: 'running', sandboxStatus: 'RUNNING' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: null, sandboxStatus: 'PAUSED' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: 'finished', sandboxStatus: 'RUNNING' }, now)).toBe(true);
    expect(isAlive({ conversation: conv({}), executionStatus: 'finished', sandboxStatus: 'RUNNING' }, now + 7 * 3600_000)).toBe(false);
    expect(isAlive({ conversation: conv({}), executionStatus: 'error', sandboxStatus: 'RUNNING' }, now)).toBe(false);
    expect(isAlive({ conversation: conv({}), executionStatus: null, sandboxStatus: 'MISSING' }, now)).toBe(false);
  });
});

describe('[api: follow-ups] which send-message failures may have delivered the message', () => {
  it('a 5xx, a reset or a timeout may have; a refused connection, a 429 or a 4xx have not', () => {
    const e = (o: { status?: number; transient: boolean; code?: string }) =>
      new OpenHandsApiError('x', { url: 'u', status: o.status, transient: o.transient, cause: o.code ? Object.assign(new Error('net'), { code: o.code }) : undefined });
    expect(maybeDelivered(e({ status: 502, transient: true }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'ECONNRESET' }))).toBe(true);
    expect(maybeDelivered(e({ transient: true, code: 'ECONNREFUSED' }))).toBe(false);
    expect(maybeDelivered(e({ status: 429, transient: true }))).toBe(false);
    expect(maybeDelivered(e({ status: 409, transient: false }))).toBe(false);
    expect(maybeDelivered(new Error('other'))).toBe(false);
  });
});
