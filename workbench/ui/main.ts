import { renderList } from './list.ts';
import { NotebookPage } from './notebook.ts';

/** Entry point: the list at /, a notebook at /notebooks/<name>. */
const app = document.getElementById('app')!;
const match = /^\/notebooks\/([^/]+)$/.exec(location.pathname);
if (match) {
  const page = new NotebookPage(decodeURIComponent(match[1]!), app);
  (window as unknown as { trailbook: NotebookPage }).trailbook = page;
  void page.load();
} else {
  void renderList(app);
}
