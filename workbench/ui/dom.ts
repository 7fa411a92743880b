/** A tiny element builder: h('button', { class: 'x', 'aria-label': 'Run' }, 'Run'). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | number | undefined | ((e: Event) => void)> = {},
  ...children: (Node | string | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value as EventListener);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== undefined && child !== false) el.append(child);
  return el;
}

export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let area = document.getElementById('toasts');
  if (!area) {
    area = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(area);
  }
  const item = h('div', { class: `toast ${kind}` }, message);
  area.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 3500);
}
