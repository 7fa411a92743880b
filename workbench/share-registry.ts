import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.ts';
import { ensureStateDir } from './state.ts';

/**
 * Every share link ever created, kept in the state directory (`share-links.json`, 0600, written
 * atomically) so links can be listed and revoked. A link is never deleted from it: a revoked link stays,
 * marked, so its page can say "revoked" instead of "unknown". One workbench process owns a state
 * directory; writes within it are serialised.
 */

export const ShareLink = z.object({
  id: z.string(),
  notebookId: z.string(),
  /** The notebook's name when the link was made: a hint, the id is what the link follows. */
  notebookName: z.string(),
  created: z.string(),
  /** ISO time, or null for a link made explicitly without expiry. */
  expires: z.string().nullable(),
  createdBy: z.string(),
  revoked: z.boolean(),
  revokedAt: z.string().optional(),
});
export type ShareLink = z.infer<typeof ShareLink>;

const RegistryFile = z.object({ version: z.literal(1), links: z.array(ShareLink) });

export const REGISTRY_FILE = 'share-links.json';

export class ShareRegistry {
  private readonly path: string;
  /** Mutations run one after another (read, change, write atomically). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, REGISTRY_FILE);
  }

  async all(): Promise<ShareLink[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = RegistryFile.safeParse((() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })());
    // Never reset a damaged registry silently: that would revive revoked links' ids for nothing and lose the list.
    if (!parsed.success) throw new Error(`the share-link registry ${this.path} is damaged; fix or remove it (removing it disables every existing link)`);
    return parsed.data.links;
  }

  async get(id: string): Promise<ShareLink | undefined> {
    return (await this.all()).find((l) => l.id === id);
  }

  async create(link: { notebookId: string; notebookName: string; expiresAt: number | null; createdBy: string }, now = Date.now()): Promise<ShareLink> {
    return this.mutate((links) => {
      const created: ShareLink = {
        id: randomBytes(12).toString('base64url'),
        notebookId: link.notebookId,
        notebookName: link.notebookName,
        created: new Date(now).toISOString(),
        expires: link.expiresAt === null ? null : new Date(link.expiresAt).toISOString(),
        createdBy: link.createdBy,
        revoked: false,
      };
      links.push(created);
      return created;
    });
  }

  /** Marks a link revoked; undefined when there is no such link. Revoking twice keeps the first time. */
  async revoke(id: string, now = Date.now()): Promise<ShareLink | undefined> {
    return this.mutate((links) => {
      const link = links.find((l) => l.id === id);
      if (link && !link.revoked) {
        link.revoked = true;
        link.revokedAt = new Date(now).toISOString();
      }
      return link;
    });
  }

  private mutate<T>(change: (links: ShareLink[]) => T): Promise<T> {
    const run = this.chain.then(async () => {
      const links = await this.all();
      const result = change(links);
      await ensureStateDir(this.stateDir);
      await writeFileAtomic(this.path, JSON.stringify({ version: 1, links }, null, 1) + '\n', 0o600);
      return result;
    });
    this.chain = run.catch(() => {});
    return run;
  }
}
