import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody, readJson } from '../http/body.ts';
import { HttpError } from '../http/errors.ts';
import type { Person } from '../identity/alb-jwt.ts';
import { checkName, type Listing, type NotebookEntry } from '../notebooks.ts';
import { RepositoryError, type GitFileState, type GitStates, type GitSummary, type NotebookRepository } from './repository.ts';

/** A listing entry with its git state ('clean' when git has nothing to say about it). */
export type GitNotebookEntry = NotebookEntry & { git: GitFileState };
/** The list API's answer when the notebooks are in a git working copy. */
export type GitListing = Omit<Listing, 'notebooks'> & { notebooks: GitNotebookEntry[]; git: GitSummary | { error: string } };

const CLEAN: GitFileState = { status: 'clean', behind: false };

const CommitBody = z.object({
  message: z.string().trim().min(1, 'a commit needs a message').max(5000),
  /** Token sign-in only (there is no signed-in person): who to name as the author. Ignored behind the ALB. */
  author: z.object({ name: z.string().trim().min(1).max(200), email: z.email() }).optional(),
});

/** Each notebook of a listing with its state; a git failure is reported beside the listing, never instead of it. */
export async function withGitStates(listing: Listing, repo: NotebookRepository): Promise<GitListing> {
  let states: GitStates;
  try {
    states = await repo.states();
  } catch (err) {
    return { ...listing, notebooks: listing.notebooks.map((entry) => ({ ...entry, git: CLEAN })), git: { error: `git status failed: ${(err as Error).message}` } };
  }
  return { ...listing, notebooks: listing.notebooks.map((entry) => ({ ...entry, git: states.files[entry.name] ?? CLEAN })), git: states.summary };
}

const isListing = (body: unknown): body is Listing => typeof body === 'object' && body !== null && Array.isArray((body as Listing).notebooks);

/** Repository refusals answer with their status (409 nothing to commit, 502 the remote failed, ...). */
async function answering(fn: () => Promise<unknown>, ctx: Context): Promise<void> {
  try {
    ctx.body = await fn();
  } catch (err) {
    if (err instanceof RepositoryError) throw new HttpError(err.status, err.message);
    throw err;
  }
}

/**
 * The git API, mounted under /api before the notebooks API: the list gains each notebook's state (this
 * handler runs first and decorates the notebooks API's answer), `GET /git` (states and branch), `POST
 * /git/pull`, and `POST /notebooks/:name/commit` with `{ message }` — the author is the signed-in person.
 */
export function gitApi(router: Router, repo: NotebookRepository): void {
  router.get('/notebooks', async (ctx, next) => {
    await next();
    if (ctx.status === 200 && isListing(ctx.body)) ctx.body = await withGitStates(ctx.body, repo);
  });
  router.get('/git', (ctx) => answering(() => repo.states(), ctx));
  router.post('/git/pull', (ctx) => answering(() => repo.pull(), ctx));
  router.post('/notebooks/:name/commit', async (ctx) => {
    const name = checkName(ctx.params.name!);
    const body = parseBody(CommitBody, await readJson(ctx));
    const person = ctx.state.person as Person | undefined;
    // Signed in through the load balancer: the verified person is the author, whatever the body says.
    const author = person ? { name: person.name, email: person.email } : body.author;
    await answering(() => repo.commit(name, body.message, author), ctx);
  });
}
