/**
 * A one-line progress bar for training: step/total, loss, tokens per second, ETA. On a TTY it
 * redraws in place; elsewhere (logs, notebooks) it prints a line every `every` steps.
 */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return "?";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

export class ProgressBar {
  private start = Date.now();
  private startStep: number;
  private tokens = 0;
  constructor(
    private total: number,
    startStep: number,
    private stream: ProgressStream,
    private every = 10,
  ) {
    this.startStep = startStep;
  }

  /** Report step `step` (1-based, done) with its loss and token count. */
  update(step: number, loss: number, tokens: number, extra = ""): string {
    this.tokens += tokens;
    const el = (Date.now() - this.start) / 1000;
    const done = step - this.startStep;
    const tps = el > 0 ? this.tokens / el : 0;
    const eta = done > 0 ? (el / done) * (this.total - step) : NaN;
    const w = 24,
      fill = Math.round((w * step) / Math.max(1, this.total));
    const line =
      `[${"#".repeat(fill)}${"-".repeat(w - fill)}] ${step}/${this.total} loss ${loss.toFixed(4)} ` +
      `${tps.toFixed(0)} tok/s ETA ${formatDuration(eta)}${extra ? " " + extra : ""}`;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K${step === this.total ? "\n" : ""}`);
    else if (step % this.every === 0 || step === this.total || extra) this.stream.write(line + "\n");
    return line;
  }

  /** Tokens per second since the start. */
  tokensPerSecond(): number {
    const el = (Date.now() - this.start) / 1000;
    return el > 0 ? this.tokens / el : 0;
  }
}
