/**
 * Octokit, loaded on first use: the bundle's cold start (spawn to first request) does not pay for
 * Octokit's endpoint tables when the run needs no GitHub call first. Import only this (and types
 * from ./octokit.js) so the bundler can keep Octokit in a chunk of its own.
 */
import type { Octokit, OctokitOptions } from './octokit.js';

export async function loadOctokit(token: string, apiUrl: string, opts?: OctokitOptions): Promise<Octokit> {
  // Eager: kept in dist/index.js (minified, licenses listed), but evaluated only here.
  const { createOctokit } = await import(/* webpackMode: "eager" */ './octokit.js');
  return createOctokit(token, apiUrl, opts);
}
