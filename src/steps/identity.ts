/**
 * What tells one step of a workflow run apart from its other steps and matrix legs: its job,
 * the step (GITHUB_ACTION), and what it asks: its prompt, branch and model, which with the
 * repository and the issue are everything the start request carries (GitHub gives an action no
 * matrix values; legs alike in all of these send the same request). The derived conversation
 * id includes it, and the sticky comment's marker keeps its fingerprint, so a step never
 * re-attaches to the conversation of another step that shares its comment.
 */
import { createHash } from 'node:crypto';
import { INPUT } from '../constants.js';
import { ConfigError } from '../errors.js';
import type { MarkerState } from '../marker.js';
import type { RunContext } from './run.js';

export function stepIdentity(run: Pick<RunContext, 'ctx' | 'cfg'>, work: { readonly branch?: string | undefined }): string[] {
  const asked = createHash('sha256').update(`${run.cfg.promptSource}\n${run.cfg.promptTemplate ?? ''}`).digest('hex').slice(0, 16);
  // Only when set, so that the ids (and marker fingerprints) of steps without it stay as they were.
  const model = run.cfg.llmModel ? [`model=${run.cfg.llmModel}`] : [];
  return [`job=${run.ctx.job}`, `step=${run.ctx.step}`, `prompt=${asked}`, `branch=${work.branch ?? ''}`, ...model];
}

/** A short fingerprint of stepIdentity, kept in the marker. */
export function stepFingerprint(run: Pick<RunContext, 'ctx' | 'cfg'>, work: { readonly branch?: string | undefined }): string {
  return createHash('sha256').update(stepIdentity(run, work).join('\n')).digest('hex').slice(0, 12);
}

/**
 * Fails loudly when this key's comment was written in this workflow run by another step or
 * matrix leg: the same attempt (a step writes its comment once per attempt), or another step's
 * fingerprint. Re-attaching there would take over that step's conversation and never send this
 * step's own task.
 */
export function assertOwnComment(run: Pick<RunContext, 'ctx' | 'cfg' | 'key'>, prev: MarkerState | undefined, work: { readonly branch?: string | undefined }): void {
  if (!prev || prev.runId !== run.ctx.runId) return;
  const mine = stepFingerprint(run, work);
  const sameAttempt = prev.runAttempt === run.ctx.runAttempt;
  if (!sameAttempt && (prev.step === undefined || prev.step === mine)) return;
  throw new ConfigError(
    INPUT.commentKey,
    `the comment of key '${run.key}' on this issue or PR was already written by another step or matrix leg of this workflow run ` +
      `(${sameAttempt ? `attempt ${prev.runAttempt}` : 'another step'}); two steps with one comment-key would take over each other's conversation. ` +
      'Give each step or matrix leg its own comment-key, e.g. comment-key: my-task-${{ matrix.name }}',
  );
}
