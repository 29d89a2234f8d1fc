/** One pending wake-up of the pump: "now" (setImmediate — a 0 ms timer costs ~1 ms per message) or the earliest timer asked for. */
export class Alarm {
  private timer: NodeJS.Timeout | null = null;
  private at = 0;
  private immediate = false;

  constructor(private readonly fire: () => void) {}

  set(ms: number): void {
    if (ms <= 0) {
      if (this.immediate) return;
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        this.fire();
      });
      return;
    }
    const at = Date.now() + ms;
    if (this.timer && this.at <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, ms);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

