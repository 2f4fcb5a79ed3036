import { SingleBar } from 'cli-progress';

/** Progress of a running task: a live bar on a terminal, a plain line every `every` otherwise (CI, pipes). */
export interface Progress {
  update(done: number, detail: string): void;
  /** The total, once known (an MI task's input closed): the bar fills towards it. */
  setTotal(total: number): void;
  stop(): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stdout, every = 500): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: `${label} |{bar}| {value}/{total} · {detail}`,
      stream,
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(1, 0, { detail: '' });
    let known = false;
    return {
      update: (done, detail) => {
        if (!known) bar.setTotal(Math.max(done + 1, bar.getTotal()));
        bar.update(done, { detail });
      },
      setTotal: (total) => {
        known = true;
        bar.setTotal(total);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let of = '';
  return {
    update: (done, detail) => {
      if (done - last >= every) {
        last = done;
        stream.write(`${label}: ${done}${of} done · ${detail}\n`);
      }
    },
    setTotal: (total) => (of = ` of ${total}`),
    stop: () => undefined,
  };
}
