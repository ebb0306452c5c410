// The page's entry: finds who it speaks as (session.ts), then wires the live
// stream, the timeline, the composer, who is here, search, older history on
// scroll-up and attention (title count, notifications).
import type { Users } from '../../../shared/api.ts';
import type { RoomEvent } from '../../../shared/events.ts';
import { Api, ApiError } from './api.ts';
import { Attention } from './attention.ts';
import { Composer } from './composer.ts';
import { showMembers } from './members.ts';
import { isForMe } from './render.ts';
import { endSession, startSession } from './session.ts';
import { LiveStream, type StreamState } from './stream.ts';
import { Timeline } from './timeline.ts';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** Why the page cannot reconnect, when the gateway said (under the box); undefined clears it. */
function reconnectNote(text: string | undefined): void {
  const error = byId('error');
  if (text !== undefined) {
    error.textContent = text;
    error.hidden = false;
  } else if (error.textContent?.startsWith('Reconnecting:')) error.hidden = true;
}

function showState(state: StreamState): void {
  const conn = byId('conn');
  conn.dataset.state = state.state;
  switch (state.state) {
    case 'connecting':
      conn.textContent = 'connecting…';
      break;
    case 'live':
      conn.textContent = 'live';
      conn.title = '';
      reconnectNote(undefined);
      break;
    case 'reconnecting':
      conn.textContent = 'reconnecting…';
      conn.title = state.why;
      if (state.reported) reconnectNote(`Reconnecting: ${state.why}`);
      break;
    case 'closed':
      conn.textContent = 'disconnected';
      conn.title = state.why;
      break;
  }
}

function fatal(message: string): void {
  const conn = byId('conn');
  conn.dataset.state = 'closed';
  conn.textContent = 'not signed in';
  const error = byId('error');
  error.textContent = message;
  error.hidden = false;
  byId<HTMLTextAreaElement>('input').disabled = true;
  byId<HTMLButtonElement>('send').disabled = true;
}

async function main(): Promise<void> {
  let session: Awaited<ReturnType<typeof startSession>>;
  try {
    session = await startSession();
  } catch (error) {
    fatal(`${(error as Error).message}`);
    return;
  }
  if (session === undefined) {
    fatal('Open the address that room web printed (each address opens once), or run room web again for a new one.');
    return;
  }
  const { user: me, room } = session;
  const api = new Api(session.token);
  byId('room-name').textContent = room;
  const attention = new Attention(`${room} · room`);
  let users: Users | undefined;
  const scroller = byId('log-wrap');
  const timeline = new Timeline(byId<HTMLOListElement>('log'), scroller, {
    me,
    onReply: (event) => composer.prefill(`/reply ${event.id.slice(0, 8)} `),
  });
  const composer = new Composer({
    input: byId('input'),
    button: byId('send'),
    palette: byId('palette'),
    error: byId('error'),
    source: () => ({
      names: [
        ...new Set([
          ...(users?.online ?? []).map((u) => u.user),
          ...(users?.recent ?? []).map((u) => u.user),
          ...timeline.names(),
        ]),
      ],
      isHost: users !== undefined && users.host === me,
    }),
    send: async (inbound) => {
      const answer = await api.post(inbound);
      if (answer.stored) timeline.add(answer.event);
      else timeline.notice(answer.notice);
    },
  });

  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshMembers = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      Promise.all([api.users(), api.claims().catch(() => [])]).then(
        ([found, claims]) => {
          users = found;
          showMembers(found, claims, {
            online: byId('online'),
            listening: byId('listening'),
            recent: byId('recent'),
            count: byId('online-count'),
          });
        },
        () => {},
      );
    }, 150);
  };

  const stream = new LiveStream(api.authorization, {
    onEvent: (event: RoomEvent) => {
      timeline.add(event);
      // Presence (listeners announce nothing), statuses and claims: asked again once the room is quiet.
      refreshMembers();
      if (isForMe(event, me)) attention.notify(event.user, 'content' in event ? event.content : '');
    },
    onClear: () => timeline.clear(),
    onState: (state) => {
      showState(state);
      if (state.state === 'live') refreshMembers();
      if (state.state === 'closed') {
        if (state.reason === 'token' || state.reason === 'kicked' || state.reason === 'revoked') endSession();
        fatal(state.why);
      }
    },
  });
  stream.start();

  // Older history when scrolled to the top.
  let loadingOlder = false;
  let atStart = false;
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop > 40 || loadingOlder || atStart) return;
    const oldest = timeline.oldestSeq;
    if (oldest === undefined) return;
    loadingOlder = true;
    byId('older').hidden = false;
    api
      .olderThan(oldest)
      .then(
        (events) => {
          if (timeline.prepend(events) === 0) atStart = true;
        },
        (error: unknown) => {
          if (error instanceof ApiError) atStart = true;
        },
      )
      .finally(() => {
        loadingOlder = false;
        byId('older').hidden = true;
      });
  });

  byId<HTMLInputElement>('search').addEventListener('input', (e) =>
    timeline.filter((e.target as HTMLInputElement).value),
  );
  byId('notify').addEventListener('click', () => {
    void Attention.ask().then((permission) => {
      byId('notify').title = `Desktop notifications: ${permission}`;
    });
  });
  byId('members-toggle').addEventListener('click', () => byId('members').classList.toggle('open'));
  byId<HTMLTextAreaElement>('input').focus();
}

void main();
