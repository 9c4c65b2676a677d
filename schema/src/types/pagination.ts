import type { ObjectRef } from '@pothos/core';
import type { Connection, PageArgs } from '@elemta/projections';
import { builder } from '../builder.js';
import type { BuilderTypes } from '../builder.js';
import { badUserInput } from '../bad-user-input.js';

type PageInfoShape = Connection<unknown>['pageInfo'];

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 25;
// Cursors are opaque to the schema; this only keeps absurd input away from the read model.
const MAX_CURSOR_LENGTH = 1024;

export const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  description: 'Where a page sits in the whole list (Relay cursor connections).',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'Whether more items follow `endCursor`.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'Whether items precede `startCursor`.' }),
    startCursor: t.exposeString('startCursor', { nullable: true, description: 'Cursor of the first edge; null on an empty page.' }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'Cursor of the last edge; pass it as `after` to fetch the next page. Null on an empty page.',
    }),
  }),
});

/**
 * Defines `<name>Connection` and `<name>Edge` for a node type, the Relay way, so every paginated
 * list reads the same to clients.
 */
export const connectionRef = <T>(name: string, node: ObjectRef<BuilderTypes, T>, plural: string) => {
  // The edge's node is typed `unknown` inside: Pothos cannot resolve its shape types for a generic T.
  const nodeRef: ObjectRef<BuilderTypes, unknown> = node;
  const Edge = builder.objectRef<Readonly<{ cursor: string; node: unknown }>>(`${name}Edge`).implement({
    description: `One ${name.toLowerCase()} in a page of ${plural}, with its cursor.`,
    fields: (t) => ({
      cursor: t.exposeString('cursor', { description: 'Opaque position of this edge; pass it as `after` to continue from here.' }),
      node: t.field({ type: nodeRef, description: `The ${name.toLowerCase()}.`, resolve: (edge) => edge.node }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    description: `A page of ${plural}.`,
    fields: (t) => ({
      edges: t.field({ type: [Edge], description: `The ${plural} on this page, in list order.`, resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, description: 'How to fetch the neighbouring pages.', resolve: (c) => c.pageInfo }),
      totalCount: t.exposeInt('totalCount', { description: `How many ${plural} match, across all pages.` }),
    }),
  });
};

/** Checks `first`/`after` and returns them in the read models' shape; throws BAD_USER_INPUT otherwise. `max`: lists that allow larger pages. */
export const toPageArgs = (first: number | null | undefined, after: string | null | undefined, max = MAX_PAGE_SIZE): PageArgs => {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (size < 1 || size > max) {
    throw badUserInput(`first must be between 1 and ${max}; got ${size}`, 'PAGE_SIZE_OUT_OF_RANGE');
  }
  if (after === '' || (after && after.length > MAX_CURSOR_LENGTH)) {
    throw badUserInput('after is not a cursor returned by this list', 'INVALID_CURSOR');
  }
  return { first: size, after: after ?? null };
};

const cursorArg = (name: string, value: string | null | undefined): string | null => {
  if (value === '' || (value && value.length > MAX_CURSOR_LENGTH)) {
    throw badUserInput(`${name} is not a cursor returned by this list`, 'INVALID_CURSOR');
  }
  return value ?? null;
};

export type RelayPageArgs = Readonly<{ first?: number | null; after?: string | null; last?: number | null; before?: string | null }>;

/**
 * Checks Relay's `first`/`after` (forwards) and `last`/`before` (backwards): one of `first` and `last`, neither meaning
 * `first` = 25; `after` and `before` may both be given. Throws BAD_USER_INPUT otherwise.
 */
export const toRelayPageArgs = (args: RelayPageArgs, max = MAX_PAGE_SIZE) => {
  const hasLast = args.last !== null && args.last !== undefined;
  if (hasLast && args.first !== null && args.first !== undefined) {
    throw badUserInput('give first or last, not both', 'FIRST_AND_LAST');
  }
  const before = cursorArg('before', args.before);
  if (!hasLast) return { ...toPageArgs(args.first, args.after, max), before };
  if (args.last! < 1 || args.last! > max) {
    throw badUserInput(`last must be between 1 and ${max}; got ${args.last}`, 'PAGE_SIZE_OUT_OF_RANGE');
  }
  return { last: args.last!, before, after: cursorArg('after', args.after) };
};
