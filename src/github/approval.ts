/** Reads a held request again at approval time, so the run never uses text kept from earlier. */
import type { HeldRequest, HeldText } from '../approval.js';
import type { Octokit } from './octokit.js';

/**
 * The held comment, review or issue/PR body as GitHub has it now, or 'gone' when it was deleted
 * (404 or 410). Any other failure propagates: the approval then fails rather than guessing.
 */
export async function readHeldRequest(octokit: Octokit, owner: string, repo: string, held: HeldRequest): Promise<HeldText> {
  try {
    const id = held.id ?? 0;
    switch (held.kind) {
      case 'issue_comment': {
        const { data } = await octokit.rest.issues.getComment({ owner, repo, comment_id: id });
        return found(data.body, data.user?.login, data.html_url);
      }
      case 'review_comment': {
        const { data } = await octokit.rest.pulls.getReviewComment({ owner, repo, comment_id: id });
        return found(data.body, data.user?.login, data.html_url);
      }
      case 'review': {
        const { data } = await octokit.rest.pulls.getReview({ owner, repo, pull_number: held.number, review_id: id });
        return found(data.body, data.user?.login, data.html_url);
      }
      case 'body': {
        const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: held.number });
        return found(data.body, data.user?.login, data.html_url);
      }
    }
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404 || status === 410) return { state: 'gone' };
    throw error;
  }
}

/** The issue's or PR's title and description now, which the prompt of an approved request also holds. */
export async function readHeldSubject(octokit: Octokit, owner: string, repo: string, number: number): Promise<{ title: string; body: string }> {
  const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: number });
  return { title: data.title, body: data.body ?? '' };
}

function found(body: string | null | undefined, author: string | undefined, url: string): HeldText {
  return { state: 'found', text: body ?? '', author: author ?? '', url };
}
