/**
 * A FIFO queue with O(1) `push` and `shift`. rxjs 7.8's `mergeMap` buffers with `Array#shift`,
 * which V8 turns O(n) past ~16k elements; a moving head avoids that, and compacting only when the
 * dead prefix is at least half the array keeps the copy amortised O(1).
 */
export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Appends every item of `items`, in order; an `owned` array becomes the storage when the queue is empty. */
  append(items: readonly T[], owned: boolean): void {
    if (this.length === 0) {
      this.items = owned ? (items as T[]) : items.slice();
      this.head = 0;
    } else for (const item of items) this.items.push(item);
  }

  /** Removes and returns the oldest item; the caller checks `length` first. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The item `offset` places behind the oldest, without removing it. */
  peekAt(offset: number): T {
    return this.items[this.head + offset] as T;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
