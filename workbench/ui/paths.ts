/**
 * Page URLs of notebooks and folders, as the server routes them: /notebooks/sub/name.ipynb and
 * /tree/sub (each part URL-encoded, the slashes kept), and the reverse.
 */

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export const notebookHref = (name: string): string => `/notebooks/${encodePath(name)}`;
export const folderHref = (path: string): string => (path ? `/tree/${encodePath(path)}` : '/');

/** The folder a notebook is in ('' at the top). */
export const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** What a page URL shows: a notebook, a folder of the list, or the top of the list. */
export function route(pathname: string): { page: 'notebook'; name: string } | { page: 'list'; folder: string } {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const notebook = /^\/notebooks\/(.+)$/.exec(pathname);
  if (notebook) return { page: 'notebook', name: notebook[1]!.split('/').map(decode).join('/') };
  const tree = /^\/tree\/(.+)$/.exec(pathname);
  return { page: 'list', folder: tree ? tree[1]!.split('/').map(decode).join('/').replace(/\/+$/, '') : '' };
}
