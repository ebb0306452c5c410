// Which @names a text mentions: members only, any case, punctuation after the name allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mentionedMembers, mentions } from '../shared/mentions.ts';

const members = ['alice', 'Bob', 'claude-1a2b3c4d', 'd.e'];

test('mentions of members are found in any case, canonical spelling, each once', () => {
  assert.deepEqual(mentionedMembers('@ALICE and @bob, then @alice again', members), ['alice', 'Bob']);
  assert.deepEqual(mentionedMembers('@Claude-1A2B3C4D: can you look?', members), ['claude-1a2b3c4d']);
});

test('punctuation after a name does not hide it; a longer name is not a shorter one', () => {
  assert.deepEqual(mentionedMembers('thanks @bob.', members), ['Bob']);
  assert.deepEqual(mentionedMembers('ask @d.e-', members), ['d.e']);
  assert.deepEqual(mentionedMembers('@bobby and @alice2', members), []);
});

test('non-members, e-mail addresses and a lone @ are not mentions', () => {
  assert.deepEqual(mentionedMembers('mail alice@example.com or @carol', members), []);
  assert.deepEqual(mentionedMembers('@ @@bob', members), []);
  assert.equal(mentions('hi @alice', 'alice'), true);
  assert.equal(mentions('hi alice', 'alice'), false);
});
