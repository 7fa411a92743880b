/**
 * Work put off until a kernel is quiet: tasks wait until nothing has touched the queue for a while
 * (a cell starting or ending touches it, each with its own wait), then all run. Cells run back to
 * back (Run all, a benchmark, nbconvert) keep touching it, so the type checker's CPU never competes
 * with them; a cell that runs long lets the work run beside it, where a few ms of checking are lost
 * in the cell's own time.
 */

interface Task {
  run: () => void;
  cancel: () => void;
}

export class QuietQueue {
  private tasks: Task[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly quietMs: number) {}

  get pending(): number {
    return this.tasks.length;
  }

  /** `cancel` is called instead of `run` when the queue is cancelled first. */
  add(run: () => void, cancel: () => void = () => {}): void {
    this.tasks.push({ run, cancel });
    this.touch();
  }

  /** Something happened (a cell started or ended): the tasks wait `quietMs` (by default the queue's) from now. */
  touch(quietMs = this.quietMs): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.tasks.length) return;
    this.timer = setTimeout(() => this.flush(), quietMs);
    this.timer.unref(); // put-off work never keeps a process alive
  }

  /** Runs every waiting task now, in the order they were added. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const task of this.tasks.splice(0)) task.run();
  }

  /** Drops every waiting task (the kernel shut down: nobody is left to tell). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const task of this.tasks.splice(0)) task.cancel();
  }
}
