// The one status table (src/status.ts) against what users read: the README's (or docs') statuses
// table and action.yml's description of the `status` output.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerFor, markerLine, parseMarker } from '../../src/marker.ts';
import { OverBudgetError, statusOf, TimeoutError } from '../../src/errors.ts';
import { statusFromExecution } from '../../src/report.ts';
import { STATUS, checkConclusion, handedOver, headline, isRunStatus, type RunStatus } from '../../src/status.ts';
import { report } from './render-samples.ts';
import { ACTION_ROOT, readActionYml } from '../e2e/harness.ts';

const reported = (Object.keys(STATUS) as RunStatus[]).filter((s) => STATUS[s].readme !== undefined);

/** The `| status | meaning | step |` table, wherever the user docs keep it. */
function statusesTable(): { file: string; rows: Map<string, { meaning: string; step: string }> } {
  const docs = ['README.md', ...readdirSync(path.join(ACTION_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const file of docs) {
    const lines = readFileSync(path.join(ACTION_ROOT, file), 'utf8').split('\n');
    const at = lines.findIndex((l) => /^\|\s*status\s*\|\s*meaning\s*\|\s*step\s*\|\s*$/.test(l));
    if (at < 0) continue;
    const rows = new Map<string, { meaning: string; step: string }>();
    for (const line of lines.slice(at + 2)) {
      if (!line.startsWith('|')) break;
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      rows.set(cells[0]!.replace(/^`|`$/g, ''), { meaning: cells[1]!, step: cells[2]! });
    }
    return { file, rows };
  }
  throw new Error('no "| status | meaning | step |" table in README.md or docs/');
}

describe('the status table', () => {
  it('is what the statuses table in the docs says, row by row (meaning, and ✅/❌ for the step)', () => {
    const { file, rows } = statusesTable();
    expect([...rows.keys()].sort(), file).toEqual([...reported].sort());
    for (const s of reported) {
      expect(rows.get(s)!.meaning, `${file}: ${s}`).toBe(STATUS[s].readme);
      expect(rows.get(s)!.step, `${file}: ${s}`).toBe(STATUS[s].failing ? '❌' : '✅');
    }
  });

  it("names every status action.yml's `status` output can have, and no other", () => {
    const description = readActionYml().outputs.status!.description!;
    const named = new Set([...description.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    expect([...named].sort()).toEqual([...reported].sort());
  });

  it('fails the step exactly for the statuses that fail the check run or time it out or cancel it', () => {
    for (const s of Object.keys(STATUS) as RunStatus[]) {
      const c = checkConclusion({ status: s, final: true });
      expect(STATUS[s].failing, s).toBe(c === 'failure' || c === 'timed_out' || c === 'cancelled');
    }
  });

  it('an unfinished status is never failing, and only a final run at one with handed-over words was handed over', () => {
    for (const s of Object.keys(STATUS) as RunStatus[]) {
      if (!STATUS[s].final) expect(STATUS[s].failing, s).toBe(false);
      expect(handedOver({ status: s, final: false }), s).toBe(false);
      expect(handedOver({ status: s, final: true }), s).toBe(STATUS[s].handedOver !== undefined);
      if (STATUS[s].handedOver) expect(STATUS[s].final, s).toBe(false);
    }
    expect(headline({ status: 'ready', final: false })).toBe('🟢 Ready: the agent is working');
    expect(headline({ status: 'ready', final: true })).toBe('🟢 Ready: the agent is still working');
    expect(headline({ status: 'finished', final: true })).toBe('✅ Finished');
  });

  it('a status read back from a marker that this version does not know makes the marker damaged (no lookup of an unknown status)', () => {
    const r = report({ status: 'finished', final: true });
    expect(parseMarker(markerLine(r), r.key)?.status).toBe('finished');
    const state = JSON.parse(Buffer.from(/state="([^"]*)"/.exec(markerLine(r))![1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const status of ['exploded', '__proto__', 'toString', 7]) {
      const body = `${markerFor(r.key)} state="${Buffer.from(JSON.stringify({ ...state, status })).toString('base64url')}" -->`;
      expect(parseMarker(body, r.key), String(status)).toBeUndefined();
      expect(isRunStatus(status)).toBe(false);
    }
  });
});

describe('where a status comes from', () => {
  it('maps the end state to the action status', () => {
    expect(statusFromExecution('finished', 'RUNNING')).toBe('finished');
    expect(statusFromExecution('stuck', 'RUNNING')).toBe('stuck');
    expect(statusFromExecution(null, 'ERROR')).toBe('error');
  });

  it('maps errors to statuses; the over-budget message shows cost and cap', () => {
    const e = new OverBudgetError(2.5, 2);
    expect(e.message).toContain('$2.50');
    expect(e.message).toContain('max-cost ($2.00)');
    expect(statusOf(e, false)).toBe('over_budget');
    expect(statusOf(new TimeoutError('x', 'finish-timeout', 1000), false)).toBe('timed_out');
    expect(statusOf(e, true)).toBe('cancelled');
  });
});
