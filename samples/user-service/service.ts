import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { assertUnique, buildCrudService, recordSchemaOf, type ServiceOptions } from '../shared/index.js';

export const USER_SERVICE = {
  name: 'user-service',
  version: '1.0.0',
  description: 'Sample user service of msa-gateway: users with a unique e-mail address.',
};

export const UserInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, examples: ['John Doe'] }),
    email: Type.String({ format: 'email', maxLength: 254, examples: ['john@example.com'] }),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInputSchema>;

export const UserSchema = recordSchemaOf({
  name: Type.String(),
  email: Type.String(),
});
export type User = Static<typeof UserSchema>;

export const DEMO_USERS: readonly UserInput[] = [
  { name: 'Alice Kim', email: 'alice@example.com' },
  { name: 'Bob Lee', email: 'bob@example.com' },
  { name: 'Carol Park', email: 'carol@example.com' },
];

/** The user service: CRUD on `/api/users`; an e-mail address belongs to one user (409 otherwise). */
export function buildUserService(options: ServiceOptions = {}): Promise<FastifyInstance> {
  return buildCrudService<UserInput, User>(
    {
      info: USER_SERVICE,
      path: '/api/users',
      noun: 'user',
      recordSchema: UserSchema,
      inputSchema: UserInputSchema,
      seed: DEMO_USERS,
      toInput: ({ name, email }) => ({ name, email }),
      toFields(input, context) {
        const email = input.email.trim();
        assertUnique(context, 'user', 'email', email);
        return { name: input.name.trim(), email };
      },
    },
    options,
  );
}
