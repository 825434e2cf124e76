/**
 * @module supertokens/routes/accountlinking — the AccountLinking recipe (CDI 4.0: supertokens-node 16+,
 * supertokens-python 0.25+): `/recipe/accountlinking/user/primary[/check]`, `…/link[/check]`, `…/unlink`,
 * and the linked ids sessions need. [glue]
 *
 * The rules and their transaction are the store's (store/accountlinking.ts); here ids are translated as
 * the Java core does: external ids are accepted wherever a user id is (`resolveUserId`) and every id
 * answered is the public one. An unknown user id is 400 `Unknown user ID provided`. Served without a
 * licence key (the Java core needs one for account linking).
 */
import { badInput } from '../errors.ts';
import type { Store } from '../store.ts';
import { ok, outcome, requireQuery, requireString, type Route, type RouteRequest, type RouteResponse } from './types.ts';
import { publicUserIds, resolveUserId } from './useridmapping.ts';
import { usersToJsonByIds } from './users.ts';

const UNKNOWN_USER = 'Unknown user ID provided';
const NOT_PRIMARY = 'The input primary user ID is not a primary user';

async function publicId(store: Store, appId: string, superTokensUserId: string): Promise<string> {
  return (await publicUserIds(store, appId, [superTokensUserId])).get(superTokensUserId) ?? superTokensUserId;
}

async function userJson(req: RouteRequest, superTokensUserId: string) {
  const [user] = await usersToJsonByIds(req.runtime.store, req.appId, [superTokensUserId]);
  return user;
}

/** Every id whose sessions belong to `publicUserId`'s user: its primary user's and every linked login method's (public ids). */
export async function linkedPublicUserIds(store: Store, appId: string, publicUserId: string): Promise<string[]> {
  const superTokensUserId = await resolveUserId(store, appId, publicUserId);
  const group = (await store.getLinkGroups(appId, [superTokensUserId])).get(superTokensUserId);
  if (group === undefined) return [publicUserId];
  const ids = await publicUserIds(store, appId, [group.primaryUserId, ...group.recipeUserIds]);
  return [...new Set([publicUserId, ...ids.values()])];
}

async function createPrimaryUser(req: RouteRequest, given: string, dryRun: boolean): Promise<RouteResponse> {
  const { store, clock } = req.runtime;
  const recipeUserId = await resolveUserId(store, req.appId, given);
  const result = await store.createPrimaryUser(req.appId, recipeUserId, dryRun, clock.nowMs());
  if (result.status === 'UNKNOWN_USER_ID') throw badInput(UNKNOWN_USER);
  if (result.status !== 'OK') return outcome(result.status, { primaryUserId: await publicId(store, req.appId, result.primaryUserId), description: result.description });
  if (dryRun) return ok({ wasAlreadyAPrimaryUser: result.wasAlreadyAPrimaryUser });
  return ok({ user: await userJson(req, recipeUserId), wasAlreadyAPrimaryUser: result.wasAlreadyAPrimaryUser });
}

async function linkAccounts(req: RouteRequest, givenRecipeUserId: string, givenPrimaryUserId: string, dryRun: boolean): Promise<RouteResponse> {
  const { store, clock } = req.runtime;
  const recipeUserId = await resolveUserId(store, req.appId, givenRecipeUserId);
  const primaryUserId = await resolveUserId(store, req.appId, givenPrimaryUserId);
  const result = await store.linkAccounts(req.appId, recipeUserId, primaryUserId, dryRun, clock.nowMs());
  switch (result.status) {
    case 'UNKNOWN_USER_ID':
      throw badInput(UNKNOWN_USER);
    case 'INPUT_USER_IS_NOT_A_PRIMARY_USER':
      // DIVERGENCE: the Java core's check answers no `description` here; supertokens-python (0.25-0.31)
      // reads one (`CanLinkAccountsInputUserNotPrimaryError(response["description"])`) and would raise
      // KeyError, so the check adds it. The link call answers the status alone, as the Java core.
      return outcome(result.status, dryRun ? { description: NOT_PRIMARY } : {});
    case 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR':
      return outcome(result.status, { primaryUserId: await publicId(store, req.appId, result.primaryUserId), description: result.description });
    case 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR':
      return outcome(result.status, {
        primaryUserId: await publicId(store, req.appId, result.primaryUserId),
        description: result.description,
        // The link call (not the check) also answers the primary user the recipe user belongs to.
        ...(dryRun ? {} : { user: await userJson(req, recipeUserId) }),
      });
    case 'OK':
      break;
  }
  if (dryRun) return ok({ accountsAlreadyLinked: result.accountsAlreadyLinked });
  // The recipe user's sessions carried its old user id (`sub`): the Java core revokes them.
  if (!result.accountsAlreadyLinked) await revokeSessionsOf(req, recipeUserId);
  return ok({ accountsAlreadyLinked: result.accountsAlreadyLinked, user: await userJson(req, result.primaryUserId) });
}

async function revokeSessionsOf(req: RouteRequest, superTokensUserId: string): Promise<void> {
  const { store } = req.runtime;
  const handles = await store.listSessionHandlesForUser(req.appId, null, await publicId(store, req.appId, superTokensUserId), 0);
  await store.deleteSessions(req.appId, handles);
}

export const accountLinkingRoutes: Route[] = [
  {
    method: 'GET',
    path: '/recipe/accountlinking/user/primary/check',
    scope: 'app',
    handle: (req) => createPrimaryUser(req, requireQuery(req.query, 'recipeUserId'), true),
  },
  {
    method: 'POST',
    path: '/recipe/accountlinking/user/primary',
    scope: 'app',
    handle: (req) => createPrimaryUser(req, requireString(req.body, 'recipeUserId'), false),
  },
  {
    method: 'GET',
    path: '/recipe/accountlinking/user/link/check',
    scope: 'app',
    handle: (req) => linkAccounts(req, requireQuery(req.query, 'recipeUserId'), requireQuery(req.query, 'primaryUserId'), true),
  },
  {
    method: 'POST',
    path: '/recipe/accountlinking/user/link',
    scope: 'app',
    handle: (req) => linkAccounts(req, requireString(req.body, 'recipeUserId'), requireString(req.body, 'primaryUserId'), false),
  },
  {
    method: 'POST',
    path: '/recipe/accountlinking/user/unlink',
    scope: 'app',
    async handle(req) {
      const { store } = req.runtime;
      const recipeUserId = await resolveUserId(store, req.appId, requireString(req.body, 'recipeUserId'));
      const result = await store.unlinkAccount(req.appId, recipeUserId);
      if (result.status === 'UNKNOWN_USER_ID') throw badInput(UNKNOWN_USER);
      // Unlinked (or deleted), the recipe user's sessions name a user it no longer belongs to.
      if (result.wasLinked) await revokeSessionsOf(req, recipeUserId);
      return ok({ wasRecipeUserDeleted: result.wasRecipeUserDeleted, wasLinked: result.wasLinked });
    },
  },
];
