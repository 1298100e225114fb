/**
 * The post step (post-if: always()). If the main step was killed before it wrote its final
 * state (a hard cancel, a runner shutdown), the comment would say "working…" forever: this
 * rewrites it as cancelled and, with on-cancel: pause, pauses the sandbox.
 */
import * as core from '@actions/core';
import { API_KEY_ENV, INPUT, STATE } from './constants.js';
import { getErrorMessage } from './errors.js';
import { updateComment } from './github/comments.js';
import { createOctokit } from './github/octokit.js';
import { OpenHandsClient } from './openhands/client.js';
import { SecretBox } from './redact.js';
import { renderComment } from './render/comment.js';
import type { Report } from './report.js';

const UNFINISHED = new Set(['pending', 'started', 'ready', 'followed_up']);

export async function runPost(deps: { env: Readonly<Record<string, string | undefined>> }): Promise<void> {
  const saved = core.getState(STATE.comment);
  if (!saved || core.getState(STATE.finalWritten) === 'true') return;
  const secrets = new SecretBox((s) => core.setSecret(s));
  try {
    const { owner, repo, id, report } = JSON.parse(saved) as { owner: string; repo: string; id: number; report: Report };
    const token = core.getInput(INPUT.githubToken);
    const apiKey = core.getInput(INPUT.apiKey) || deps.env[API_KEY_ENV] || '';
    secrets.add(token);
    secrets.add(apiKey);
    // A final report whose last write failed is written as it was; only an unfinished one means
    // the main step was stopped before it could say how the run ended.
    if (!report.final && UNFINISHED.has(report.status)) {
      report.status = 'cancelled';
      report.error = 'The job stopped before the action could report a final state (cancelled or killed).';
      if (core.getInput(INPUT.onCancel) !== 'keep' && report.sandboxId && apiKey) {
        const baseUrl = (core.getInput(INPUT.baseUrl) || 'https://app.all-hands.dev').replace(/\/+$/, '');
        const client = new OpenHandsClient({ baseUrl, apiKey, timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 300, maxDelayMs: 1000 } });
        try {
          await client.pauseSandbox(report.sandboxId);
          report.sandboxStatus = 'PAUSED';
          report.error += ' The sandbox was paused (on-cancel: pause).';
        } catch (error) {
          core.warning(`Could not pause sandbox ${report.sandboxId}: ${getErrorMessage(error)}`);
        } finally {
          await client.close();
        }
      }
    }
    report.final = true;
    report.updatedAt = Date.now();
    const octokit = createOctokit(token, (deps.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''));
    await updateComment(octokit, { owner, repo }, id, secrets.redact(renderComment(report)));
    core.info(`Marked the status comment ${id} as ${report.status}`);
  } catch (error) {
    core.warning(`Post step could not finalise the status comment: ${secrets.redact(getErrorMessage(error))}`);
  }
}
