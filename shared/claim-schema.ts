// The wire shape of a claim (GET /claims), apart from the rules in
// shared/claims.ts so that the browser page can import its type without
// Node's modules.
import type { FromSchema } from 'json-schema-to-ts';

export const Claim = {
  $id: 'Claim',
  description: 'an open claim: a path, glob or topic held by one user until released or its lease ends',
  type: 'object',
  additionalProperties: false,
  required: ['what', 'kind', 'user', 'since', 'text'],
  properties: {
    what: { type: 'string', description: 'the normalised path or glob, or the topic' },
    kind: { enum: ['path', 'topic'] },
    user: { type: 'string', description: 'the holder' },
    since: { type: 'string', format: 'date-time', description: 'when it was claimed (or taken over)' },
    text: { type: 'string', description: "the claim's words as sent (`src/a.ts fixing CRLF`)" },
  },
} as const;

export type Claim = FromSchema<typeof Claim>;
export type ClaimKind = Claim['kind'];
