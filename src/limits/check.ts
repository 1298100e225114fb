/**
 * The cross-run limits, checked before a run starts paid work (a start or a follow-up): a
 * spending cap over a rolling 24 hours for the repository (or this comment-key), and a number of
 * runs one person may start in a window. Read from what already exists: the repository's status
 * comments (their markers record who started what, when, and what it cost) and, for the
 * conversations that may still be spending, one batch read of the service. With neither limit
 * set nothing is read.
 */
import * as core from '@actions/core';
import type { Config } from '../config.js';
import { INPUT } from '../constants.js';
import { ConfigError } from '../errors.js';
import { listRepoStickyComments } from '../github/comments.js';
import { getRole } from '../github/issues.js';
import { OpenHandsClient } from '../openhands/client.js';
import { usage } from '../openhands/conversation.js';
import type { Run } from '../steps/run.js';
import { DAY_MS, ledger, runsBy, runsRoomAt, spendInWindow, spendRoomAt, toReadFresh } from './ledger.js';

export interface LimitsVerdict {
  /** why the trigger is not started (it is over a limit), else undefined */
  readonly refused?: string;
  /** the limits and where this run stands, for the job summary */
  readonly line: string;
}

const BATCH_IDS = 99;
const money = (usd: number): string => `$${usd.toFixed(2)}`;
const when = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const windowText = (ms: number): string => (ms % 3600_000 === 0 ? `${ms / 3600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);

export function limitsSet(cfg: Config): boolean {
  return cfg.maxCost24h !== undefined || cfg.maxRunsPerPerson !== undefined;
}

/** Who the run is for: the person the limits count. */
export function requester(run: Pick<Run, 'ctx'>): string {
  return run.ctx.comment?.author.login || run.ctx.sender.login || run.ctx.actor;
}

export async function checkLimits(run: Run): Promise<LimitsVerdict | undefined> {
  const { cfg, ctx, octokit } = run;
  if (!limitsSet(cfg)) return undefined;
  if (!octokit) throw new ConfigError(cfg.maxCost24h !== undefined ? INPUT.maxCost24h : INPUT.maxRunsPerPerson, 'a github-token is needed to read the runs the status comments record');
  const now = run.now();
  const perPerson = cfg.maxRunsPerPerson;
  const windowMs = Math.max(cfg.maxCost24h !== undefined ? DAY_MS : 0, perPerson?.windowMs ?? 0);
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const comments = await listRepoStickyComments(octokit, owner, repo, new Date(now - windowMs));
  const refusals: string[] = [];
  const parts: string[] = [];

  if (cfg.maxCost24h !== undefined) {
    const scoped = ledger(comments, cfg.maxCost24hScope === 'workflow' ? run.key : undefined);
    const fresh = await freshCosts(run, toReadFresh(scoped, now, DAY_MS));
    const spend = spendInWindow(scoped, fresh, now, DAY_MS);
    const scope = cfg.maxCost24hScope === 'workflow' ? `comment-key ${run.key}` : ctx.repository;
    parts.push(`spent ${money(spend.total)} of ${money(cfg.maxCost24h)} in the last 24 h (${scope}, ${spend.conversations.length} conversation(s))`);
    if (spend.total >= cfg.maxCost24h) {
      refusals.push(
        `over max-cost-24h: the conversations started for ${scope} in the last 24 hours cost ${money(spend.total)}, the cap is ${money(cfg.maxCost24h)}; ` +
          `room again after ${when(spendRoomAt(spend, cfg.maxCost24h, DAY_MS))}`,
      );
    }
  }
  if (perPerson) {
    const who = requester(run);
    const starts = runsBy(ledger(comments), who, now, perPerson.windowMs);
    const limit = `${perPerson.runs}/${windowText(perPerson.windowMs)}`;
    if (starts.length >= perPerson.runs && (await exempt(run, who))) {
      parts.push(`runs by @${who}: ${starts.length} in the last ${windowText(perPerson.windowMs)} (limit ${limit}; maintainers are exempt)`);
    } else {
      parts.push(`runs by @${who}: ${starts.length} of ${perPerson.runs} in the last ${windowText(perPerson.windowMs)}`);
      if (starts.length >= perPerson.runs) {
        refusals.push(
          `over max-runs-per-person: @${who} started ${starts.length} runs in the last ${windowText(perPerson.windowMs)} (limit ${limit}); ` +
            `room again after ${when(runsRoomAt(starts, perPerson.runs, perPerson.windowMs))}`,
        );
      }
    }
  }
  const line = `**Limits:** ${parts.join(' · ')}`;
  core.info(line.replace(/\*\*/g, ''));
  return refusals.length ? { refused: refusals.join('; '), line } : { line };
}

/** The cost now of conversations that may still be spending: batch reads of up to 99 ids. */
async function freshCosts(run: Run, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!ids.length || !run.cfg.apiKey) return out;
  const client = new OpenHandsClient({
    baseUrl: run.cfg.baseUrl,
    apiKey: run.cfg.apiKey,
    signal: run.signal,
    sleep: run.sleep,
    onRetry: (m) => core.info(run.secrets.redact(m)),
    onSecret: (s) => run.secrets.add(s),
  });
  try {
    for (let i = 0; i < ids.length; i += BATCH_IDS) {
      const got = await client.getConversations(ids.slice(i, i + BATCH_IDS));
      for (const c of got) {
        const cost = usage(c).cost;
        if (c && cost !== undefined) out.set(c.id, cost);
      }
    }
  } finally {
    await client.close();
  }
  return out;
}

/** max-runs-exempt: maintainers: admins and maintainers are not counted. */
async function exempt(run: Run, login: string): Promise<boolean> {
  if (run.cfg.maxRunsExempt !== 'maintainers' || !run.octokit) return false;
  const [owner, repo] = run.ctx.repository.split('/') as [string, string];
  try {
    return ['admin', 'maintain'].includes(await getRole(run.octokit, owner, repo, login));
  } catch {
    return false;
  }
}
