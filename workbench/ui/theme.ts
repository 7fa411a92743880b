import { h } from './dom.ts';

/**
 * Light or dark: the system's `prefers-color-scheme` until the user picks one with the toggle, which
 * is remembered in localStorage. The resolved theme is written to <html data-theme> (the stylesheet's
 * switch, and what the editor reads when it creates an editor); listeners (the editor's theme) hear
 * every change, including the system's own.
 */

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'trailbook-theme';

const listeners = new Set<(theme: Theme) => void>();
const media = () => window.matchMedia('(prefers-color-scheme: dark)');

function stored(): Theme | undefined {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : undefined;
  } catch {
    return undefined; // storage disabled: follow the system
  }
}

export const currentTheme = (): Theme => stored() ?? (media().matches ? 'dark' : 'light');

function apply(): void {
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  for (const listener of listeners) listener(theme);
}

let started = false;
export function initTheme(): void {
  if (started) return;
  started = true;
  apply();
  media().addEventListener('change', apply);
}

/** Switches to the other theme and remembers the choice. */
export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // not remembered, but still switched for this page
  }
  apply();
  return next;
}

export function onThemeChange(listener: (theme: Theme) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The header's theme switch: a toggle button, pressed while the dark theme is on. */
export function themeToggle(): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'subtle theme-toggle', 'aria-pressed': String(currentTheme() === 'dark'), title: 'Switch between light and dark theme' }, 'Dark theme');
  button.addEventListener('click', () => toggleTheme());
  onThemeChange((theme) => button.setAttribute('aria-pressed', String(theme === 'dark')));
  return button;
}
