// The event log in memory: for unit tests and for building the broker app
// without a file (the OpenAPI generator). Same contract as FileLog
// (server/log/event-log.ts), nothing persisted.
import { randomUUID } from 'node:crypto';
import type { RoomEvent } from '../../shared/events.ts';
import { type EventLog, type LogRecovery, type LogState, positionAfterSeq } from './event-log.ts';

export class MemoryLog implements EventLog {
  readonly epoch = randomUUID().replaceAll('-', '').slice(0, 16);
  #lines: string[] = [];
  #seqs: number[] = [];
  #ids = new Map<string, number>();
  #lastSeq = 0;

  get state(): LogState {
    const count = this.#seqs.length;
    return { firstSeq: this.#seqs[0] ?? this.#lastSeq + 1, lastSeq: this.#lastSeq, count, end: count };
  }

  append(event: RoomEvent): string {
    return this.appendAll([event])[0]!;
  }

  appendAll(events: readonly RoomEvent[]): string[] {
    let last = this.#lastSeq;
    for (const event of events) {
      if (event.seq <= last) throw new Error(`seq ${event.seq} is not after ${last}`);
      last = event.seq;
    }
    return events.map((event) => this.#appendOne(event));
  }

  #appendOne(event: RoomEvent): string {
    const line = JSON.stringify(event);
    this.#ids.set(event.id, this.#seqs.length);
    this.#lines.push(line);
    this.#seqs.push(event.seq);
    this.#lastSeq = event.seq;
    return line;
  }

  positionAfter(seq: number): number {
    return positionAfterSeq(this.#seqs, seq);
  }

  positionOf(id: string): number | undefined {
    return this.#ids.get(id);
  }

  idsWithPrefix(prefix: string, limit: number): string[] {
    const wanted = prefix.toLowerCase();
    return [...this.#ids.keys()].filter((id) => id.startsWith(wanted)).slice(0, limit);
  }

  readLines(from: number, to: number, maxBytes = Number.POSITIVE_INFINITY): string[] {
    const lines: string[] = [];
    let bytes = 0;
    for (let i = Math.max(from, 0); i < Math.min(to, this.#lines.length) && bytes < maxBytes; i++) {
      const line = this.#lines[i]!;
      lines.push(line);
      bytes += line.length + 1;
    }
    return lines;
  }

  clear(): void {
    this.#lines = [];
    this.#seqs = [];
    this.#ids.clear();
  }

  reset(): void {
    this.clear();
    this.#lastSeq = 0;
  }

  verify(): LogRecovery | null {
    return null;
  }

  close(): void {}
}
