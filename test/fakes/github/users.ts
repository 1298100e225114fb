/** The GitHub fake's users: `GET /user`, which only a user token (a PAT) may call. */
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
  ];
}
