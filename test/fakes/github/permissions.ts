/**
 * The GitHub fake's collaborator permissions. `permission` is the LEGACY role (maintain is
 * reported as `write`, triage as `read`); the real role is in `role_name`.
 */
import { HttpError, R, type Helpers, type Route } from './http.ts';
import { DOCS, GITHUB_ACTIONS_BOT, LEGACY_PERMISSION, RANK, toUser } from './model.ts';
import type { Render } from './render.ts';
import type { Store } from './store.ts';

export function permissionRoutes(s: Store, r: Render, h: Helpers): Route[] {
  const { state } = s;
  const { userJson } = r;
  const { repoOf } = h;
  return [
    [
      'GET',
      new RegExp(`^${R}/collaborators/([^/]+)/permission$`),
      (ctx) => {
        repoOf(ctx);
        const login = decodeURIComponent(ctx.params[2] ?? '');
        let level = state.permissions.get(login.toLowerCase());
        if (level === undefined) {
          if (state.unknownPermission === 404) throw new HttpError(404, { message: `${login} is not a user`, documentation_url: DOCS });
          if (state.unknownPermission === 500) throw new HttpError(500, { message: 'Server Error' });
          level = 'none';
        }
        const user = toUser(login, GITHUB_ACTIONS_BOT);
        return {
          status: 200,
          body: {
            permission: LEGACY_PERMISSION[level],
            role_name: level,
            user: {
              ...userJson(user, ctx.apiBase),
              permissions: {
                admin: RANK[level] >= RANK.admin,
                maintain: RANK[level] >= RANK.maintain,
                push: RANK[level] >= RANK.write,
                triage: RANK[level] >= RANK.triage,
                pull: RANK[level] >= RANK.read,
              },
              role_name: level,
            },
          },
        };
      },
    ],
  ];
}
