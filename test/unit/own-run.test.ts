// A follow-up's own run (src/openhands/own-run.ts): the events after the message we sent.
import { describe, expect, it } from 'vitest';
import type { OpenHandsClient } from '../../src/openhands/client.ts';
import { ownRun, ownRunFromAppServer, type RunEvent } from '../../src/openhands/own-run.ts';

let n = 0;
const user = (text: string): RunEvent => ({ id: `u${n++}`, kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [{ type: 'text', text }] } });
const status = (value: string): RunEvent => ({ id: `s${n++}`, kind: 'ConversationStateUpdateEvent', source: 'environment', key: 'execution_status', value });
const stats = (): RunEvent => ({ id: `t${n++}`, kind: 'ConversationStateUpdateEvent', source: 'environment', key: 'stats', value: {} });
const agent = (text: string): RunEvent => ({ id: `a${n++}`, kind: 'MessageEvent', source: 'agent', llm_message: { role: 'assistant', content: [{ type: 'text', text }] } });

const FOLLOW_UP = 'Please also update the docs';
/** the previous run (ended), then ours */
const previous = [user('Fix the typo'), status('running'), stats(), agent('Fixed.'), status('finished')];

describe('ownRun', () => {
  it("the previous run's end is not ours; ours is the terminal status after our message", () => {
    expect(ownRun(previous, FOLLOW_UP)).toEqual({ found: false, after: [] });
    const msg = user(FOLLOW_UP);
    const sent = [...previous, msg];
    expect(ownRun(sent, FOLLOW_UP)).toMatchObject({ found: true, messageId: msg.id, after: [] });
    expect(ownRun(sent, FOLLOW_UP).end).toBeUndefined();
    const running = [...sent, status('running'), stats()];
    expect(ownRun(running, FOLLOW_UP).end).toBeUndefined();
    const done = [...running, agent('Docs updated.'), status('finished')];
    const r = ownRun(done, FOLLOW_UP);
    expect(r.end).toBe('finished');
    expect(r.after).toHaveLength(4);
  });

  it('the last status change counts, a repeated request is matched at its newest copy, and a blank text never matches', () => {
    const again = [user(FOLLOW_UP), status('finished'), user(`@bot wrote:\n${FOLLOW_UP}\n`), status('running')];
    expect(ownRun(again, FOLLOW_UP)).toMatchObject({ found: true, messageId: again[2]!.id });
    expect(ownRun(again, FOLLOW_UP).end).toBeUndefined();
    expect(ownRun([user(FOLLOW_UP), status('error'), status('running')], FOLLOW_UP).end).toBeUndefined();
    expect(ownRun([user(FOLLOW_UP), status('stuck')], FOLLOW_UP).end).toBe('stuck');
    expect(ownRun([user('x'), status('finished')], '  ').found).toBe(false);
    // an agent message quoting the request is not the request
    expect(ownRun([agent(FOLLOW_UP), status('finished')], FOLLOW_UP).found).toBe(false);
  });
});

describe('ownRunFromAppServer', () => {
  /** A client whose event search pages `events` (oldest first) newest first, `size` a page. */
  function client(events: RunEvent[], size: number) {
    const calls: Array<string | undefined> = [];
    const c = {
      searchEvents: async (_id: string, opts: { pageId?: string } = {}) => {
        calls.push(opts.pageId);
        const newest = [...events].reverse();
        const from = Number(opts.pageId ?? 0);
        const items = newest.slice(from, from + size);
        return { items, nextPageId: from + size < newest.length ? String(from + size) : null };
      },
    };
    return { client: c as unknown as OpenHandsClient, calls };
  }

  it('pages back to our message and finds the end after it', async () => {
    const events = [...previous, user(FOLLOW_UP), status('running'), stats(), stats(), agent('Docs.'), status('finished')];
    const { client: c, calls } = client(events, 2);
    const r = await ownRunFromAppServer(c, 'id', FOLLOW_UP);
    expect(r.end).toBe('finished');
    expect(r.after).toHaveLength(5);
    expect(calls).toEqual([undefined, '2', '4']);
  });

  it('stops at the mark: our message is not there yet, so nothing has ended', async () => {
    const events = [...previous, status('finished')];
    const mark = previous[2]!.id;
    const { client: c, calls } = client(events, 2);
    const r = await ownRunFromAppServer(c, 'id', FOLLOW_UP, { markId: mark });
    expect(r).toEqual({ found: false, after: [] });
    expect(calls).toEqual([undefined, '2']);
  });

  it('all events read and no message: not ended; past the page budget, everything read counts as after it', async () => {
    const { client: c } = client(previous, 100);
    expect((await ownRunFromAppServer(c, 'id', FOLLOW_UP)).found).toBe(false);
    const long = [user(FOLLOW_UP), ...Array.from({ length: 10 }, stats), status('running'), status('finished')];
    const { client: c2, calls } = client(long, 2);
    const r = await ownRunFromAppServer(c2, 'id', FOLLOW_UP, { pages: 3 });
    expect(calls).toHaveLength(3);
    expect(r).toMatchObject({ found: true, end: 'finished' });
    expect(r.messageId).toBeUndefined();
  });
});
