import { SingleBar } from 'cli-progress';

/** Progress of a running task: a live bar on a terminal, a plain line every `every` otherwise (CI, pipes). */
export interface Progress {
  update(done: number, detail: string): void;
  stop(): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stdout, every = 500): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: `${label} |{bar}| {value} done · {detail}`,
      stream,
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(1, 0, { detail: '' });
    return {
      update: (done, detail) => {
        bar.setTotal(Math.max(done + 1, bar.getTotal()));
        bar.update(done, { detail });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (done, detail) => {
      if (done - last >= every) {
        last = done;
        stream.write(`${label}: ${done} done · ${detail}\n`);
      }
    },
    stop: () => undefined,
  };
}
