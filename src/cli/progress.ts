/**
 * A one-line spinner on stderr with elapsed time and the current state, for commands that wait
 * (`wait`, `up -d`, `logs -f` on a pending pod). Silent when stderr is not a terminal, so pipes
 * and logs stay clean.
 */
import type { Ctx } from './context.js';
import { elapsed } from '../print/units.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  /** Sets the state text (`waiting for job/train: 1 active, 0 succeeded`). */
  update(text: string): void;
  /** Clears the line so other output can be printed; the spinner comes back on its next tick. */
  clear(): void;
  /** Clears the line for good. */
  stop(): void;
}

export function startProgress(ctx: Ctx, text: string, intervalMs = 100): Progress {
  if (!ctx.stderr.isTTY) return { update() {}, clear() {}, stop() {} };
  const started = ctx.now();
  let current = text;
  let frame = 0;
  let stopped = false;
  const render = (advance = true) => {
    if (stopped || !current) return;
    if (advance) frame++;
    const line = `${FRAMES[frame % FRAMES.length]} ${current} (${elapsed(ctx.now() - started)})`;
    const cols = ctx.stderr.columns ?? 0;
    const fitted = cols > 1 && [...line].length >= cols ? [...line].slice(0, cols - 2).join('') + '…' : line;
    ctx.stderr.write(`\r\x1b[2K${fitted}`);
  };
  const timer = setInterval(() => render(), intervalMs);
  timer.unref();
  // A Ctrl-C must not leave the spinner behind.
  const onSigint = () => {
    stop();
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    process.removeListener('SIGINT', onSigint);
    ctx.stderr.write('\r\x1b[2K');
  };
  render();
  return {
    update(t) {
      if (t !== current) {
        current = t;
        render(false);
      }
    },
    clear() {
      if (!stopped) ctx.stderr.write('\r\x1b[2K');
    },
    stop,
  };
}
