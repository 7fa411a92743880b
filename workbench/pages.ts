import type { ShellAssets } from './build.ts';
import { MAX_MESSAGE_META } from './message-limit.ts';
import { escapeHtml } from './sanitise.ts';
import { ASSETS_META } from './ui/assets.ts';

/** The two server-rendered pages: the login form and the app shell the browser UI mounts into. */

export function loginPage({ next, error }: { next: string; error?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Log in · Trailbook</title><link rel="stylesheet" href="/static/style.css"></head>
<body class="login-page">
<main class="login-card">
  <h1 class="brand">Trailbook</h1>
  <p>Enter the access token printed by <code>trailbook serve</code>.</p>
  ${error ? `<p class="login-error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="${escapeHtml(next)}">
    <label for="token">Access token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit" class="primary">Log in</button>
  </form>
</main>
</body></html>
`;
}

/**
 * `maxMessageBytes` tells the UI which cells it may send over the kernel socket (see message-limit.ts).
 * `assets` are the build's content-hashed URLs (build.ts): the stylesheet and the app entry (preloaded
 * with the chunks it imports, so they download in parallel), and in a meta tag what loads later
 * (Monaco's stylesheet, the workers). Monaco's stylesheet is not linked here: the shell and the first
 * cells paint without its 175 KB, and loadMonaco() fetches it with the editor.
 */
export function shellPage({ maxMessageBytes, assets }: { maxMessageBytes: number; assets: ShellAssets }): string {
  const attr = escapeHtml;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="${MAX_MESSAGE_META}" content="${maxMessageBytes}">
<meta name="${ASSETS_META}" content="${attr(JSON.stringify(assets.late))}">
<title>Trailbook</title>
${assets.styles.map((href) => `<link rel="stylesheet" href="${attr(href)}">`).join('\n')}
${[assets.script, ...assets.preload].map((href) => `<link rel="modulepreload" href="${attr(href)}">`).join('\n')}
<script type="module" src="${attr(assets.script)}"></script>
</head>
<body><div id="app" aria-live="polite"><p class="loading">Loading…</p></div></body></html>
`;
}
