import type { DirectoryUser, UsersSource } from './ports';

/** The part of @ci-connector/ci-api's ProvidersClient the worker reads users through. */
export interface PagedUsersClient {
  listUsers(tenantId: string, opts?: { signal?: AbortSignal }): AsyncIterable<{ users: readonly DirectoryUser[] }>;
}

/** Adapts the providers client's pages (`{ users, index, … }`) to the sync's UsersSource (arrays of users). */
export function usersSourceOf(client: PagedUsersClient): UsersSource {
  return {
    listUsers(tenantId, opts) {
      const pages = client.listUsers(tenantId, opts?.signal ? { signal: opts.signal } : {});
      return (async function* () {
        for await (const page of pages) yield page.users;
      })();
    },
  };
}
