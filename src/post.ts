/**
 * The post step (post-if: always()). If the main step was killed before it wrote its final
 * state (a hard cancel, a runner shutdown), the comment would say "working…" forever: this
 * rewrites it as cancelled and, with on-cancel: pause, pauses the sandbox.
 */
import * as core from '@actions/core';
import { parseConfig, readInputs } from './config.js';
import { STATE } from './constants.js';
import { getErrorMessage } from './errors.js';
import { updateComment } from './github/comments.js';
import type { Env } from './github/event.js';
import { createOctokit } from './github/octokit.js';
import { pauseSandboxNow } from './openhands/client.js';
import { SecretBox } from './redact.js';
import { renderComment } from './render/comment.js';
import type { Report } from './report.js';
import { ownSandbox } from './steps/outcome.js';

const UNFINISHED = new Set(['pending', 'started', 'ready', 'followed_up']);

export async function runPost(deps: { env: Env }): Promise<void> {
  const saved = core.getState(STATE.comment);
  if (!saved || core.getState(STATE.finalWritten) === 'true') return;
  const secrets = new SecretBox((s) => core.setSecret(s));
  try {
    const { owner, repo, id, report } = JSON.parse(saved) as { owner: string; repo: string; id: number; report: Report };
    const cfg = parseConfig(readInputs((n) => core.getInput(n)), { env: deps.env, workspace: deps.env.GITHUB_WORKSPACE || process.cwd() });
    secrets.add(cfg.githubToken);
    secrets.add(cfg.apiKey);
    // A final report whose last write failed is written as it was; only an unfinished one means
    // the main step was stopped before it could say how the run ended.
    if (!report.final && UNFINISHED.has(report.status)) {
      report.status = 'cancelled';
      report.error = 'The job stopped before the action could report a final state (cancelled or killed).';
      const sandboxId = ownSandbox(report);
      if (cfg.onCancel === 'pause' && sandboxId && cfg.apiKey) {
        try {
          await pauseSandboxNow(cfg.baseUrl, cfg.apiKey, sandboxId);
          report.sandboxStatus = 'PAUSED';
          report.error += ' The sandbox was paused (on-cancel: pause).';
        } catch (error) {
          core.warning(`Could not pause sandbox ${sandboxId}: ${getErrorMessage(error)}`);
        }
      }
    }
    report.final = true;
    report.updatedAt = Date.now();
    const octokit = createOctokit(cfg.githubToken ?? '', (deps.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''));
    await updateComment(octokit, { owner, repo }, id, secrets.redact(renderComment(report)));
    core.info(`Marked the status comment ${id} as ${report.status}`);
  } catch (error) {
    core.warning(`Post step could not finalise the status comment: ${secrets.redact(getErrorMessage(error))}`);
  }
}
