/**
 * run(): reads the inputs and the event, lets a Flow decide and act, and owns the outcome:
 * every path ends in one honest status, and the final comment, outputs and summary are written
 * in `finally`, whatever happened.
 */
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { parseConfig, readInputs, type Config } from './config.js';
import { API_KEY_ENV, INPUT, OUTPUT, STATE } from './constants.js';
import { OpenHandsApiError, StartFailedError, TimeoutError, getErrorMessage } from './errors.js';
import { Flow } from './flow.js';
import { parseEvent, type Env } from './github/event.js';
import { pauseSandboxNow } from './openhands/client.js';
import { SecretBox } from './redact.js';
import { renderReportMarkdown } from './render/comment.js';
import type { Reporter } from './reporter.js';
import { FAILING, type RunStatus } from './report.js';
import type { Sleep } from './retry.js';
import { writeSummary } from './summary.js';

export interface RunDeps {
  readonly env: Env;
  /** aborted when the runner cancels the job */
  readonly signal: AbortSignal;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

export async function run(deps: RunDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const secrets = new SecretBox((s) => core.setSecret(s));
  for (const name of Object.values(OUTPUT)) core.setOutput(name, '');
  core.saveState(STATE.isPost, 'true');

  let reporter: Reporter | undefined;
  let cfg: Config | undefined;
  let flow: Flow | undefined;
  try {
    const raw = readInputs((n) => core.getInput(n));
    secrets.add(raw[INPUT.apiKey]);
    secrets.add(raw[INPUT.githubToken]);
    secrets.add(deps.env[API_KEY_ENV]);
    const ctx = parseEvent(deps.env, readPayload(deps.env.GITHUB_EVENT_PATH));
    cfg = parseConfig(raw, { env: deps.env, workspace: deps.env.GITHUB_WORKSPACE || process.cwd() });
    const { apiKey: _k, githubToken: _t, promptTemplate, ...shown } = cfg;
    core.debug(`config: ${JSON.stringify({ ...shown, promptTemplate: `${promptTemplate?.length ?? 0} chars` })}`);

    flow = new Flow(cfg, ctx, { signal: deps.signal, now, sleep: deps.sleep }, secrets);
    reporter = await flow.prepare();
    if (!reporter) return;
    await flow.execute(reporter);
  } catch (error) {
    // A link to a conversation the service never acknowledged would lead nowhere.
    // (On a cancel the start may still be on its way: keep the id, to pause its sandbox.)
    if (reporter && flow && !flow.acknowledged && !deps.signal.aborted) reporter.report.conversationId = undefined;
    await fail(error, reporter, deps, cfg, secrets);
    if (!reporter && flow?.triggered) flow.reactLater('confused');
  } finally {
    if (reporter) {
      reporter.report.final = true;
      await reporter.update({}, { force: true });
      reporter.writeOutputs();
      await writeSummary(renderReportMarkdown(reporter.report), (t) => secrets.redact(t));
      const r = reporter.report;
      if (FAILING.has(r.status)) {
        flow?.reactLater('confused');
        core.setFailed(secrets.redact(r.error ?? `OpenHands conversation ended as ${r.status}`));
      }
    }
    await flow?.client?.close();
  }
}

/** Reports an error that escaped the flow: as the Report's final state, or plainly before one exists. */
async function fail(
  error: unknown,
  reporter: Reporter | undefined,
  deps: RunDeps,
  cfg: Config | undefined,
  secrets: SecretBox,
): Promise<void> {
  const cancelled = deps.signal.aborted;
  const status: RunStatus = cancelled ? 'cancelled' : error instanceof TimeoutError ? 'timed_out' : 'error';
  const message = cancelled ? 'The job was cancelled while waiting' : getErrorMessage(error);
  if (!reporter) {
    core.setOutput(OUTPUT.status, status);
    core.setFailed(secrets.redact(message));
    await writeSummary(`### OpenHands · ❌ Failed\n\n\`\`\`text\n${message}\n\`\`\``, (t) => secrets.redact(t));
    return;
  }
  if (!(error instanceof StartFailedError || error instanceof TimeoutError || error instanceof OpenHandsApiError || cancelled)) {
    core.debug(String((error as Error)?.stack ?? error));
  }
  reporter.report.status = status;
  reporter.report.error = message;
  // The sandbox takes the conversation's id when the client chose that id (ours always does).
  const sandboxId = reporter.report.sandboxId ?? reporter.report.conversationId;
  if (cancelled && cfg?.onCancel === 'pause' && sandboxId && cfg.apiKey) {
    try {
      await pauseSandboxNow(cfg.baseUrl, cfg.apiKey, sandboxId);
      reporter.report.sandboxStatus = 'PAUSED';
      reporter.report.error = `${message}; the sandbox was paused so it stops costing money (on-cancel: pause)`;
    } catch (e) {
      core.warning(`Could not pause the sandbox after the cancellation: ${getErrorMessage(e)}`);
    }
  }
}

function readPayload(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    core.warning(`Could not read the event payload at ${file}: ${getErrorMessage(error)}`);
    return {};
  }
}

