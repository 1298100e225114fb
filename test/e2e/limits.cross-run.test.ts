/**
 * The limits across runs, through the built action: a spending cap over a rolling 24 hours and
 * a number of runs per person, read from the status comments' markers and the service. A trigger
 * over a limit is not started and says why and when there is room; the next one goes through
 * once there is room.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markerKeyOf, parseMarker } from '../../src/marker.ts';
import { issueLabeled } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world({ github: { permissions: { Codertocat: 'write', maintainer: 'maintain' } } });
});
afterEach(async () => {
  await w.close();
});

const HOUR = 3600_000;
const label = (number: number, inputs: Record<string, string>, sender = 'Codertocat', runId = String(1000 + number)) =>
  w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands', number, sender }), runId, inputs: { wait: 'ready', ...inputs } });

/** Rewrites the marker of the status comment on issue `n` (as if time had passed, or a run had cost more). */
function editMarker(n: number, edit: (state: Record<string, unknown>) => Record<string, unknown>): void {
  const c = w.gh.commentsOn(n)[0];
  if (!c) throw new Error(`no comment on #${n}`);
  const key = markerKeyOf(c.body) as string;
  const state = parseMarker(c.body, key) as unknown as Record<string, unknown>;
  const encoded = Buffer.from(JSON.stringify(edit(state))).toString('base64url');
  c.body = c.body.replace(/ state="[A-Za-z0-9_-]*" -->/, ` state="${encoded}" -->`);
  c.updated_at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

describe('max-cost-24h', () => {
  it('refuses a trigger while the repository spent the cap in 24 h, with the reason and when there is room; the next goes through', async () => {
    const first = await label(1, {});
    expect(first.code, first.stdout).toBe(0);
    // That conversation ended an hour after it started, having cost $6.
    const startedAt = Date.now() - HOUR;
    editMarker(1, (s) => ({ ...s, status: 'finished', startedAt, cost: 6 }));
    const starts = w.starts();

    const refused = await label(7, { 'max-cost-24h': '5' });
    expect(refused.code, refused.stdout).toBe(0);
    expect(refused.outputs.status).toBe('skipped');
    const room = new Date(startedAt + 24 * HOUR).toISOString().slice(0, 16).replace('T', ' ');
    expect(refused.outputs['skip-reason']).toBe(
      `over max-cost-24h: the conversations started for octo-org/octo-repo in the last 24 hours cost $6.00, the cap is $5.00; room again after ${room} UTC`,
    );
    expect(w.starts()).toBe(starts);
    expect(w.gh.commentsOn(7)[0]?.body).toContain('over max-cost-24h');
    expect(w.gh.commentsOn(7)[0]?.body).toContain('⏭️ Skipped');
    expect(refused.summary).toContain('**Limits:** spent $6.00 of $5.00 in the last 24 h');

    // A day later the $6 conversation left the window: the next trigger starts.
    editMarker(1, (s) => ({ ...s, startedAt: Date.now() - 25 * HOUR }));
    const next = await label(7, { 'max-cost-24h': '5' }, 'Codertocat', '2007');
    expect(next.code, next.stdout).toBe(0);
    expect(next.outputs.status).toBe('ready');
    expect(w.starts()).toBe(starts + 1);
    expect(next.summary).toContain('**Limits:** spent $0.00 of $5.00 in the last 24 h');
  }, 60_000);

  it('a re-run of a refused run is checked again: re-running the workflow does not get past the cap', async () => {
    const first = await label(1, {});
    expect(first.code, first.stdout).toBe(0);
    editMarker(1, (s) => ({ ...s, status: 'finished', startedAt: Date.now() - HOUR, cost: 6 }));
    const starts = w.starts();
    const refused = await label(7, { 'max-cost-24h': '5' });
    expect(refused.outputs.status).toBe('skipped');
    // Attempt 2 of the same workflow run finds its own refusal in the comment: it started nothing
    // there, so there is nothing to re-attach to, and the cap still holds.
    const again = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands', number: 7, sender: 'Codertocat' }), runId: '1007', runAttempt: '2', inputs: { wait: 'ready', 'max-cost-24h': '5' } });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs.status).toBe('skipped');
    expect(again.outputs['skip-reason']).toMatch(/^over max-cost-24h: /);
    expect(w.starts()).toBe(starts);
  }, 60_000);

  it('a conversation still working is read fresh: its cost now counts, not the one its comment recorded', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], stepMs: 50, costPerStep: 0.5 });
    const first = await label(1, {});
    expect(first.code, first.stdout).toBe(0);
    const cost = () => (w.emu.conversations[0]?.metrics as { accumulated_cost?: number } | null)?.accumulated_cost ?? 0;
    const deadline = Date.now() + 10_000;
    while (cost() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const before = w.ohRequests().length;
    const refused = await label(7, { 'max-cost-24h': '2' });
    expect(refused.outputs.status).toBe('skipped');
    expect(refused.outputs['skip-reason']).toMatch(/^over max-cost-24h: .* cost \$\d+\.\d\d, the cap is \$2\.00/);
    // One batch read of the live conversation, and no start.
    expect(w.ohRequests().slice(before)).toEqual(['GET /api/v1/app-conversations']);
  });

  it('off by default: no listing of the repository, no extra request', async () => {
    const r = await label(1, {});
    expect(r.code).toBe(0);
    expect(w.gh.requests.some((q) => q.method === 'GET' && /\/issues\/comments$/.test(q.path))).toBe(false);
    expect(r.summary).not.toContain('Limits');
  });
});

describe('max-runs-per-person', () => {
  it('refuses a person over the limit with when there is room, and lets the next run through once there is', async () => {
    const inputs = { 'max-runs-per-person': '1/1h', 'max-runs-exempt': 'none' };
    const first = await label(1, inputs);
    expect(first.outputs.status).toBe('ready');
    expect(first.summary).toContain('runs by @Codertocat: 0 of 1 in the last 1h');
    const startedAt = Number(parseMarker(w.gh.commentsOn(1)[0]?.body ?? '', markerKeyOf(w.gh.commentsOn(1)[0]?.body ?? '') as string)?.startedAt);

    const refused = await label(7, inputs);
    expect(refused.outputs.status).toBe('skipped');
    const room = new Date(startedAt + HOUR).toISOString().slice(0, 16).replace('T', ' ');
    expect(refused.outputs['skip-reason']).toBe(`over max-runs-per-person: @Codertocat started 1 runs in the last 1h (limit 1/1h); room again after ${room} UTC`);
    expect(w.starts()).toBe(1);
    expect(w.gh.commentsOn(7)[0]?.body).toContain('over max-runs-per-person');

    // Someone else is not limited by Codertocat's runs.
    w.gh.setPermission('hubot', 'write');
    w.gh.addIssue({ number: 3, title: 'Another issue' });
    const other = await label(3, inputs, 'hubot');
    expect(other.outputs.status).toBe('ready');

    // An hour later the first run left the window.
    editMarker(1, (s) => ({ ...s, startedAt: Date.now() - 2 * HOUR }));
    const next = await label(7, inputs, 'Codertocat', '3007');
    expect(next.outputs.status).toBe('ready');
    expect(w.starts()).toBe(3);
  }, 90_000); // five runs of the action: room for a loaded machine

  it('maintainers are exempt by default', async () => {
    const inputs = { 'max-runs-per-person': '1/1h' };
    expect((await label(1, inputs, 'maintainer')).outputs.status).toBe('ready');
    const second = await label(7, inputs, 'maintainer');
    expect(second.outputs.status).toBe('ready');
    expect(second.summary).toContain('maintainers are exempt');
  });

  it('a bad limit is named before any request', async () => {
    const r = await label(1, { 'max-runs-per-person': 'five an hour' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("max-runs-per-person");
    expect(r.stdout).toContain('expected runs/duration such as 5/1h');
    expect(w.ohRequests()).toEqual([]);
  });
});
