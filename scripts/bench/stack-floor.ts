/**
 * The cold-start floor of the action's stack: nothing but `@actions/core` and `@actions/github`
 * (and the undici both load) making the action's first request. The bench bundles this file with
 * ncc like the action and times its spawn → first request next to the action's.
 */
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';

const [owner = '', repo = ''] = (process.env.GITHUB_REPOSITORY ?? '/').split('/');
const octokit = getOctokit(core.getInput('github-token') || 'none', { baseUrl: process.env.GITHUB_API_URL });
await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: process.env.GITHUB_ACTOR ?? 'someone' }).catch(() => undefined);
