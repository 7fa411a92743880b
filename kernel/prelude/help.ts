import { describeAs, escapeHtml, type MimeBundle } from '../child/display.ts';
import { display } from './display.ts';
import type { GlobalHelp, HelpMember, PreludeHelp } from './help-data.ts';
import type { PreludeModule } from './types.ts';

/**
 * `help(x)` and the cards the kernel's globals show when displayed (`cloudtrail` as a cell's last
 * expression): their methods with signatures and one-line docs. For the globals these come from the
 * prelude's declarations, read at build time (help-data.ts); any other value is described from what it
 * is at run time: its own and inherited methods with their parameters (from the function's source, or
 * its arity for native code), and its properties.
 */

let declared: PreludeHelp = { globals: {} };

/** Installs the declarations the kernel bundle was built with (child/main.ts). */
export function setPreludeHelp(help: PreludeHelp): void {
  declared = help;
}

/** Values known by name: a global, or a method of one. */
const names = new WeakMap<object, { global: string; member?: HelpMember }>();

const isObject = (v: unknown): v is object => (typeof v === 'object' && v !== null) || typeof v === 'function';

/** Called as a prelude global is defined: displaying it (or one of its declared methods) shows its card. */
export function describeGlobal(name: string, value: unknown): void {
  if (!isObject(value)) return;
  names.set(value, { global: name });
  describeAs(value, () => helpBundle(value));
  for (const member of declared.globals[name]?.members ?? []) {
    if (member.kind === 'call') continue;
    let fn: unknown;
    try {
      fn = (value as Record<string, unknown>)[member.name];
    } catch {
      continue; // a throwing getter
    }
    if (typeof fn !== 'function' || names.has(fn)) continue;
    names.set(fn, { global: name, member });
    describeAs(fn, () => helpBundle(fn));
  }
}

// --- Reflection, for values without declarations ---

const MAX_MEMBERS = 200;
const MAX_SIGNATURE = 140;

/** The text between the parenthesis at `open` and its match (strings and templates skipped roughly). */
function balanced(src: string, open: number): string | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return src.slice(open, i + 1);
  }
  return undefined;
}

/** `(args = {}, limit)`: from the function's source, or `(arg0, arg1)` from its arity when it is native or unreadable. */
export function parameters(fn: Function): string {
  let src = '';
  try {
    src = Function.prototype.toString.call(fn);
  } catch {
    // a revoked proxy
  }
  const byArity = `(${Array.from({ length: fn.length }, (_, i) => `arg${i}`).join(', ')})`;
  if (!src || /\{\s*\[native code\]\s*\}\s*$/.test(src)) return byArity;
  let params: string | undefined;
  const arrowParam = /^(?:async\s+)?([\w$]+)\s*=>/.exec(src);
  if (arrowParam) params = `(${arrowParam[1]})`;
  else if (/^class\b/.test(src)) {
    const ctor = /\bconstructor\s*\(/.exec(src);
    params = ctor ? balanced(src, ctor.index + ctor[0].length - 1) : '()';
  } else {
    const open = src.indexOf('(');
    params = open >= 0 ? balanced(src, open) : undefined;
  }
  if (!params) return byArity;
  params = params.replace(/\s+/g, ' ').replace(/\(\s+/, '(').replace(/\s+\)$/, ')');
  return params.length > MAX_SIGNATURE ? `${params.slice(0, MAX_SIGNATURE - 2)}…)` : params;
}

function preview(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array (${v.length})`;
  if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()}`;
  if (v instanceof Map || v instanceof Set) return `${v.constructor.name} (${v.size})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return (v as object).constructor?.name && (v as object).constructor !== Object ? (v as object).constructor.name : 'object';
  return `${typeof v} ${String(v)}`;
}

/** Own and inherited members, down to (not including) Object.prototype / Function.prototype. */
function reflectMembers(value: object): { members: HelpMember[]; total: number } {
  const seen = new Set<string>(['constructor']);
  const members: HelpMember[] = [];
  const stop = typeof value === 'function' ? Function.prototype : Object.prototype;
  for (let o: object | null = value; o && o !== stop && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (seen.has(key) || key.startsWith('__') || (typeof value === 'function' && ['length', 'name', 'prototype', 'arguments', 'caller'].includes(key))) continue;
      seen.add(key);
      const desc = Object.getOwnPropertyDescriptor(o, key)!;
      if (desc.get && !('value' in desc)) {
        members.push({ name: key, kind: 'property', type: 'getter' });
        continue;
      }
      const v = desc.value;
      if (typeof v === 'function') members.push({ name: key, kind: 'method', params: parameters(v), ...docOf(v) });
      else members.push({ name: key, kind: 'property', type: preview(v) });
    }
  }
  members.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'method' ? -1 : 1));
  return { members: members.slice(0, MAX_MEMBERS), total: members.length };
}

/** A function known as a global's method carries that method's declared doc. */
function docOf(fn: Function): { doc?: string } {
  const doc = names.get(fn)?.member?.doc;
  return doc ? { doc } : {};
}

// --- Cards ---

interface Card {
  title: string;
  doc?: string;
  members: HelpMember[];
  /** Lines after the table (more members, how to see one in full). */
  notes: string[];
}

const shorten = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function memberText(m: HelpMember, prefix: string, full: boolean): string {
  const type = m.type ? (full ? m.type : shorten(m.type, 70)) : undefined;
  if (m.kind === 'property') return `${prefix}${m.name}${type ? `: ${type}` : ''}`;
  return `${prefix}${m.name}${m.params ?? '()'}${type ? ` → ${type}` : ''}`;
}

function runtimeExtras(value: unknown, declaredNames: Set<string>): string[] {
  if (!isObject(value)) return [];
  // Underscored members are the library's internals, not part of what a notebook uses.
  return reflectMembers(value)
    .members.filter((m) => m.kind === 'method' && !declaredNames.has(m.name) && !m.name.startsWith('_'))
    .map((m) => m.name);
}

function globalCard(help: GlobalHelp, value: unknown): Card {
  const declaredNames = new Set(help.members.map((m) => m.name));
  const notes: string[] = [];
  const extras = runtimeExtras(value, declaredNames);
  if (help.more || extras.length) {
    const listed = extras.slice(0, 60).join(', ');
    notes.push(`${help.more ? `${help.more} ` : 'Also: '}${extras.length ? `${help.more ? '(' : ''}${listed}${extras.length > 60 ? `, and ${extras.length - 60} more` : ''}${help.more ? ')' : ''}` : ''}`.trim());
  }
  const methods = help.members.filter((m) => m.kind === 'method');
  if (methods.length) notes.push(`help(${help.name}.${methods[0]!.name}) shows one method in full.`);
  return { title: help.name, doc: help.doc, members: help.members, notes };
}

function describe(value: unknown): { card: Card; full?: boolean } {
  const known = isObject(value) ? names.get(value) : undefined;
  if (known?.member) {
    return { card: { title: `${known.global}.${known.member.name}`, doc: known.member.doc, members: [{ ...known.member, name: '' }], notes: [] }, full: true };
  }
  if (known) {
    const help = declared.globals[known.global];
    if (help) return { card: globalCard(help, value) };
  }
  if (typeof value === 'function') {
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    const { members, total } = reflectMembers(value);
    const protoMembers = isClass && value.prototype ? reflectMembers(value.prototype) : { members: [], total: 0 };
    const name = value.name || 'anonymous function';
    const all = [...protoMembers.members, ...members.map((m) => ({ ...m, name: `static ${m.name}` }))];
    return {
      card: {
        title: `${isClass ? 'class ' : ''}${name}${parameters(value)}`,
        doc: isClass ? `${protoMembers.total} instance member${protoMembers.total === 1 ? '' : 's'}` : `function of ${value.length} declared parameter${value.length === 1 ? '' : 's'}`,
        members: all,
        notes: total + protoMembers.total > all.length ? [`${total + protoMembers.total - all.length} more members not shown.`] : [],
      },
    };
  }
  if (isObject(value)) {
    const { members, total } = reflectMembers(value);
    const kind = Array.isArray(value) ? `array of ${value.length}` : value.constructor && value.constructor !== Object ? `${value.constructor.name} instance` : 'object';
    const count = `${total} member${total === 1 ? '' : 's'}`;
    return { card: { title: kind, doc: count, members, notes: total > members.length ? [`${total - members.length} more members not shown.`] : [] } };
  }
  return { card: { title: preview(value), members: [], notes: [] } };
}

function overview(): Card {
  const members = Object.values(declared.globals).map<HelpMember>((g) => {
    const call = g.members.length === 1 && g.members[0]!.kind === 'call' ? g.members[0] : undefined;
    if (call) return { name: g.name, kind: 'method', params: call.params, type: call.type, doc: g.doc };
    const methods = g.members.filter((m) => m.kind === 'method').length;
    return { name: g.name, kind: 'property', doc: g.doc, type: `${methods} method${methods === 1 ? '' : 's'}${g.more ? ' and more' : ''}` };
  });
  const notes = ['help(x) describes any value: help(cloudtrail), help(predict.next), help(myObject).'];
  if (declared.unavailable) notes.push(`The globals' declarations were not available when this kernel was built: ${declared.unavailable}`);
  return { title: 'Trailbook kernel globals', members, notes };
}

function toBundle({ card, full }: { card: Card; full?: boolean }): MimeBundle {
  const prefix = (m: HelpMember) => (m.kind === 'call' && !m.name ? card.title.split('(')[0]! : '');
  const lines = [`${card.title}${card.doc ? `: ${card.doc}` : ''}`];
  for (const m of card.members) {
    lines.push(`  ${memberText(m, prefix(m), !!full)}`);
    if (m.doc && !full) lines.push(`      ${m.doc}`);
  }
  lines.push(...card.notes);
  const rows = card.members
    .map((m) => `<tr><td><code>${escapeHtml(memberText(m, prefix(m), !!full))}</code></td><td>${escapeHtml(full ? '' : (m.doc ?? ''))}</td></tr>`)
    .join('');
  const html =
    `<div class="trailbook-help">` +
    `<p><strong><code>${escapeHtml(card.title)}</code></strong>${card.doc ? ` — ${escapeHtml(card.doc)}` : ''}</p>` +
    (rows ? `<table class="trailbook-table"><thead><tr><th>member</th><th>what it does</th></tr></thead><tbody>${rows}</tbody></table>` : '') +
    card.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('') +
    `</div>`;
  return { 'text/plain': lines.join('\n'), 'text/html': html };
}

/** The card of a value as a MIME bundle (also what a described global shows when displayed). */
export function helpBundle(value: unknown): MimeBundle {
  return toBundle(describe(value));
}

/** `help()` lists the kernel's globals; `help(x)` shows what x offers, below the cell. */
export function help(...args: unknown[]): Promise<void> {
  return display(args.length ? helpBundle(args[0]) : toBundle({ card: overview() }), { raw: true });
}

export const helpPrelude: PreludeModule = {
  name: 'help',
  globals: { help: { value: () => help } },
  types: `
/** Shows what a value offers below the cell: a kernel global's methods with signatures and docs, or any object's members. help() lists the globals. */
declare function help(value?: unknown): Promise<void>;
`,
};
