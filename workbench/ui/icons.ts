/**
 * Toolbar icons as inline SVG (fill: currentColor), so they show in every font and follow the theme.
 * Decorative only: the button's text is its name.
 */
const PATHS: Record<string, string> = {
  run: '<path d="M4 2.5v11l9-5.5z"/>',
  stop: '<rect x="3.5" y="3.5" width="9" height="9" rx="1"/>',
  restart: '<path d="M8 2a6 6 0 1 0 5.66 8l-1.42-.5A4.5 4.5 0 1 1 8 3.5V6l3.5-3.25L8-.5z"/>',
  up: '<path d="M8 2.5 13 8H9.75v5.5h-3.5V8H3z"/>',
  down: '<path d="M8 13.5 13 8H9.75V2.5h-3.5V8H3z"/>',
  remove: '<path d="M4.3 3.2 8 6.9l3.7-3.7 1.1 1.1L9.1 8l3.7 3.7-1.1 1.1L8 9.1l-3.7 3.7-1.1-1.1L6.9 8 3.2 4.3z"/>',
  add: '<path d="M7.25 3h1.5v4.25H13v1.5H8.75V13h-1.5V8.75H3v-1.5h4.25z"/>',
};

export type IconName = keyof typeof PATHS;

export function icon(name: IconName): HTMLElement {
  const span = document.createElement('span');
  span.className = 'icon-glyph';
  span.setAttribute('aria-hidden', 'true');
  // Static markup from the table above, never from data.
  span.innerHTML = `<svg viewBox="0 0 16 16" width="14" height="14" focusable="false">${PATHS[name]}</svg>`;
  return span;
}
