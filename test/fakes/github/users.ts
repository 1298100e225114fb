/**
 * The GitHub fake's users: `GET /user`, which only a user token (a PAT) may call, and GraphQL's
 * `viewer { login }`, which every token may ask (an installation token gets its bot,
 * `github-actions[bot]` for the GITHUB_TOKEN). Only the viewer query is modelled.
 */
import { HttpError, type Route } from './http.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export function userRoutes(s: Store, r: Render): Route[] {
  const { tokenKind, tokenUser } = s;
  const { userJson } = r;
  return [
    [
      'GET',
      /^\/user$/,
      (ctx) => {
        if (tokenKind === 'installation') {
          throw new HttpError(403, {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          });
        }
        return { status: 200, body: userJson(tokenUser, ctx.apiBase) };
      },
    ],
    [
      'POST',
      /^(\/api)?\/graphql$/,
      (ctx) => {
        const query = String((ctx.body as { query?: unknown } | undefined)?.query ?? '');
        if (!/\bviewer\s*\{\s*login\s*\}/.test(query)) {
          return { status: 200, body: { errors: [{ message: 'this fake answers only { viewer { login } }' }] } };
        }
        return { status: 200, body: { data: { viewer: { login: tokenUser.login } } } };
      },
    ],
  ];
}
