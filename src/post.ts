/**
 * The post step (post-if: always()). If the main step was killed before it wrote its final
 * state (a hard cancel, a runner shutdown), the comment would say "working…" forever: this
 * rewrites it as cancelled and, with on-cancel: pause, pauses the sandbox. It also lands a final
 * comment the main step could not write (a rate limit, an outage), creating it if need be.
 */
import * as core from '@actions/core';
import { parseConfig, readInputs } from './config.js';
import { INPUT, STATE } from './constants.js';
import { getErrorMessage } from './errors.js';
import { createStickyComment, findStickyComment, updateComment } from './github/comments.js';
import type { Env } from './github/event.js';
import { loadOctokit } from './github/load.js';
import { SecretBox } from './redact.js';
import { renderComment } from './render/comment.js';
import type { SavedComment } from './reporter.js';
import { completeLeftCheckRun, type SavedCheckRun } from './steps/check-run.js';
import { pauseKilledRun } from './steps/pause.js';
import { STATUS } from './status.js';

export async function runPost(deps: { env: Env }): Promise<void> {
  // A dry run promised no writes: its post step does nothing, whatever the state says.
  if ((readInputs((n) => core.getInput(n))[INPUT.dryRun] ?? '').trim().toLowerCase() === 'true') {
    core.info('Dry run: the post step does nothing');
    return;
  }
  await postCheckRun(deps.env);
  const saved = core.getState(STATE.comment);
  // A comment GitHub refused for good was reported once by the main step; trying again only repeats it.
  if (!saved || core.getState(STATE.finalWritten) === 'true' || core.getState(STATE.commentRefused) === 'true') return;
  const secrets = new SecretBox((s) => core.setSecret(s));
  try {
    const { id, key, report, ...target } = checkedSavedComment(JSON.parse(saved), deps.env.GITHUB_REPOSITORY ?? '');
    const cfg = parseConfig(readInputs((n) => core.getInput(n)), { env: deps.env, workspace: deps.env.GITHUB_WORKSPACE || process.cwd() });
    secrets.add(cfg.githubToken);
    secrets.add(cfg.apiKey);
    // A final report whose last write failed is written as it was; only an unfinished one means
    // the main step was stopped before it could say how the run ended.
    if (!report.final && !STATUS[report.status].final) {
      report.status = 'cancelled';
      report.error = 'The job stopped before the action could report a final state (cancelled or killed).';
      if (await pauseKilledRun(report, cfg)) {
        report.sandboxStatus = 'PAUSED';
        report.error += ' The sandbox was paused (on-cancel: pause).';
      }
    }
    report.final = true;
    report.updatedAt = Date.now();
    const octokit = await loadOctokit(cfg.githubToken ?? '', (deps.env.GITHUB_API_URL || 'https://api.github.com').replace(/(?<!\/)\/+$/, ''), {
      onRetry: (m) => core.info(m),
    });
    const body = secrets.redact(renderComment(report));
    // No id: the main step's create failed, or may have landed unseen. Look before creating.
    const existing = id ?? (await findStickyComment(octokit, target, key))?.id;
    const written = existing === undefined ? (await createStickyComment(octokit, target, key, body)).id : existing;
    if (existing !== undefined) await updateComment(octokit, target, existing, body);
    core.info(`Marked the status comment ${written} as ${report.status}`);
  } catch (error) {
    core.warning(`Post step could not finalise the status comment: ${secrets.redact(getErrorMessage(error))}`);
  }
}

/** A check run the killed main step left in progress is completed as cancelled. */
async function postCheckRun(env: Env): Promise<void> {
  const saved = core.getState(STATE.checkRun);
  if (!saved) return;
  const secrets = new SecretBox((s) => core.setSecret(s));
  try {
    const cfg = parseConfig(readInputs((n) => core.getInput(n)), { env, workspace: env.GITHUB_WORKSPACE || process.cwd() });
    secrets.add(cfg.githubToken);
    const octokit = await loadOctokit(cfg.githubToken ?? '', (env.GITHUB_API_URL || 'https://api.github.com').replace(/(?<!\/)\/+$/, ''), { onRetry: (m) => core.info(m) });
    await completeLeftCheckRun(octokit, JSON.parse(saved) as SavedCheckRun);
    core.info('Marked the OpenHands check run as cancelled');
  } catch (error) {
    core.warning(`Post step could not complete the check run: ${secrets.redact(getErrorMessage(error))}`);
  }
}

/**
 * The main step's saved comment state, checked before anything acts on it: this repository, a
 * real issue number and comment id, a report with a known status. Anything else is refused.
 */
function checkedSavedComment(v: unknown, repository: string): SavedComment {
  const c = v as Partial<SavedComment> | null;
  const r = c?.report as Partial<SavedComment['report']> | undefined;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    typeof c.owner === 'string' &&
    typeof c.repo === 'string' &&
    (!repository || `${c.owner}/${c.repo}`.toLowerCase() === repository.toLowerCase()) &&
    Number.isSafeInteger(c.issueNumber) &&
    (c.id === undefined || c.id === null || Number.isSafeInteger(c.id)) &&
    typeof c.key === 'string' &&
    typeof r === 'object' &&
    r !== null &&
    typeof r.status === 'string' &&
    Object.hasOwn(STATUS, r.status) &&
    typeof r.final === 'boolean';
  if (!ok) throw new Error('the saved state of the main step is not one this action writes; nothing was done with it');
  return c as SavedComment;
}
