import type { ChangeBus } from "../change-bus.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";

/**
 * Repositories by name for the read operations, which would otherwise spend a fifth of their
 * time on the same SQL lookup. Dropped on every "repositories" notice (create, delete, rename,
 * any ref change), like the service's own listing cache; a lookup that a notice overtook is
 * not kept, so a deleted or renamed repository is never served from here.
 */
export class RepositoryCache {
  private readonly byName = new Map<string, Repository>();
  private generation = 0;

  constructor(
    private readonly repos: RepositoryService,
    bus: ChangeBus,
  ) {
    bus.subscribe("repositories", () => {
      this.generation++;
      this.byName.clear();
    });
  }

  async require(nameInput: unknown): Promise<Repository> {
    const hit = typeof nameInput === "string" ? this.byName.get(nameInput) : undefined;
    if (hit) return hit;
    const generation = this.generation;
    const repo = await this.repos.require(nameInput); // validates the name, throws when absent
    if (generation === this.generation) this.byName.set(repo.name, repo);
    return repo;
  }
}
