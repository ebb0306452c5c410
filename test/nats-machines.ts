// Machines sharing a room through NATS, for the tests of issue 16: each
// machine is its own ROOM_DIR with its own broker, started through the real
// CLI (`room join … --nats <url>`), all on one real nats-server (or cluster)
// from test/nats-server.ts.
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { http, RoomDir, type RunResult } from './helpers.ts';

export class Machine {
  readonly dir: RoomDir;
  readonly room: string;
  /** The --nats value its room is created with. */
  readonly nats: string;

  constructor(t: TestContext, room: string, nats: string) {
    this.dir = RoomDir.create(t);
    this.room = room;
    this.nats = nats;
  }

  get socket(): string {
    return this.dir.socket(this.room);
  }

  /** Joins `user` here (starting this machine's broker, shared through NATS); the token. */
  async join(user: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const result = await this.dir.run(['join', this.room, user, '--nats', this.nats], { env });
    if (result.code !== 0) throw new Error(`room join ${this.room} ${user} failed (${result.code}): ${result.stderr}`);
    return (JSON.parse(result.stdout) as { token: string }).token;
  }

  /** Joins `user` on this machine's running broker over HTTP (quicker than the CLI); the token. */
  async joinQuickly(user: string): Promise<string> {
    const answer = await http(this.socket, 'POST', '/join', { body: { username: user } });
    if (answer.status !== 201) throw new Error(`POST /join ${user}: ${answer.status} ${answer.body}`);
    return (answer.json() as { token: string }).token;
  }

  send(token: string, text: string): Promise<RunResult> {
    return this.dir.run(['send', this.room, text], { env: { ROOM_TOKEN: token } });
  }

  poll(token: string): Promise<RunResult> {
    return this.dir.run(['poll', this.room], { env: { ROOM_TOKEN: token } });
  }

  /** The history file's lines (the mirror). */
  history(): string[] {
    return readFileSync(this.dir.file(`${this.room}.chat`), 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  }

  /** The broker's log. */
  log(): string {
    return readFileSync(this.dir.file(`room-${this.room}.log`), 'utf8');
  }

  /** The pid of the broker running now (the last one started). */
  brokerPid(): number {
    const pid = this.dir.brokerPids().at(-1);
    if (pid === undefined) throw new Error(`no broker started in ${this.dir.path}`);
    return pid;
  }
}

/** A history line or an echo, as the NATS tests read them. */
export interface Line {
  type: string;
  seq: number;
  id: string;
  user: string;
  content?: string;
}

/** The seqs of history lines. */
export const seqsOf = (lines: readonly string[]): number[] =>
  lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
