/**
 * `npm run bench:finalize [-- --quick]`: the finalize figures (scripts/bench/finalize.ts).
 * Runs the BUILT action against the emulator and the GitHub fake; writes
 * bench-results/finalize-latest.{md,json}. Never fails on a missed target.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACTION_ROOT, DIST_ENTRY } from '../test/e2e/harness.ts';
import { billedMinutes, finalizeRequests, idleFinalizeMinutesPerDay, readyStepExtraMs, simRunnerMinutes, type RunnerModel } from './bench/finalize.ts';
import { mdTable, textTable } from './bench/report.ts';
import { useEntry } from './bench/runs.ts';
import { fmt, median } from './bench/stats.ts';

const QUICK = parseArgs({ options: { quick: { type: 'boolean', default: false } } }).values.quick ?? false;
const MIN = 60_000;
/** The start the other figures use (bench.ts START_MS); the real service's cold starts are often longer: see the 90 s row. */
const START_MS = 12_000;
/** Runner set-up and clean-up around the step (job set-up, post step): an assumption, not measured here. */
const JOB_OVERHEAD_MS = 10_000;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'oh-bench-finalize-'));
try {
  cpSync(path.dirname(DIST_ENTRY), path.join(tmp, 'dist'), { recursive: true });
  useEntry(path.join(tmp, 'dist', 'index.js'));
  process.stderr.write(`bench:finalize: ${QUICK ? 'quick, ' : ''}node ${process.version}, load ${os.loadavg()[0]?.toFixed(2)}\n`);
  const requests = await finalizeRequests(50, 10);
  const readyExtra = await readyStepExtraMs(QUICK ? 1 : 3, START_MS);
  // wait: finished sees the end within ~0.1 s over the live socket (docs/performance.md): 1 s here.
  const base: RunnerModel = {
    conversations: 10,
    spacingMs: 3 * MIN,
    agentMs: 30 * MIN,
    startMs: START_MS,
    jobOverheadMs: JOB_OVERHEAD_MS,
    readyStepExtraMs: readyExtra,
    finishedStepExtraMs: 1000,
    finalizeStepMs: requests.durationMs,
    finalizeEveryMs: 10 * MIN,
  };
  const rows = [
    { name: '12 s starts (as the other figures)', m: base },
    { name: '90 s starts (a slow sandbox)', m: { ...base, startMs: 90_000 } },
    { name: 'all 10 at once', m: { ...base, spacingMs: 0 } },
  ].map(({ name, m }) => ({ name, r: simRunnerMinutes(m) }));
  const runnerHead = ['scenario', 'wait: finished', 'wait: ready + finalize /10 min', 'finalize runs', 'ratio', 'per agent-hour (finished → ready+finalize)', 'result after the agent ends (median, max)', 'never final'];
  const runnerRows = rows.map(({ name, r }) => [
    name,
    `${r.finishedMinutes} min`,
    `${r.readyMinutes + r.finalizeMinutes} min (${r.readyMinutes} + ${r.finalizeMinutes})`,
    String(r.finalizeRuns),
    `${(r.ratio * 100).toFixed(1)} %`,
    `${(r.finishedMinutes / r.agentHours).toFixed(1)} → ${((r.readyMinutes + r.finalizeMinutes) / r.agentHours).toFixed(1)}`,
    `${fmt(median([...r.resultDelaysMs]), 'ms')}, ${fmt(Math.max(...r.resultDelaysMs), 'ms')}`,
    String(r.neverFinal),
  ]);
  const reqHead = ['finalize run', 'app-server requests', 'batch reads', 'agent-server requests', 'GitHub requests', 'finalized / still running', 'duration'];
  const reqRows = [
    ['nothing tracked', String(requests.idleRequests), '0', '0', '—', '0 / 0', fmt(requests.idleMs, 'ms')],
    [
      `${requests.tracked} tracked, ${requests.ended} ended`,
      String(requests.appRequests),
      String(requests.batchReads),
      String(requests.agentRequests),
      String(requests.githubRequests),
      `${requests.finalized} / ${requests.stillRunning}`,
      fmt(requests.durationMs, 'ms'),
    ],
  ];
  const routes = Object.entries(requests.byRoute)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  const idleDay = idleFinalizeMinutesPerDay(10 * MIN, requests.idleMs, JOB_OVERHEAD_MS);
  const notes = [
    `Runner minutes are simulated from measured step times: a wait: ready step ends ${fmt(readyExtra, 'ms')} after READY (median of ${QUICK ? 1 : 3} runs), a finalize step over ${requests.tracked} conversations takes ${fmt(requests.durationMs, 'ms')}; each job adds ${JOB_OVERHEAD_MS / 1000} s of runner set-up (assumed) and is billed rounded up to the minute (${billedMinutes(1)} min at least).`,
    '10 conversations triggered 3 min apart, each agent working 30 min; finalize on a 10-minute cron, counted from the first trigger to the run after the last agent ends.',
    `An idle 10-minute schedule costs ${idleDay} billed runner-minutes a day (each run ~${fmt(requests.idleMs, 'ms')}, no OpenHands request).`,
    `App-server requests of the ${requests.tracked}/${requests.ended} finalize run, by route: ${routes}.`,
  ];
  const title = `Finalize bench · ${new Date().toISOString()} · load ${os.loadavg()[0]?.toFixed(2)}`;
  console.log(`\n${title}\n\n${textTable(runnerHead, runnerRows)}\n\n${textTable(reqHead, reqRows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  const md = `## ${title}\n\n${mdTable(runnerHead, runnerRows)}\n\n${mdTable(reqHead, reqRows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
  const out = path.join(ACTION_ROOT, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'finalize-latest.md'), md);
  writeFileSync(path.join(out, 'finalize-latest.json'), `${JSON.stringify({ title, requests, readyExtra, runner: rows }, null, 2)}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
