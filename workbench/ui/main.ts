import { renderList } from './list.ts';
import { NotebookPage } from './notebook.ts';
import { route } from './paths.ts';

/** Entry point: the file browser at / and /tree/<folder>, a notebook at /notebooks/<folder>/<name>. */
const app = document.getElementById('app')!;
const where = route(location.pathname);
if (where.page === 'notebook') {
  const page = new NotebookPage(where.name, app);
  (window as unknown as { trailbook: NotebookPage }).trailbook = page;
  void page.load();
} else {
  void renderList(app, where.folder);
}
