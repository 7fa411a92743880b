/**
 * The kernel child's raw stderr (fd 2). Cell output never goes there (it is captured and sent over
 * IPC); what does is output of programs a cell starts with inherited stdio, which is relayed to the
 * cell, and V8's fatal-error dump (heap out of memory: "<--- Last few GCs --->", "FATAL ERROR: …",
 * a native stack trace), which is not: the user gets one clean line from the host instead. Lines are
 * relayed whole; blank and lone "#" lines wait for the next line, because V8 starts its dumps with them.
 */

const DUMP_START = [/^<--- Last few GCs --->/, /^<--- JS stacktrace --->/, /^FATAL ERROR:/, /^# Fatal /, /^----- Native stack trace -----/];
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed/i;
const FATAL_LINE = /^(?:FATAL ERROR:|# Fatal )\s*(.*)$/;
/** Written by the child's process.exit wrapper (child/main.ts) so the host can name the cause. */
const EXIT_CALL = /^\[kernel\] process\.exit\((\d*)\) was called$/;

export class StderrFilter {
  /** A V8 fatal-error dump began: everything from there on is dropped. */
  fatal = false;
  outOfMemory = false;
  /** V8's one-line reason ("Reached heap limit Allocation failed - …"), cut short. */
  fatalReason?: string;
  /** The code a cell passed to process.exit(), if it called it. */
  exitCall?: string;
  private partial = '';
  private held: string[] = [];

  /** Takes a chunk of raw stderr; returns the text to show now. */
  push(chunk: string): string {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    let out = '';
    for (const line of lines) out += this.line(line);
    return out;
  }

  /** Whether text is held back (flush() would return it). */
  get pending(): boolean {
    return !this.fatal && (this.partial !== '' || this.held.length > 0);
  }

  /** The text still held (a line without its newline), at a pause or when the process has closed. */
  flush(): string {
    const partial = this.partial;
    const held = this.held;
    this.partial = '';
    this.held = [];
    if (this.fatal) return '';
    if (DUMP_START.some((p) => p.test(partial))) {
      this.line(partial);
      return '';
    }
    return held.map((l) => `${l}\n`).join('') + partial;
  }

  private line(line: string): string {
    if (!this.fatal && DUMP_START.some((p) => p.test(line))) {
      this.fatal = true;
      this.held = [];
    }
    if (this.fatal) {
      if (OUT_OF_MEMORY.test(line)) this.outOfMemory = true;
      const reason = FATAL_LINE.exec(line)?.[1];
      if (reason && !this.fatalReason) this.fatalReason = reason.slice(0, 200);
      return '';
    }
    const exit = EXIT_CALL.exec(line);
    if (exit) {
      this.exitCall = exit[1];
      return '';
    }
    if (line.trim() === '' || line.trim() === '#') {
      this.held.push(line);
      return '';
    }
    const out = [...this.held, line].join('\n') + '\n';
    this.held = [];
    return out;
  }
}
