/**
 * The "OpenHands" check run on a commit: in progress while the agent works, then completed with
 * a conclusion. A token without `checks: write` gets 403: that is told to the caller once, as
 * 'forbidden', and later calls do nothing, so a run logs it once and carries on.
 */
import { GITHUB_COMMENT_LIMIT } from '../constants.js';
import { GitHubApiError } from '../errors.js';
import { NO_BLIND_RETRY, github } from './errors.js';
import type { Octokit } from './octokit.js';

export const CHECK_NAME = 'OpenHands';

export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'timed_out' | 'action_required' | 'skipped';

export interface CheckOutput {
  readonly title: string;
  /** markdown; cut to GitHub's limit */
  readonly summary: string;
}

/** 'written', 'forbidden' the first time GitHub refuses the token, 'skipped' after that (or with no check run). */
export type CheckOutcome = 'written' | 'forbidden' | 'skipped';

export interface CheckRunTarget {
  readonly owner: string;
  readonly repo: string;
  /** the commit the check run belongs to */
  readonly sha: string;
}

const cut = (o: CheckOutput): CheckOutput => ({ title: o.title.slice(0, 255), summary: o.summary.slice(0, GITHUB_COMMENT_LIMIT - 1) });

export class CheckRun {
  readonly #octokit: Octokit;
  readonly #t: CheckRunTarget;
  /** ties a created check run to this run, to find it again after an unclear create */
  readonly #externalId: string;
  #id: number | undefined;
  #forbidden = false;

  constructor(octokit: Octokit, target: CheckRunTarget, externalId: string) {
    this.#octokit = octokit;
    this.#t = target;
    this.#externalId = externalId;
  }

  get id(): number | undefined {
    return this.#id;
  }

  /** Creates the check run, in progress, linking to `detailsUrl` (the conversation). */
  async start(detailsUrl: string, output: CheckOutput): Promise<CheckOutcome> {
    if (this.#forbidden) return 'skipped';
    const { owner, repo, sha } = this.#t;
    const doing = `creating the ${CHECK_NAME} check run on ${owner}/${repo}@${sha.slice(0, 7)}`;
    const params = { owner, repo, name: CHECK_NAME, head_sha: sha, external_id: this.#externalId, details_url: detailsUrl };
    const create = async (retry: object): Promise<number> =>
      (await github(doing, () => this.#octokit.rest.checks.create({ ...params, status: 'in_progress', output: cut(output), ...retry }))).data.id;
    return this.#guard(async () => {
      try {
        this.#id = await create(NO_BLIND_RETRY);
      } catch (error) {
        // Created unseen? Adopt it rather than leave a second one "in progress" forever.
        if (!(error instanceof GitHubApiError && error.ambiguous)) throw error;
        this.#id = (await this.#findOurs()) ?? (await create(NO_BLIND_RETRY));
      }
    });
  }

  /** A new summary while in progress. */
  update(output: CheckOutput): Promise<CheckOutcome> {
    return this.#patch({ output: cut(output) });
  }

  /** Completed, with a conclusion (safe to repeat). */
  complete(conclusion: CheckConclusion, output: CheckOutput, detailsUrl?: string): Promise<CheckOutcome> {
    return this.#patch({ status: 'completed', conclusion, output: cut(output), ...(detailsUrl ? { details_url: detailsUrl } : {}) });
  }

  async #patch(fields: Record<string, unknown>): Promise<CheckOutcome> {
    const id = this.#id;
    if (this.#forbidden || id === undefined) return 'skipped';
    const { owner, repo } = this.#t;
    return this.#guard(async () => {
      await github(`updating the ${CHECK_NAME} check run ${id} on ${owner}/${repo}`, () =>
        this.#octokit.rest.checks.update({ owner, repo, check_run_id: id, ...fields }),
      );
    });
  }

  async #findOurs(): Promise<number | undefined> {
    const { owner, repo, sha } = this.#t;
    const { data } = await github(`listing check runs of ${owner}/${repo}@${sha.slice(0, 7)}`, () =>
      this.#octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: CHECK_NAME, per_page: 100 }),
    );
    return data.check_runs.find((c) => c.external_id === this.#externalId)?.id;
  }

  async #guard(op: () => Promise<void>): Promise<CheckOutcome> {
    try {
      await op();
      return 'written';
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 403 && !error.rateLimited) {
        this.#forbidden = true;
        return 'forbidden';
      }
      throw error;
    }
  }
}

/**
 * Completes a check run known only by its id (a finalize run, from the sticky comment's marker):
 * 'forbidden' when the token may not write checks. Safe to repeat.
 */
export async function completeCheckRunById(
  octokit: Octokit,
  t: { readonly owner: string; readonly repo: string; readonly id: number },
  conclusion: CheckConclusion,
  output: CheckOutput,
): Promise<CheckOutcome> {
  try {
    await github(`completing the ${CHECK_NAME} check run ${t.id} on ${t.owner}/${t.repo}`, () =>
      octokit.rest.checks.update({ owner: t.owner, repo: t.repo, check_run_id: t.id, status: 'completed', conclusion, output: cut(output) }),
    );
    return 'written';
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 403 && !error.rateLimited) return 'forbidden';
    throw error;
  }
}
