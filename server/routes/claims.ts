// GET /claims: the open claims (the broker's claim table, server/claims.ts).
import type { FastifyInstance } from 'fastify';
import { Claim, claimsOnFile } from '../../shared/claims.ts';
import type { Broker } from '../broker.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

const { $id: _id, ...claimSchema } = Claim;

export function claimRoutes(room: Broker) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { path?: string } }>(
      '/claims',
      {
        schema: {
          operationId: 'listClaims',
          tags: ['claims'],
          summary: 'The open claims, oldest first',
          description:
            'Every open claim: a path, glob or topic, its holder, since when and the words of the claim. ' +
            'With `path`, only the claims covering that file (the same path, a parent folder, or a glob matching it).',
          security: bearer,
          querystring: {
            type: 'object',
            properties: {
              path: { type: 'string', minLength: 1, maxLength: 4096, description: 'a file, relative to the project' },
            },
          },
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['claims'],
              properties: { claims: { type: 'array', items: claimSchema } },
            },
            ...errorResponses(400, 401),
          },
        },
      },
      (request) => {
        requestUser(room, request);
        const claims = room.claims.list();
        const path = request.query.path;
        return { claims: path === undefined ? claims : claimsOnFile(claims, path) };
      },
    );
  };
}
