// Installation clients: which installation of the App covers a repository, and one Octokit per
// installation (building one costs more than the request it makes; its auth strategy renews the
// installation token on its own). Authorization and the effects share these, so a deciding click
// reviews with the client that checked it.
import { LRUCache } from "lru-cache";
import type { Probot, ProbotOctokit } from "probot";
import { httpStatus, splitRepository } from "./errors.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface Installations {
  /** The installation covering the repository; undefined when the App is not installed there. */
  forRepository(repository: string): Promise<number | undefined>;
  client(installationId: number): Promise<Octokit>;
  /** A client that can act as the App itself (JWT), e.g. to prove the private key can sign. */
  appClient(): Promise<Octokit>;
}

export function createInstallations(
  app: Probot,
  options: { ttlMs?: number; max?: number } = {},
): Installations {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const max = options.max ?? 10_000;
  // Concurrent look-ups of one key share one request (fetchMethod); a failure is not kept, and
  // "not installed" is not kept either, since installing takes effect at once.
  const repositories = new LRUCache<string, number>({
    max,
    ttl,
    fetchMethod: async (key) => {
      const [owner, repo] = splitRepository(key);
      try {
        const appOctokit = await app.auth();
        const { data } = await appOctokit.rest.apps.getRepoInstallation({ owner, repo });
        return data.id;
      } catch (error) {
        if (httpStatus(error) === 404) return undefined;
        throw error;
      }
    },
  });
  const clients = new LRUCache<number, Octokit>({
    max,
    ttl,
    fetchMethod: async (installationId) => (await app.auth(installationId)) as Octokit,
  });

  return {
    forRepository: (repository) => repositories.fetch(repository.toLowerCase()),
    async client(installationId) {
      const octokit = await clients.fetch(installationId);
      if (!octokit) throw new Error(`no client for installation ${installationId}`);
      return octokit;
    },
    async appClient() {
      return (await app.auth()) as Octokit;
    },
  };
}
