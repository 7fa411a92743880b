import { describe, expect, it } from 'vitest';
import { CHORD_TIMEOUT_MS, CommandRegistry, formatKeys, keystrokeOf, normaliseKeystroke, type KeyLike } from '../../../workbench/ui/commands.ts';

/** The command registry: one declaration per action, keys as separate bindings by mode, sequences like I,I. */

const press = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  key,
  code: /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : /^\d$/.test(key) ? `Digit${key}` : key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

function registry() {
  let now = 0;
  const ran: string[] = [];
  let enabled = true;
  const r = new CommandRegistry(() => now);
  const add = (id: string, isEnabled?: () => boolean) => r.addCommand(id, { label: id, category: 'Test', isEnabled, execute: () => void ran.push(id) });
  add('interrupt');
  add('delete');
  add('select-below');
  add('run');
  add('palette');
  add('paste-above', () => enabled);
  r.addKeyBinding({ keys: ['I', 'I'], mode: 'command', command: 'interrupt' });
  r.addKeyBinding({ keys: ['D', 'D'], mode: 'command', command: 'delete' });
  r.addKeyBinding({ keys: ['J'], mode: 'command', command: 'select-below' });
  r.addKeyBinding({ keys: ['Shift Enter'], mode: 'any', command: 'run' });
  r.addKeyBinding({ keys: ['Accel Shift C'], mode: 'any', command: 'palette' });
  r.addKeyBinding({ keys: ['Shift V'], mode: 'command', command: 'paste-above' });
  return { r, ran, tick: (ms: number) => (now += ms), disable: () => (enabled = false) };
}

describe('CommandRegistry', () => {
  it('reads key events as keystrokes: Ctrl and Cmd are Accel, the key is named by its code under modifiers', () => {
    expect(keystrokeOf(press('C', { ctrlKey: true, shiftKey: true }))).toBe('Accel Shift C');
    expect(keystrokeOf(press('c', { metaKey: true, shiftKey: true }))).toBe('Accel Shift C');
    expect(keystrokeOf({ ...press('!'), code: 'Digit1', shiftKey: true })).toBe('Shift 1');
    expect(keystrokeOf({ ...press('˜'), code: 'KeyN', altKey: true })).toBe('Alt N');
    expect(keystrokeOf(press('Shift', { shiftKey: true }))).toBeUndefined();
    expect(normaliseKeystroke('shift ctrl c')).toBe('Accel Shift C');
    expect(formatKeys(['I', 'I'])).toBe('I, I');
    expect(formatKeys(['Accel Shift C'], true)).toBe('⌘+Shift+C');
    expect(() => normaliseKeystroke('Hyper X')).toThrow(/unknown modifier/);
  });

  it('runs a two-key sequence only when the second key comes in time, and lets other keys through', () => {
    const { r, ran, tick } = registry();
    expect(r.processKeydown(press('i'), 'command').result).toBe('handled');
    expect(ran).toEqual([]);
    r.processKeydown(press('i'), 'command');
    expect(ran).toEqual(['interrupt']);

    r.processKeydown(press('d'), 'command');
    tick(CHORD_TIMEOUT_MS + 1);
    r.processKeydown(press('d'), 'command');
    expect(ran).toEqual(['interrupt']); // too slow: the second D starts a new sequence
    r.processKeydown(press('d'), 'command');
    expect(ran).toEqual(['interrupt', 'delete']);

    // A different key ends a sequence and counts on its own.
    r.processKeydown(press('d'), 'command');
    r.processKeydown(press('j'), 'command');
    expect(ran).toEqual(['interrupt', 'delete', 'select-below']);
    expect(r.processKeydown(press('q'), 'command').result).toBe('ignored');
  });

  it('binds by mode: command-mode letters are typing in an editor, Shift+Enter and the palette work in both', () => {
    const { r, ran } = registry();
    expect(r.processKeydown(press('j'), 'edit').result).toBe('ignored');
    expect(r.processKeydown(press('Enter', { shiftKey: true }), 'edit').result).toBe('handled');
    expect(r.processKeydown(press('C', { ctrlKey: true, shiftKey: true }), 'edit').result).toBe('handled');
    expect(ran).toEqual(['run', 'palette']);
  });

  it('lets the keys of a disabled command fall through, and refuses clashing or dangling bindings', async () => {
    const { r, ran, disable } = registry();
    disable();
    expect(r.processKeydown(press('V', { shiftKey: true }), 'command').result).toBe('ignored');
    expect(await r.execute('paste-above')).toBe(false);
    expect(ran).toEqual([]);
    expect(() => r.addKeyBinding({ keys: ['J'], mode: 'command', command: 'run' })).toThrow(/bound to both "select-below" and "run"/);
    expect(() => r.addKeyBinding({ keys: ['X'], mode: 'command', command: 'nope' })).toThrow(/unknown command/);
    expect(() => r.addCommand('run', { label: 'again', category: 'Test', execute: () => {} })).toThrow(/already registered/);
    expect(r.keyBindingsOf('interrupt')).toEqual([{ keys: ['I', 'I'], mode: 'command', command: 'interrupt' }]);
  });
});
